import OrderedCollections

/// A Descent value. Kept small (a tag and one word): numbers and booleans inline, everything
/// else behind a class reference, so that copying a value never copies a collection.
public enum Value {
    case `nil`
    case bool(Bool)
    case number(Double)
    case string(StringObject)
    case list(ListObject)
    case record(RecordObject)
    case function(FunctionObject)
    case object(NativeObject)

    public static func str(_ text: String) -> Value { .string(StringObject(text)) }
    public static func list(_ items: [Value]) -> Value { .list(ListObject(items)) }

    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .list: "list"
        case .record: "record"
        case .function: "function"
        case .object(let object): object.typeName
        }
    }

    /// Python's truthiness: nil, false, 0, NaN-free zero, "" and empty collections are false.
    public var isTruthy: Bool {
        switch self {
        case .nil: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): !s.value.isEmpty
        case .list(let l): !l.items.isEmpty
        case .record(let r): !r.fields.isEmpty
        case .function: true
        case .object(let o): o.isTruthy
        }
    }

    /// Truthiness for `if`, `while`, `and`, `not`...: as `isTruthy`, except that objects may
    /// refuse with a diagnostic at `span`.
    @inline(__always)
    func truth(at span: SourceSpan) throws -> Bool {
        if case .object(let object) = self { return try object.truthValue(at: span) }
        return isTruthy
    }
}

public final class StringObject {
    public let value: String
    public init(_ value: String) { self.value = value }
}

/// A mutable list with reference semantics, like a Python list.
public final class ListObject {
    public var items: [Value]
    public init(_ items: [Value]) { self.items = items }
    deinit { releaseWithoutRecursion(&items) }
}

/// A record: string keys in insertion order, mutable, with reference semantics like a Python dict.
public final class RecordObject {
    public var fields: OrderedDictionary<String, Value>
    public init(_ fields: OrderedDictionary<String, Value> = [:]) { self.fields = fields }
    deinit {
        guard fields.values.contains(where: \.isContainer) else { return }
        var values = Array(fields.values)
        fields = [:]
        releaseWithoutRecursion(&values)
    }
}

/// Releasing nested lists and records the ordinary way takes native stack frames per level, so a
/// linked list of ten million records built in a loop would overflow any stack when dropped.
/// Containers about to die hand their children to a worklist instead.
private func releaseWithoutRecursion(_ values: inout [Value]) {
    guard values.contains(where: \.isContainer) else { return }
    var pending = values
    values = []
    while !pending.isEmpty {
        var value = pending.removeLast()
        if var list = value.takeList() {
            if isKnownUniquelyReferenced(&list) {
                pending.append(contentsOf: list.items)
                list.items = []
            }
        } else if var record = value.takeRecord() {
            if isKnownUniquelyReferenced(&record) {
                pending.append(contentsOf: record.fields.values)
                record.fields = [:]
            }
        }
    }
}

extension Value {
    fileprivate var isContainer: Bool {
        switch self {
        case .list, .record: true
        default: false
        }
    }

    /// The list this value holds, leaving nil behind so that the caller owns the only reference
    /// this value had.
    fileprivate mutating func takeList() -> ListObject? {
        guard case .list(let list) = self else { return nil }
        self = .nil
        return list
    }

    fileprivate mutating func takeRecord() -> RecordObject? {
        guard case .record(let record) = self else { return nil }
        self = .nil
        return record
    }
}

/// Anything callable: user closures and built-ins.
public class FunctionObject {
    public let name: String
    /// Set by `Closure`, so that calls tell closures from built-ins without a dynamic cast.
    let isClosure: Bool
    init(name: String, isClosure: Bool = false) { self.name = name; self.isClosure = isClosure }
    /// The parameter list as a learner would write it, e.g. `step(x, lr: 0.1)`.
    public var signature: String { "\(name)(...)" }
}

/// Values implemented natively that are not one of the core kinds: ranges, cells, and later
/// tensors and optimizers. Subclasses override what applies to them.
open class NativeObject {
    public init() {}
    open var typeName: String { "object" }
    open var isTruthy: Bool { true }
    /// Truthiness in a condition, which may refuse (a tensor of several elements does).
    open func truthValue(at span: SourceSpan) throws -> Bool { isTruthy }
    open func describe() -> String { "<\(typeName)>" }
    open func field(_ name: String) -> Value? { nil }
    /// The elements a `for` loop visits, for objects that can be iterated; nil for the rest.
    open func iterationValues(at span: SourceSpan) throws -> [Value]? { nil }
    /// The names `field` answers, for completion after a dot.
    open var fieldNames: [String] { [] }
    /// Assigns a field (`opt.lr = 0.01`); false when the object has no such assignable field.
    open func setField(_ name: String, _ value: Value, at span: SourceSpan) throws -> Bool { false }
    open func isEqual(to other: NativeObject) -> Bool { self === other }
}

/// A variable captured by a closure: it outlives the frame that declared it.
final class Cell: NativeObject {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// `range(start, stop, step)`: a lazy arithmetic sequence, as in Python 3.
public final class RangeObject: NativeObject {
    public let start: Double, stop: Double, step: Double
    public let count: Int

    public init(start: Double, stop: Double, step: Double) {
        self.start = start
        self.stop = stop
        self.step = step
        self.count = Self.count(start: start, stop: stop, step: step)
    }

    static func count(start: Double, stop: Double, step: Double) -> Int {
        let steps = ((stop - start) / step).rounded(.up)
        return steps.isFinite && steps > 0 ? Int(min(steps, Double(Int.max / 2))) : 0
    }

    /// Why `range()` refuses these bounds, and whether the step is to blame; nil when it accepts them.
    static func problem(start: Double, stop: Double, step: Double) -> (message: String, isStep: Bool)? {
        guard step != 0, step.isFinite else { return ("range() step must be a non-zero finite number", true) }
        guard start.isFinite, !stop.isNaN else { return ("range() bounds must be finite numbers", false) }
        let steps = ((stop - start) / step).rounded(.up)
        guard !steps.isNaN, steps < 1e18 else {
            return ("range() from \(formatNumber(start)) to \(formatNumber(stop)) by \(formatNumber(step)) has too many steps (at most 1e18)", false)
        }
        return nil
    }

    public subscript(index: Int) -> Double { start + Double(index) * step }
    override public var typeName: String { "range" }
    override public var isTruthy: Bool { count > 0 }
    override public func describe() -> String {
        step == 1 ? "range(\(formatNumber(start)), \(formatNumber(stop)))"
            : "range(\(formatNumber(start)), \(formatNumber(stop)), \(formatNumber(step)))"
    }
    override public func isEqual(to other: NativeObject) -> Bool {
        guard let other = other as? RangeObject else { return false }
        return start == other.start && stop == other.stop && step == other.step
    }
}

// MARK: - Formatting

/// Shortest round-trip form; integral values print without `.0` (`3`, `0.1`, `1e-05`, `1e+16`).
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == x.rounded(), abs(x) < 1e16 {
        if x == 0 && x.sign == .minus { return "-0" }
        return String(Int64(x))
    }
    return x.description
}

extension Value {
    /// The form `print` and `str` use: strings bare.
    public var displayString: String {
        if case .string(let s) = self { return s.value }
        return reprString
    }

    /// The form the REPL shows: strings quoted, so `"1"` and `1` look different.
    public var reprString: String {
        var visiting = Set<ObjectIdentifier>()
        var out = ""
        appendRepr(to: &out, visiting: &visiting, depth: 0)
        return out
    }

    private func appendRepr(to out: inout String, visiting: inout Set<ObjectIdentifier>, depth: Int) {
        if isNestedTooDeeply(depth) {
            out += "..."  // deeper than anything readable; and the native stack stays safe
            return
        }
        switch self {
        case .nil: out += "nil"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += formatNumber(n)
        case .string(let s): out += quoteString(s.value)
        case .list(let list):
            guard visiting.insert(ObjectIdentifier(list)).inserted else { out += "[...]"; return }
            out += "["
            for (i, item) in list.items.enumerated() {
                if i > 0 { out += ", " }
                item.appendRepr(to: &out, visiting: &visiting, depth: depth + 1)
            }
            out += "]"
            visiting.remove(ObjectIdentifier(list))
        case .record(let record):
            guard visiting.insert(ObjectIdentifier(record)).inserted else { out += "{...}"; return }
            out += "{"
            for (i, (key, value)) in record.fields.enumerated() {
                if i > 0 { out += ", " }
                out += isPlainIdentifier(key) ? key : quoteString(key)
                out += ": "
                value.appendRepr(to: &out, visiting: &visiting, depth: depth + 1)
            }
            out += "}"
            visiting.remove(ObjectIdentifier(record))
        case .function(let f):
            out += f is BuiltinFunction ? "<builtin \(f.signature)>" : "<fn \(f.signature)>"
        case .object(let o): out += o.describe()
        }
    }
}

/// A string literal as Descent writes it: quoted, with `\n`, `\"`, `\u{1B}`... escapes.
func quoteString(_ text: String) -> String { quoted(text, json: false) }

/// Quotes `text` for Descent source or, with `json`, for JSON (`\u001b` instead of `\u{1b}`).
func quoted(_ text: String, json: Bool) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || (!json && scalar.value == 0x7F) {
                let hex = String(scalar.value, radix: 16)
                out += json ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex : "\\u{\(hex)}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

func isPlainIdentifier(_ text: String) -> Bool {
    guard let first = text.utf8.first, isIdentifierStart(first), keywordKind(text) == nil else { return false }
    return text.utf8.allSatisfy(isIdentifierPart)
}

// MARK: - Equality

/// Deeper structures than this are refused by `==`, ordering and `json()` rather than overflowing
/// the native stack (a list that contains itself is infinitely deep).
let maxComparisonDepth = 10_000

/// Whether a walk over nested values must stop at `depth`: past the fixed limit, or earlier when
/// the thread's stack runs short (sanitizer builds have much larger frames).
func isNestedTooDeeply(_ depth: Int) -> Bool {
    depth >= maxComparisonDepth || (depth & 15 == 15 && !StackGuard.hasRoom())
}

struct ComparisonTooDeep: Error {}

extension Value {
    /// Structural equality, as Python's `==`: lists and records compare by content.
    public func isEqual(to other: Value) throws -> Bool {
        try isEqual(to: other, depth: 0)
    }

    private func isEqual(to other: Value, depth: Int) throws -> Bool {
        guard !isNestedTooDeeply(depth) else { throw ComparisonTooDeep() }
        switch (self, other) {
        case (.nil, .nil): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a === b || a.value == b.value
        case let (.list(a), .list(b)):
            if a === b { return true }
            guard a.items.count == b.items.count else { return false }
            for (x, y) in zip(a.items, b.items) where try !x.isEqual(to: y, depth: depth + 1) { return false }
            return true
        case let (.record(a), .record(b)):
            if a === b { return true }
            guard a.fields.count == b.fields.count else { return false }
            for (key, value) in a.fields {
                guard let otherValue = b.fields[key], try value.isEqual(to: otherValue, depth: depth + 1) else { return false }
            }
            return true
        case let (.function(a), .function(b)): return a === b
        case let (.object(a), .object(b)): return a.isEqual(to: b)
        default: return false
        }
    }

    /// Identity for reference kinds, value equality for the rest: never recurses.
    func isIdentical(to other: Value) -> Bool {
        switch (self, other) {
        case (.nil, .nil): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): a === b || a.value == b.value
        case let (.list(a), .list(b)): a === b
        case let (.record(a), .record(b)): a === b
        case let (.function(a), .function(b)): a === b
        case let (.object(a), .object(b)): a === b
        default: false
        }
    }
}
