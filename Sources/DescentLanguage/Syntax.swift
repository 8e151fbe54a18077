import DescentTensor
import Synchronization

/// The syntax tree. Every node evaluates itself (`eval`), the way AST interpreters such as
/// Truffle's do; the resolver first rewrites name-based nodes (`Identifier`, `LetDeclaration`, ...)
/// into slot-based ones (`LocalGet`, `GlobalStore`, ...), so running code never looks a name up.
class Node {
    var span: SourceSpan
    init(span: SourceSpan) { self.span = span }

    func eval(_ ip: Interpreter) throws -> Value {
        throw Diagnostic("internal error: \(Self.self) was not resolved before running", at: span)
    }

    /// Evaluates for a condition (`if`, `while`, `and`...). Comparisons override it to answer
    /// without boxing a bool into a Value.
    func evalCondition(_ ip: Interpreter) throws -> Bool {
        try eval(ip).truth(at: span)
    }

    /// Calls `body` on each direct child, for passes that walk the whole tree.
    func forEachChild(_ body: (Node) -> Void) {}
}

enum BinaryOperator: String {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", remainder = "%"
    case power = "**", matrixMultiply = "@"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case contains = "in", notContains = "not in"
}

enum UnaryOperator: String { case negate = "-", plus = "+", not = "not" }

// MARK: - Name-based nodes, replaced by the resolver

final class Identifier: Node {
    let name: String
    init(name: String, span: SourceSpan) { self.name = name; super.init(span: span) }
}

final class LetDeclaration: Node {
    let name: String
    let nameSpan: SourceSpan
    let value: Node
    init(name: String, nameSpan: SourceSpan, value: Node, span: SourceSpan) {
        self.name = name; self.nameSpan = nameSpan; self.value = value; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
}

/// `let a, b = pair`: unpacks a list into new variables.
final class DestructuringDeclaration: Node {
    let names: [String]
    let value: Node
    init(names: [String], value: Node, span: SourceSpan) { self.names = names; self.value = value; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
}

final class FunctionDeclaration: Node {
    let name: String
    let function: FunctionLiteral
    init(name: String, function: FunctionLiteral, span: SourceSpan) {
        self.name = name; self.function = function; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(function) }
}

/// `target = value`, or `target op= value`.
final class Assignment: Node {
    let target: Node
    let compoundOperator: BinaryOperator?
    let value: Node
    init(target: Node, compoundOperator: BinaryOperator?, value: Node, span: SourceSpan) {
        self.target = target; self.compoundOperator = compoundOperator; self.value = value
        super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(target); body(value) }
}

// MARK: - Literals

final class Literal: Node {
    let value: Value
    init(value: Value, span: SourceSpan) { self.value = value; super.init(span: span) }
    override func eval(_ ip: Interpreter) throws -> Value { value }
}

/// A number constant: returning it involves no reference counting at all.
final class NumberLiteral: Node {
    let number: Double
    init(number: Double, span: SourceSpan) { self.number = number; super.init(span: span) }
    override func eval(_ ip: Interpreter) throws -> Value { .number(number) }
}

final class InterpolatedString: Node {
    let parts: [Node]
    init(parts: [Node], span: SourceSpan) { self.parts = parts; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { parts.forEach(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var text = ""
        for part in parts {
            text += try part.eval(ip).displayString
            try GrowthLimit.checkString(text.utf8.count, at: span)
        }
        return .str(text)
    }
}

final class ListLiteral: Node {
    let elements: [Node]
    init(elements: [Node], span: SourceSpan) { self.elements = elements; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { elements.forEach(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var items: [Value] = []
        items.reserveCapacity(elements.count)
        for element in elements { items.append(try element.eval(ip)) }
        return .list(ListObject(items))
    }
}

final class RecordLiteral: Node {
    let keys: [String]
    let values: [Node]
    init(keys: [String], values: [Node], span: SourceSpan) { self.keys = keys; self.values = values; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { values.forEach(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let record = RecordObject()
        record.fields.reserveCapacity(keys.count)
        for (key, value) in zip(keys, values) { record.fields[key] = try value.eval(ip) }
        return .record(record)
    }
}

// MARK: - Variables (after resolution)

final class LocalGet: Node {
    let slot: Int
    init(slot: Int, span: SourceSpan) { self.slot = slot; super.init(span: span) }
    override func eval(_ ip: Interpreter) throws -> Value { ip.stack[ip.base &+ slot] }
}

final class CellGet: Node {
    let slot: Int
    init(slot: Int, span: SourceSpan) { self.slot = slot; super.init(span: span) }
    override func eval(_ ip: Interpreter) throws -> Value { ip.cell(at: slot).value }
}

final class UpvalueGet: Node {
    let index: Int
    init(index: Int, span: SourceSpan) { self.index = index; super.init(span: span) }
    override func eval(_ ip: Interpreter) throws -> Value { ip.upvalue(index).value }
}

/// A local function's reference to itself: the running closure, not a captured cell holding it.
/// Capturing the cell would make the closure and the cell keep each other alive for ever.
final class CurrentFunction: Node {
    override func eval(_ ip: Interpreter) throws -> Value { .function(ip.runningClosure) }
}

final class GlobalGet: Node {
    let index: Int
    let name: String
    /// For a name not defined when the code was resolved: the local names in scope there, so a
    /// typo of a local can be suggested too.
    let localsInScope: [String]
    init(index: Int, name: String, localsInScope: [String] = [], span: SourceSpan) {
        self.index = index; self.name = name; self.localsInScope = localsInScope; super.init(span: span)
    }
    override func eval(_ ip: Interpreter) throws -> Value {
        if let value = ip.globals.values[index] { return value }
        throw ip.undefinedVariable(name, alsoKnown: localsInScope, at: span)
    }
}

/// `let` and assignment into each kind of variable. Both evaluate to nil, so `x = 1` in the REPL
/// shows nothing; each checks for a pending `return`/`break` in its value first.
final class LocalStore: Node {
    let slot: Int
    let value: Node
    init(slot: Int, value: Node, span: SourceSpan) { self.slot = slot; self.value = value; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        ip.stack[ip.base &+ slot] = newValue
        return .nil
    }
}

final class CellStore: Node {
    let slot: Int
    let value: Node
    /// A `let` of a captured variable makes a fresh cell; an assignment (or a hoisted `fn`) reuses it.
    let createsCell: Bool
    init(slot: Int, value: Node, createsCell: Bool, span: SourceSpan) {
        self.slot = slot; self.value = value; self.createsCell = createsCell; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        if createsCell { ip.stack[ip.base &+ slot] = .object(Cell(newValue)) } else { ip.cell(at: slot).value = newValue }
        return .nil
    }
}

final class UpvalueStore: Node {
    let index: Int
    let value: Node
    init(index: Int, value: Node, span: SourceSpan) { self.index = index; self.value = value; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        ip.upvalue(index).value = newValue
        return .nil
    }
}

/// The resolved `let a, b = pair`.
final class DestructuringStore: Node {
    enum Target { case local(Int), newCell(Int), global(Int) }
    let names: [String]
    let targets: [Target]
    let value: Node
    init(names: [String], targets: [Target], value: Node, span: SourceSpan) {
        self.names = names; self.targets = targets; self.value = value; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let pair = try value.eval(ip)
        if ip.control != .none { return pair }
        guard case .list(let list) = pair, list.items.count == targets.count else {
            let got = if case .list(let l) = pair { "a list of \(l.items.count)" } else { pair.typeName }
            throw Diagnostic("cannot unpack \(got) into \(targets.count) variables (\(names.joined(separator: ", ")))", at: value.span)
        }
        for (target, item) in zip(targets, list.items) {
            switch target {
            case .local(let slot): ip.stack[ip.base &+ slot] = item
            case .newCell(let slot): ip.stack[ip.base &+ slot] = .object(Cell(item))
            case .global(let index): ip.globals.values[index] = item
            }
        }
        return .nil
    }
}

final class GlobalStore: Node {
    let index: Int
    let name: String
    let value: Node
    let isDefinition: Bool
    init(index: Int, name: String, value: Node, isDefinition: Bool, span: SourceSpan) {
        self.index = index; self.name = name; self.value = value; self.isDefinition = isDefinition; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        if !isDefinition && ip.globals.values[index] == nil {
            throw Diagnostic("cannot assign to '\(name)' before it is declared; write 'let \(name) = ...'", at: span)
        }
        ip.globals.values[index] = newValue
        return .nil
    }
}

// MARK: - Operators

final class Unary: Node {
    let op: UnaryOperator
    let operand: Node
    init(op: UnaryOperator, operand: Node, span: SourceSpan) { self.op = op; self.operand = operand; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(operand) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let value = try operand.eval(ip)
        switch op {
        case .not: return .bool(!(try value.truth(at: operand.span)))
        case .negate:
            if case .number(let x) = value { return .number(-x) }
            if case .object(let object as TensorObject) = value { return tensorValue(Tensor.unary(.negate, object.tensor)) }
        case .plus:
            if case .number = value { return value }
            if isTensor(value) { return value }
        }
        throw Diagnostic("cannot apply unary '\(op.rawValue)' to \(value.typeName)", at: span)
    }
}

final class Binary: Node {
    let op: BinaryOperator
    let left: Node
    let right: Node
    init(op: BinaryOperator, left: Node, right: Node, span: SourceSpan) {
        self.op = op; self.left = left; self.right = right; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(left); body(right) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var a = try left.eval(ip)
        let b = try right.eval(ip)
        if case .number(let x) = a, case .number(let y) = b, let result = numericBinary(op, x, y) { return result }
        if let result = try arithmeticIntoTemporary(op, &a, b, at: span) { return result }
        return try applyBinary(op, a, b, at: span)
    }
    override func evalCondition(_ ip: Interpreter) throws -> Bool {
        let a = try left.eval(ip)
        let b = try right.eval(ip)
        if case .number(let x) = a, case .number(let y) = b, let result = numericComparison(op, x, y) { return result }
        return try applyBinary(op, a, b, at: span).truth(at: span)
    }
}

/// `x += v` on a variable: the current value and `v` combined by `applyCompound`.
final class CompoundBinary: Node {
    let op: BinaryOperator
    let left: Node
    let right: Node
    init(op: BinaryOperator, left: Node, right: Node, span: SourceSpan) {
        self.op = op; self.left = left; self.right = right; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(left); body(right) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let a = try left.eval(ip)
        let b = try right.eval(ip)
        if case .number(let x) = a, case .number(let y) = b, let result = numericBinary(op, x, y) { return result }
        return try applyCompound(op, a, b, at: span)
    }
}

/// What the nodes for a binary operator with a number constant on one side share.
class ConstantOperandBinary: Node {
    let op: BinaryOperator
    let constant: Double
    let constantOnLeft: Bool
    init(op: BinaryOperator, constant: Double, constantOnLeft: Bool, span: SourceSpan) {
        self.op = op; self.constant = constant; self.constantOnLeft = constantOnLeft
        super.init(span: span)
    }
}

/// `x - 1`, `n < 2`: a binary operator on a local variable and a number constant, the commonest
/// shape in loops and recursions, evaluated without dispatching to either operand.
final class LocalConstantBinary: ConstantOperandBinary {
    let slot: Int
    init(op: BinaryOperator, slot: Int, constant: Double, constantOnLeft: Bool, span: SourceSpan) {
        self.slot = slot
        super.init(op: op, constant: constant, constantOnLeft: constantOnLeft, span: span)
    }
    override func eval(_ ip: Interpreter) throws -> Value {
        let local = ip.stack[ip.base &+ slot]
        if let result = numberWithConstant(op, local, constant, constantOnLeft: constantOnLeft) { return result }
        return try applyConstant(op, local, constant, constantOnLeft: constantOnLeft, at: span)
    }
    override func evalCondition(_ ip: Interpreter) throws -> Bool {
        let local = ip.stack[ip.base &+ slot]
        if let result = numberComparedWithConstant(op, local, constant, constantOnLeft: constantOnLeft) { return result }
        return try applyConstant(op, local, constant, constantOnLeft: constantOnLeft, at: span).truth(at: span)
    }
}

/// The fast path of the constant-operand nodes: the other operand is a number.
@inline(__always)
private func numberWithConstant(_ op: BinaryOperator, _ value: Value?, _ constant: Double, constantOnLeft: Bool) -> Value? {
    guard case .number(let v)? = value else { return nil }
    return constantOnLeft ? numericBinary(op, constant, v) : numericBinary(op, v, constant)
}

@inline(__always)
private func numberComparedWithConstant(_ op: BinaryOperator, _ value: Value?, _ constant: Double, constantOnLeft: Bool) -> Bool? {
    guard case .number(let v)? = value else { return nil }
    return constantOnLeft ? numericComparison(op, constant, v) : numericComparison(op, v, constant)
}

/// The slow path of the constant-operand nodes: the other operand is not a number.
private func applyConstant(_ op: BinaryOperator, _ value: Value, _ constant: Double, constantOnLeft: Bool,
                           at span: SourceSpan) throws -> Value {
    constantOnLeft ? try applyBinary(op, .number(constant), value, at: span) : try applyBinary(op, value, .number(constant), at: span)
}

/// A global and a number constant (`i < 3000000`, `i + 1` in a script's top-level loop): one
/// node instead of two, reading the global's slot directly.
final class GlobalConstantBinary: ConstantOperandBinary {
    let global: GlobalGet
    init(op: BinaryOperator, global: GlobalGet, constant: Double, constantOnLeft: Bool, span: SourceSpan) {
        self.global = global
        super.init(op: op, constant: constant, constantOnLeft: constantOnLeft, span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(global) }
    override func eval(_ ip: Interpreter) throws -> Value {
        if let result = numberWithConstant(op, ip.globals.values[global.index], constant, constantOnLeft: constantOnLeft) {
            return result
        }
        return try applyConstant(op, try global.eval(ip), constant, constantOnLeft: constantOnLeft, at: span)
    }
    override func evalCondition(_ ip: Interpreter) throws -> Bool {
        if let result = numberComparedWithConstant(op, ip.globals.values[global.index], constant, constantOnLeft: constantOnLeft) {
            return result
        }
        return try applyConstant(op, try global.eval(ip), constant, constantOnLeft: constantOnLeft, at: span).truth(at: span)
    }
}

/// `total + i * 0.5`, `i < n`: a binary operator with a number constant on one side.
final class ConstantBinary: ConstantOperandBinary {
    let operand: Node
    init(op: BinaryOperator, operand: Node, constant: Double, constantOnLeft: Bool, span: SourceSpan) {
        self.operand = operand
        super.init(op: op, constant: constant, constantOnLeft: constantOnLeft, span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(operand) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var value = try operand.eval(ip)
        if let result = numberWithConstant(op, value, constant, constantOnLeft: constantOnLeft) { return result }
        if !constantOnLeft, let result = try arithmeticIntoTemporary(op, &value, .number(constant), at: span) { return result }
        return try applyConstant(op, value, constant, constantOnLeft: constantOnLeft, at: span)
    }
    override func evalCondition(_ ip: Interpreter) throws -> Bool {
        let value = try operand.eval(ip)
        if let result = numberComparedWithConstant(op, value, constant, constantOnLeft: constantOnLeft) { return result }
        return try applyConstant(op, value, constant, constantOnLeft: constantOnLeft, at: span).truth(at: span)
    }
}

/// `a < b <= c`: each operand evaluated once, stopping at the first false comparison, as in Python.
final class ComparisonChain: Node {
    let ops: [BinaryOperator]
    let operands: [Node]
    init(ops: [BinaryOperator], operands: [Node], span: SourceSpan) { self.ops = ops; self.operands = operands; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { operands.forEach(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var left = try operands[0].eval(ip)
        for (i, op) in ops.enumerated() {
            let right = try operands[i + 1].eval(ip)
            let span = operands[i].span.through(operands[i + 1].span)
            guard try applyBinary(op, left, right, at: span).truth(at: span) else { return .bool(false) }
            left = right
        }
        return .bool(true)
    }
}

final class Logical: Node {
    let isAnd: Bool
    let left: Node
    let right: Node
    init(isAnd: Bool, left: Node, right: Node, span: SourceSpan) { self.isAnd = isAnd; self.left = left; self.right = right; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(left); body(right) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let value = try left.eval(ip)
        return try value.truth(at: left.span) == isAnd ? try right.eval(ip) : value
    }
    override func evalCondition(_ ip: Interpreter) throws -> Bool {
        let first = try left.evalCondition(ip)
        if first != isAnd { return first }
        return try right.evalCondition(ip)
    }
}

// MARK: - Access

final class FieldGet: Node {
    let object: Node
    let name: String
    init(object: Node, name: String, span: SourceSpan) { self.object = object; self.name = name; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(object) }
    override func eval(_ ip: Interpreter) throws -> Value {
        try ip.field(name, of: try object.eval(ip), at: span)
    }
}

final class FieldSet: Node {
    let object: Node
    let name: String
    let compoundOperator: BinaryOperator?
    let value: Node
    init(object: Node, name: String, compoundOperator: BinaryOperator?, value: Node, span: SourceSpan) {
        self.object = object; self.name = name; self.compoundOperator = compoundOperator; self.value = value
        super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(object); body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let target = try object.eval(ip)
        var newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        if let op = compoundOperator {
            newValue = try applyCompound(op, try ip.field(name, of: target, at: span), newValue, at: span)
        }
        switch target {
        case .record(let record):
            record.fields[name] = newValue
        case .object(let native) where try native.setField(name, newValue, at: span):
            break
        default:
            throw Diagnostic("cannot set field '\(name)' on \(target.typeName); only records have assignable fields", at: span)
        }
        return .nil
    }
}

enum SubscriptItem {
    case index(Node)
    case slice(start: Node?, stop: Node?, step: Node?)

    func forEachNode(_ body: (Node) -> Void) {
        switch self {
        case .index(let node): body(node)
        case .slice(let a, let b, let c): [a, b, c].compactMap { $0 }.forEach(body)
        }
    }
}

/// A subscript evaluated down to values.
enum SubscriptValue {
    case index(Value)
    case slice(start: Value, stop: Value, step: Value)
}

final class SubscriptGet: Node {
    let object: Node
    let items: [SubscriptItem]
    init(object: Node, items: [SubscriptItem], span: SourceSpan) { self.object = object; self.items = items; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(object); items.forEach { $0.forEachNode(body) } }
    override func eval(_ ip: Interpreter) throws -> Value {
        let target = try object.eval(ip)
        if items.count == 1, case .index(let indexNode) = items[0], case .list(let list) = target,
           case .number(let x) = try indexNode.eval(ip), let i = Int(exactly: x), i >= 0, i < list.items.count {
            return list.items[i]
        }
        return try subscriptGet(target, try ip.evaluate(items), at: span)
    }
}

final class SubscriptSet: Node {
    let object: Node
    let items: [SubscriptItem]
    let compoundOperator: BinaryOperator?
    let value: Node
    init(object: Node, items: [SubscriptItem], compoundOperator: BinaryOperator?, value: Node, span: SourceSpan) {
        self.object = object; self.items = items; self.compoundOperator = compoundOperator; self.value = value
        super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(object); items.forEach { $0.forEachNode(body) }; body(value) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let target = try object.eval(ip)
        let subscripts = try ip.evaluate(items)
        var newValue = try value.eval(ip)
        if ip.control != .none { return newValue }
        if let op = compoundOperator {
            newValue = try applyCompound(op, try subscriptGet(target, subscripts, at: span), newValue, at: span)
        }
        try subscriptSet(target, subscripts, newValue, at: span)
        return .nil
    }
}

// MARK: - Calls

struct NamedArgument {
    let name: String
    let value: Node
    let nameSpan: SourceSpan
}

final class Call: Node {
    let callee: Node
    let arguments: [Node]
    /// The same nodes, unretained: `arguments` owns them, and evaluating through these skips a
    /// retain and release per argument on the hottest path of the interpreter.
    let argumentReferences: [Unmanaged<Node>]
    let named: [NamedArgument]
    /// The global slot of the callee when it is a global name (most calls): read directly.
    private let globalCallee: Int
    init(callee: Node, arguments: [Node], named: [NamedArgument], span: SourceSpan) {
        self.callee = callee; self.arguments = arguments; self.named = named
        self.argumentReferences = arguments.map { Unmanaged.passUnretained($0) }
        self.globalCallee = (callee as? GlobalGet)?.index ?? -1
        super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) {
        body(callee); arguments.forEach(body); named.forEach { body($0.value) }
    }
    override func eval(_ ip: Interpreter) throws -> Value {
        let function: Value
        if globalCallee >= 0, let value = ip.globals.values[globalCallee] {
            function = value
        } else {
            function = try callee.eval(ip)
        }
        guard case .function(let f) = function else {
            throw Diagnostic("cannot call \(function.typeName)\(describeCallee(callee))", at: span.withPoint(callee.span.start))
        }
        if f.isClosure && named.isEmpty {
            let closure = unsafeDowncast(f, to: Closure.self)
            if closure.arity == arguments.count {
                return try ip.callExactly(closure, arguments: argumentReferences, site: self)
            }
        }
        return try ip.call(f, receiver: nil, arguments: arguments, named: named, site: self)
    }
}

/// `x.f(a)`: calls the record field `f` when `x` is a record that has one, otherwise `f(x, a)`.
final class MethodCall: Node {
    let receiver: Node
    let name: String
    let nameSpan: SourceSpan
    let arguments: [Node]
    let named: [NamedArgument]
    /// The global slot of the function `name`, chosen by the resolver.
    let globalIndex: Int
    init(receiver: Node, name: String, nameSpan: SourceSpan, arguments: [Node], named: [NamedArgument],
         globalIndex: Int = -1, span: SourceSpan) {
        self.receiver = receiver; self.name = name; self.nameSpan = nameSpan
        self.arguments = arguments; self.named = named; self.globalIndex = globalIndex; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) {
        body(receiver); arguments.forEach(body); named.forEach { body($0.value) }
    }
    override func eval(_ ip: Interpreter) throws -> Value {
        let object = try receiver.eval(ip)
        if case .record(let record) = object, let member = record.fields[name] {
            guard case .function(let f) = member else {
                throw Diagnostic("cannot call field '\(name)': it is a \(member.typeName)", at: nameSpan)
            }
            return try ip.call(f, receiver: nil, arguments: arguments, named: named, site: self)
        }
        if case .object(let native) = object, let member = native.field(name), case .function(let f) = member {
            return try ip.call(f, receiver: nil, arguments: arguments, named: named, site: self)
        }
        if case .function(let function as BuiltinFunction) = object, let member = function.memberLookup?(name), case .function(let f) = member {
            return try ip.call(f, receiver: nil, arguments: arguments, named: named, site: self)
        }
        guard let global = ip.globals.values[globalIndex], case .function(let f) = global else {
            throw ip.noMethod(name, on: object, at: nameSpan)
        }
        return try ip.call(f, receiver: object, arguments: arguments, named: named, site: self)
    }
}

private func describeCallee(_ node: Node) -> String {
    switch node {
    case let g as GlobalGet: " (variable '\(g.name)')"
    case let f as FieldGet: " (field '\(f.name)')"
    default: ""
    }
}

// MARK: - Functions

/// What a function literal compiles to: parameters, body and the frame layout the resolver chose.
final class FunctionPrototype {
    let name: String
    let parameters: [String]
    let parameterSpans: [SourceSpan]
    let defaults: [Node?]
    let body: Node
    let span: SourceSpan
    let documentation: String?
    let frameSize: Int
    /// Parameters that closures capture: boxed into cells on entry.
    let cellParameters: [Int]
    /// Where each upvalue comes from in the enclosing function when a closure is made.
    let captures: [Capture]

    enum Capture { case local(slot: Int), upvalue(index: Int) }

    /// Never shared with another prototype, even one allocated where a freed one was.
    let serial = FunctionPrototype.serials.add(1, ordering: .relaxed).newValue
    private static let serials = Atomic<Int>(0)
    /// Its numeric-tier form (NumericTier.swift), compiled at its first call.
    var numericState = NumericFunctionState.untried
    /// The same, unretained, when the evaluator should run it there (`NumericFunction.worthEntering`).
    var numericEntry: Unmanaged<NumericFunction>?
    /// Earlier numeric forms, given up after a bail-out (`NumericFunction.retire`).
    var retiredNumericForms: [NumericFunction] = []

    init(name: String, parameters: [String], parameterSpans: [SourceSpan], defaults: [Node?], body: Node,
         span: SourceSpan, documentation: String?, frameSize: Int = 0, cellParameters: [Int] = [], captures: [Capture] = []) {
        self.name = name; self.parameters = parameters; self.parameterSpans = parameterSpans
        self.defaults = defaults; self.body = body; self.span = span; self.documentation = documentation
        self.frameSize = frameSize; self.cellParameters = cellParameters; self.captures = captures
    }

    /// The same function with resolved defaults and body and the frame layout the resolver chose.
    func resolved(defaults: [Node?], body: Node, frameSize: Int, cellParameters: [Int], captures: [Capture]) -> FunctionPrototype {
        FunctionPrototype(name: name, parameters: parameters, parameterSpans: parameterSpans, defaults: defaults, body: body,
                          span: span, documentation: documentation, frameSize: frameSize,
                          cellParameters: cellParameters, captures: captures)
    }

    var signature: String {
        let params = zip(parameters, defaults).map { name, value in
            if let literal = value as? Literal { return "\(name): \(literal.value.reprString)" }
            if let number = value as? NumberLiteral { return "\(name): \(formatNumber(number.number))" }
            return value == nil ? name : "\(name): ..."
        }
        return "\(name)(\(params.joined(separator: ", ")))"
    }
}

final class Closure: FunctionObject {
    let prototype: FunctionPrototype
    let upvalues: [Cell]
    /// The number of parameters, kept here because every call checks it.
    let arity: Int
    init(prototype: FunctionPrototype, upvalues: [Cell]) {
        self.prototype = prototype; self.upvalues = upvalues; self.arity = prototype.parameters.count
        super.init(name: prototype.name, isClosure: true)
    }
    override var signature: String { prototype.signature }
}

final class FunctionLiteral: Node {
    let prototype: FunctionPrototype
    init(prototype: FunctionPrototype) { self.prototype = prototype; super.init(span: prototype.span) }
    override func forEachChild(_ body: (Node) -> Void) {
        prototype.defaults.forEach { $0.map(body) }
        body(prototype.body)
    }
    override func eval(_ ip: Interpreter) throws -> Value {
        let upvalues = prototype.captures.map { capture -> Cell in
            switch capture {
            case .local(let slot): ip.cell(at: slot)
            case .upvalue(let index): ip.upvalue(index)
            }
        }
        return .function(Closure(prototype: prototype, upvalues: upvalues))
    }
}

// MARK: - Control flow

enum ControlSignal { case none, breakLoop, continueLoop, returning }

final class Block: Node {
    let statements: [Node]
    /// Unretained views of `statements`, which owns them (see `Call.argumentReferences`).
    private let statementReferences: [Unmanaged<Node>]
    /// Slots of functions declared in this block that closures capture: their cells exist from the
    /// block's start, so functions declared side by side can call each other.
    let hoistedCells: [Int]
    init(statements: [Node], hoistedCells: [Int] = [], span: SourceSpan) {
        self.statements = statements; self.hoistedCells = hoistedCells
        self.statementReferences = statements.map { Unmanaged.passUnretained($0) }
        super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { statements.forEach(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        for slot in hoistedCells { ip.stack[ip.base &+ slot] = .object(Cell(.nil)) }
        var result = Value.nil
        for index in statementReferences.indices {
            result = try statementReferences[index]._withUnsafeGuaranteedRef { try $0.eval(ip) }
            if ip.control != .none { return result }
        }
        return result
    }
}

/// Blocks of two or three statements without hoisted functions, the usual loop body: fixed
/// fields instead of an array, so running a statement costs no reference counting.
final class Block2: Node {
    let first: Node, second: Node
    init(_ first: Node, _ second: Node, span: SourceSpan) { self.first = first; self.second = second; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { body(first); body(second) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let result = try first.eval(ip)
        if ip.control != .none { return result }
        return try second.eval(ip)
    }
}

final class Block3: Node {
    let first: Node, second: Node, third: Node
    init(_ first: Node, _ second: Node, _ third: Node, span: SourceSpan) {
        self.first = first; self.second = second; self.third = third; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(first); body(second); body(third) }
    override func eval(_ ip: Interpreter) throws -> Value {
        var result = try first.eval(ip)
        if ip.control != .none { return result }
        result = try second.eval(ip)
        if ip.control != .none { return result }
        return try third.eval(ip)
    }
}

final class If: Node {
    let condition: Node
    let then: Node
    let otherwise: Node?
    init(condition: Node, then: Node, otherwise: Node?, span: SourceSpan) {
        self.condition = condition; self.then = then; self.otherwise = otherwise; super.init(span: span)
    }
    override func forEachChild(_ body: (Node) -> Void) { body(condition); body(then); otherwise.map(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        if try condition.evalCondition(ip) { return try then.eval(ip) }
        return try otherwise?.eval(ip) ?? .nil
    }
}

final class While: Node {
    let condition: Node
    let body: Node
    /// Its numeric-tier form (NumericTier.swift), compiled when it first runs.
    var numericState = NumericLoopState.untried
    init(condition: Node, body: Node, span: SourceSpan) { self.condition = condition; self.body = body; super.init(span: span) }
    override func forEachChild(_ visit: (Node) -> Void) { visit(condition); visit(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        if ip.numeric.suspended == 0, let loop = ip.numericLoop(self) {
            switch ip.numeric.run(loop) {
            case .finished: return .nil
            case .notApplicable: break
            case .bailedOut: return try ip.numeric.retrying { try evaluate(ip) }
            }
        }
        return try evaluate(ip)
    }

    private func evaluate(_ ip: Interpreter) throws -> Value {
        while true {
            try ip.checkInterrupt(at: span)
            guard try condition.evalCondition(ip) else { return .nil }
            _ = try body.eval(ip)
            if ip.control != .none {
                if ip.control == .returning { return .nil }
                let stop = ip.control == .breakLoop
                ip.control = .none
                if stop { return .nil }
            }
        }
    }
}

final class For: Node {
    let names: [String]
    let nameSpans: [SourceSpan]
    let iterable: Node
    let body: Node
    /// Chosen by the resolver: each loop variable's slot, and whether closures capture it.
    let slots: [Int]
    let isCell: [Bool]
    /// Its numeric-tier form (NumericTier.swift) when it runs over a range, compiled when it first runs.
    var numericState = NumericLoopState.untried
    init(names: [String], nameSpans: [SourceSpan], iterable: Node, body: Node, slots: [Int] = [], isCell: [Bool] = [],
         span: SourceSpan) {
        self.names = names; self.nameSpans = nameSpans; self.iterable = iterable; self.body = body
        self.slots = slots; self.isCell = isCell
        super.init(span: span)
    }
    override func forEachChild(_ visit: (Node) -> Void) { visit(iterable); visit(body) }

    override func eval(_ ip: Interpreter) throws -> Value {
        if ip.numeric.suspended == 0, let loop = ip.numericLoop(self) {
            switch ip.numeric.run(loop) {
            case .finished: return .nil
            case .notApplicable: break
            case .bailedOut(let range, let index):
                // A range loop always has its range; the evaluator goes on at the element it stopped at.
                guard let range else { break }
                try ip.numeric.retrying { try iterate(ip, range, from: index) }
                return .nil
            }
        }
        let sequence = try iterable.eval(ip)
        switch sequence {
        case .object(let range as RangeObject):
            try iterate(ip, range, from: 0)
        case .list(let list):
            var i = 0
            while i < list.items.count {
                if try step(ip, list.items[i]) { break }
                i += 1
            }
        case .string(let string):
            for character in string.value {
                if try step(ip, .str(String(character))) { break }
            }
        case .record(let record):
            for key in Array(record.fields.keys) {
                if try step(ip, .str(key)) { break }
            }
        case .object(let object as TensorObject):
            for row in try tensorRows(object.tensor, at: iterable.span) {
                if try step(ip, row) { break }
            }
        case .object(let object):
            guard let values = try object.iterationValues(at: iterable.span) else {
                throw Diagnostic("cannot iterate over \(sequence.typeName)", at: iterable.span)
            }
            for value in values {
                if try step(ip, value) { break }
            }
        default:
            throw Diagnostic("cannot iterate over \(sequence.typeName)", at: iterable.span)
        }
        return .nil
    }

    private func iterate(_ ip: Interpreter, _ range: RangeObject, from start: Int) throws {
        for i in start..<range.count {
            if try step(ip, .number(range[i])) { break }
        }
    }

    /// Runs the body once with `element`; returns true when the loop must end.
    @inline(__always)
    private func step(_ ip: Interpreter, _ element: Value) throws -> Bool {
        try ip.checkInterrupt(at: span)
        if slots.count == 1 {
            bind(ip, 0, element)
        } else {
            guard case .list(let parts) = element, parts.items.count == slots.count else {
                let got = if case .list(let l) = element { "a list of \(l.items.count)" } else { element.typeName }
                throw Diagnostic("cannot unpack \(got) into \(slots.count) loop variables (\(names.joined(separator: ", ")))",
                                 at: iterable.span)
            }
            for i in 0..<slots.count { bind(ip, i, parts.items[i]) }
        }
        _ = try body.eval(ip)
        if ip.control != .none {
            if ip.control == .returning { return true }
            let stop = ip.control == .breakLoop
            ip.control = .none
            return stop
        }
        return false
    }

    @inline(__always)
    private func bind(_ ip: Interpreter, _ i: Int, _ value: Value) {
        ip.stack[ip.base &+ slots[i]] = isCell[i] ? .object(Cell(value)) : value
    }
}

final class Break: Node {
    override func eval(_ ip: Interpreter) throws -> Value { ip.control = .breakLoop; return .nil }
}

final class Continue: Node {
    override func eval(_ ip: Interpreter) throws -> Value { ip.control = .continueLoop; return .nil }
}

final class Return: Node {
    let value: Node?
    init(value: Node?, span: SourceSpan) { self.value = value; super.init(span: span) }
    override func forEachChild(_ body: (Node) -> Void) { value.map(body) }
    override func eval(_ ip: Interpreter) throws -> Value {
        let result = try value?.eval(ip) ?? .nil
        if ip.control != .none { return result }
        // Loops and blocks between here and the call return their own values; the call takes this one.
        ip.returnValue = result
        ip.control = .returning
        return result
    }
}
