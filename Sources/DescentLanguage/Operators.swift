import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number-and-number case of every operator but `@`, shared by all the operator nodes. The
/// numeric tier computes with the same two enums (NumericNodes.swift), so both tiers agree.
@inline(__always)
func numericBinary(_ op: BinaryOperator, _ x: Double, _ y: Double) -> Value? {
    if let arithmetic = ArithmeticOperator(op) { return .number(arithmetic.apply(x, y)) }
    return numericComparison(op, x, y).map { .bool($0) }
}

/// A comparison of two numbers as a Swift Bool; nil when `op` is not a comparison.
@inline(__always)
func numericComparison(_ op: BinaryOperator, _ x: Double, _ y: Double) -> Bool? {
    ComparisonOperator(op)?.apply(x, y)
}

/// Binary operators on every kind of value; the operator nodes try `numericBinary` first.
func applyBinary(_ op: BinaryOperator, _ a: Value, _ b: Value, at span: SourceSpan) throws -> Value {
    if case .number(let x) = a, case .number(let y) = b, let result = numericBinary(op, x, y) { return result }
    if isTensor(a) || isTensor(b) { return try tensorBinary(op, a, b, at: span) }
    switch op {
    case .contains, .notContains:
        return .bool(try isMember(a, of: b, at: span) == (op == .contains))
    case .equal, .notEqual:
        do {
            return .bool(try a.isEqual(to: b) == (op == .equal))
        } catch {
            throw comparisonTooDeep(op, at: span)
        }
    case .less, .lessEqual, .greater, .greaterEqual:
        let order = try compare(a, b, op: op, at: span)
        switch op {
        case .less: return .bool(order < 0)
        case .lessEqual: return .bool(order <= 0)
        case .greater: return .bool(order > 0)
        default: return .bool(order >= 0)
        }
    case .add:
        switch (a, b) {
        case let (.string(x), .string(y)):
            try GrowthLimit.checkString(x.value.utf8.count + y.value.utf8.count, at: span)
            return .str(x.value + y.value)
        case let (.list(x), .list(y)):
            try GrowthLimit.checkList(x.items.count + y.items.count, at: span)
            return .list(x.items + y.items)
        case (.string, _), (_, .string):
            throw Diagnostic("cannot add \(a.typeName) and \(b.typeName); convert with str() or use \"\\(...)\" interpolation", at: span)
        default: break
        }
    case .multiply:
        switch (a, b) {
        case let (.string(s), .number(n)), let (.number(n), .string(s)):
            let times = try repeatCount(n, at: span)
            try checkRepeatedSize(s.value.utf8.count, times, at: span)
            try GrowthLimit.checkString(s.value.utf8.count * times, at: span)
            return .str(String(repeating: s.value, count: times))
        case let (.list(l), .number(n)), let (.number(n), .list(l)):
            let times = try repeatCount(n, at: span)
            try checkRepeatedSize(l.items.count, times, at: span)
            try GrowthLimit.checkList(l.items.count * times, at: span)
            var items: [Value] = []
            items.reserveCapacity(l.items.count * times)
            for _ in 0..<times { items.append(contentsOf: l.items) }
            return .list(items)
        default: break
        }
    case .matrixMultiply:
        throw Diagnostic("cannot apply '@' to \(a.typeName) and \(b.typeName); '@' is the matrix product of tensors", at: span)
    default: break
    }
    let verbs: [BinaryOperator: String] = [.add: "add", .subtract: "subtract", .multiply: "multiply", .divide: "divide"]
    if let verb = verbs[op] { throw Diagnostic("cannot \(verb) \(a.typeName) and \(b.typeName)", at: span) }
    throw Diagnostic("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)", at: span)
}

/// `item in container`, as Python: an element of a list, a substring, a record key, a range step.
func isMember(_ item: Value, of container: Value, at span: SourceSpan) throws -> Bool {
    switch (container, item) {
    case (.list(let list), _):
        for element in list.items where try applyBinary(.equal, element, item, at: span).isTruthy { return true }
        return false
    case (.string(let text), .string(let part)): return part.value.isEmpty || text.value.contains(part.value)
    case (.record(let record), .string(let key)): return record.fields[key.value] != nil
    case (.object(let range as RangeObject), .number(let x)):
        let steps = (x - range.start) / range.step
        return steps >= 0 && steps == steps.rounded() && steps < Double(range.count)
    case (.object(is RangeObject), _): return false
    default:
        throw Diagnostic("cannot look for \(item.typeName) in \(container.typeName) with 'in'", at: span)
    }
}

/// Python's `%`: the result takes the sign of the divisor. x % 0 is NaN, as in NumPy.
func pythonRemainder(_ x: Double, _ y: Double) -> Double {
    var r: Double
    if x == x.rounded(.towardZero), y == y.rounded(.towardZero), abs(x) < 9e15, abs(y) < 9e15, y != 0 {
        r = Double(Int64(x) % Int64(y))  // exact for whole numbers, and far faster than fmod
    } else {
        r = fmod(x, y)
    }
    if r == 0 { return y.isNaN ? .nan : (y.sign == .minus ? -0.0 : 0.0) }  // zero takes the divisor's sign
    return (r < 0) != (y < 0) ? r + y : r
}

private func repeatCount(_ n: Double, at span: SourceSpan) throws -> Int {
    guard n.rounded() == n, n >= 0, n <= 1e8 else {
        throw Diagnostic("can only repeat by a whole number between 0 and 1e8, got \(formatNumber(n))", at: span)
    }
    return Int(n)
}

/// Repetition may not build more than 100 million elements or bytes at once.
private func checkRepeatedSize(_ length: Int, _ times: Int, at span: SourceSpan) throws {
    let limit = 100_000_000
    if length > 0 && times > limit / length {
        throw Diagnostic("repeating \(length) elements \(times) times would exceed the limit of \(limit)", at: span)
    }
}

func comparisonTooDeep(_ op: BinaryOperator, at span: SourceSpan) -> Diagnostic {
    Diagnostic("cannot compare values nested too deeply (over \(maxComparisonDepth) levels) with '\(op.rawValue)' (does a list contain itself?)", at: span)
}

/// Three-way comparison for `< <= > >=`: numbers, strings, and lists element by element.
func compare(_ a: Value, _ b: Value, op: BinaryOperator, at span: SourceSpan, depth: Int = 0) throws -> Int {
    guard !isNestedTooDeeply(depth) else {
        throw comparisonTooDeep(op, at: span)
    }
    if case .object(let object as TensorObject) = a, let x = object.tensor.scalarValue {
        return try compare(.number(x), b, op: op, at: span, depth: depth)
    }
    if case .object(let object as TensorObject) = b, let y = object.tensor.scalarValue {
        return try compare(a, .number(y), op: op, at: span, depth: depth)
    }
    switch (a, b) {
    case let (.number(x), .number(y)):
        if x.isNaN || y.isNaN { return op == .less || op == .lessEqual ? 1 : -1 }  // every comparison with NaN is false
        return x < y ? -1 : x > y ? 1 : 0
    case let (.string(x), .string(y)):
        return x.value < y.value ? -1 : x.value > y.value ? 1 : 0
    case let (.list(x), .list(y)):
        for (p, q) in zip(x.items, y.items) {
            let order = try compare(p, q, op: op, at: span, depth: depth + 1)
            if order != 0 { return order }
        }
        return x.items.count < y.items.count ? -1 : x.items.count > y.items.count ? 1 : 0
    default:
        throw Diagnostic("cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'", at: span)
    }
}

// MARK: - Subscripts

/// A whole-number index, counted from the end when negative, checked against `count`.
func resolveIndex(_ value: Value, count: Int, kind: String, at span: SourceSpan) throws -> Int {
    guard case .number(let x) = value else {
        throw Diagnostic("\(kind) index must be a number, got \(value.typeName)", at: span)
    }
    guard x.rounded() == x else {
        throw Diagnostic("\(kind) index must be a whole number, got \(formatNumber(x))", at: span)
    }
    let i = abs(x) < 1e15 ? Int(x) : (x > 0 ? Int.max / 2 : -Int.max / 2)
    let resolved = i < 0 ? i + count : i
    guard resolved >= 0, resolved < count else {
        throw Diagnostic("index \(i) is out of range for a \(kind) of length \(count)", at: span)
    }
    return resolved
}

/// The positions a Python slice `start:stop:step` selects from a sequence of length `count`.
func sliceIndices(_ start: Value, _ stop: Value, _ step: Value, count: Int, at span: SourceSpan) throws -> SlicePositions {
    func bound(_ value: Value, _ name: String) throws -> Int? {
        switch value {
        case .nil: return nil
        case .number(let x):
            if x.isInfinite { return x > 0 ? Int.max / 2 : -Int.max / 2 }
            guard x.rounded() == x else {
                throw Diagnostic("slice \(name) must be a whole number, got \(formatNumber(x))", at: span)
            }
            return abs(x) < 1e15 ? Int(x) : (x > 0 ? Int.max / 2 : -Int.max / 2)
        default:
            throw Diagnostic("slice \(name) must be a number, got \(value.typeName)", at: span)
        }
    }
    let stepValue = try bound(step, "step") ?? 1
    guard stepValue != 0 else { throw Diagnostic("slice step cannot be zero", at: span) }
    func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
        guard var i else { return defaultValue }
        if i < 0 { i += count }
        return stepValue > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
    }
    let first = clamp(try bound(start, "start"), stepValue > 0 ? 0 : count - 1)
    let last = clamp(try bound(stop, "stop"), stepValue > 0 ? count : -1)
    return SlicePositions(first: first, end: last, step: stepValue)
}

/// The positions of a slice, with their number known without walking them.
struct SlicePositions: Sequence {
    let first: Int, end: Int, step: Int

    var count: Int {
        step > 0 ? (end > first ? (end - first - 1) / step + 1 : 0) : (first > end ? (first - end - 1) / -step + 1 : 0)
    }

    func makeIterator() -> StrideToIterator<Int> { stride(from: first, to: end, by: step).makeIterator() }
}

func subscriptGet(_ target: Value, _ subscripts: [SubscriptValue], at span: SourceSpan) throws -> Value {
    if case .object(let object as TensorObject) = target { return try tensorSubscriptGet(object.tensor, subscripts, at: span) }
    if case .record(let record) = target {
        guard subscripts.count == 1, case .index(let key) = subscripts[0], case .string(let name) = key else {
            throw Diagnostic("records are indexed by a field name string, as in r[\"lr\"]", at: span)
        }
        if let value = record.fields[name.value] { return value }
        let fields = Array(record.fields.keys)
        throw Diagnostic("record has no field '\(name.value)'\(suggestion(for: name.value, among: fields))", at: span)
    }
    guard subscripts.count == 1 else {
        throw Diagnostic("a \(target.typeName) takes a single index, got \(subscripts.count)", at: span)
    }
    switch (target, subscripts[0]) {
    case let (.list(list), .index(index)):
        return list.items[try resolveIndex(index, count: list.items.count, kind: "list", at: span)]
    case let (.list(list), .slice(start, stop, step)):
        return .list(try sliceIndices(start, stop, step, count: list.items.count, at: span).map { list.items[$0] })
    case let (.string(string), .index(index)):
        let characters = Array(string.value)
        return .str(String(characters[try resolveIndex(index, count: characters.count, kind: "string", at: span)]))
    case let (.string(string), .slice(start, stop, step)):
        let characters = Array(string.value)
        return .str(String(try sliceIndices(start, stop, step, count: characters.count, at: span).map { characters[$0] }))
    case let (.object(range as RangeObject), .index(index)):
        return .number(range[try resolveIndex(index, count: range.count, kind: "range", at: span)])
    case let (.object(range as RangeObject), .slice(start, stop, step)):
        let positions = try sliceIndices(start, stop, step, count: range.count, at: span)
        guard positions.count <= GrowthLimit.listLength else {
            throw Diagnostic("slicing \(range.describe()) would make a list of \(positions.count) numbers; the limit is \(GrowthLimit.listLength)", at: span)
        }
        return .list(positions.map { .number(range[$0]) })
    default:
        throw Diagnostic("cannot index \(target.typeName)", at: span)
    }
}

func subscriptSet(_ target: Value, _ subscripts: [SubscriptValue], _ value: Value, at span: SourceSpan) throws {
    if case .object(let object as TensorObject) = target { return try tensorSubscriptSet(object, subscripts, value, at: span) }
    if case .record(let record) = target {
        guard subscripts.count == 1, case .index(let key) = subscripts[0], case .string(let name) = key else {
            throw Diagnostic("records are indexed by a field name string, as in r[\"lr\"] = 0.1", at: span)
        }
        record.fields[name.value] = value
        return
    }
    guard case .list(let list) = target else {
        let hint = if case .string = target { "; strings cannot be changed in place" } else { "" }
        throw Diagnostic("cannot assign into \(target.typeName) by index\(hint)", at: span)
    }
    guard subscripts.count == 1 else {
        throw Diagnostic("a list takes a single index, got \(subscripts.count)", at: span)
    }
    switch subscripts[0] {
    case .index(let index):
        list.items[try resolveIndex(index, count: list.items.count, kind: "list", at: span)] = value
    case .slice(let start, let stop, let step):
        guard case .list(let replacement) = value else {
            throw Diagnostic("can only assign a list to a slice, got \(value.typeName)", at: span)
        }
        let newItems = replacement.items
        if case .nil = step {
            // A plain slice may change the list's length, as in Python: xs[1:3] = [9].
            let lower = clampedBound(start, count: list.items.count, otherwise: 0)
            let upper = max(lower, clampedBound(stop, count: list.items.count, otherwise: list.items.count))
            list.items.replaceSubrange(lower..<upper, with: newItems)
            return
        }
        let positions = Array(try sliceIndices(start, stop, step, count: list.items.count, at: span))
        guard positions.count == newItems.count else {
            throw Diagnostic("cannot assign \(newItems.count) values to an extended slice of \(positions.count)", at: span)
        }
        for (position, item) in zip(positions, newItems) { list.items[position] = item }
    }
}

/// A plain slice bound clamped into 0...count, negative counting from the end.
private func clampedBound(_ bound: Value, count: Int, otherwise: Int) -> Int {
    guard case .number(let x) = bound else { return otherwise }
    if x.isInfinite { return x > 0 ? count : 0 }
    let i = Int(max(min(x, 1e15), -1e15).rounded(.towardZero))
    return min(max(i < 0 ? i + count : i, 0), count)
}

/// How large a string or a list may grow: a doubling loop (`s = s + s`) ends with a diagnostic
/// long before it exhausts memory. Ranges turned into lists (`list(range(n))`) obey the same list limit.
public enum GrowthLimit {
    /// Sandboxes (the fuzzer) lower these; they apply to every interpreter in the process.
    nonisolated(unsafe) public static var stringBytes = 100_000_000
    nonisolated(unsafe) public static var listLength = 50_000_000

    static func checkString(_ bytes: Int, at span: SourceSpan) throws {
        guard bytes <= stringBytes else {
            throw Diagnostic("a string of \(bytes) bytes would be over the limit of \(stringBytes) bytes", at: span)
        }
    }

    static func checkList(_ count: Int, at span: SourceSpan) throws {
        guard count <= listLength else {
            throw Diagnostic("a list of \(count) elements would be over the limit of \(listLength)", at: span)
        }
    }
}
