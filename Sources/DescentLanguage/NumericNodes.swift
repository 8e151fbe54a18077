#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The numeric tier's code (see NumericTier.swift): three small class hierarchies, for
// expressions that give a number, conditions that give a Swift Bool, and statements. Classes with
// overridden methods rather than closures: a virtual call is all a node costs, where closures
// capturing closures retained and allocated contexts on the way.

/// A numeric frame: parameters and locals by their frame slot (functions) or variables by the
/// register the compiler gave them (loops).
typealias Registers = UnsafeMutablePointer<Double>

/// An expression whose value is a number. Subclasses override `number`.
class NumberCode {
    func number(_ r: Registers) -> Double { .nan }
}

/// A condition. Subclasses override `test`.
class TestCode {
    func test(_ r: Registers) -> Bool { false }
}

/// A statement. Subclasses override `run`.
class StatementCode {
    func run(_ r: Registers) {}
}

// MARK: - Numbers

final class ConstantNumber: NumberCode {
    let value: Double
    init(_ value: Double) { self.value = value }
    override func number(_ r: Registers) -> Double { value }
}

final class RegisterNumber: NumberCode {
    let register: Int
    init(_ register: Int) { self.register = register }
    override func number(_ r: Registers) -> Double { r[register] }
}

/// A global read by a numeric function, where it lives: it must hold a number when read.
final class GlobalNumber: NumberCode {
    let machine: Unmanaged<NumericMachine>
    let index: Int
    init(machine: NumericMachine, index: Int) { self.machine = .passUnretained(machine); self.index = index }
    override func number(_ r: Registers) -> Double {
        machine._withUnsafeGuaranteedRef { machine in
            if case .number(let x)? = machine.globals[index] { return x }
            return machine.failOnType()
        }
    }
}

final class NegatedNumber: NumberCode {
    let operand: NumberCode
    init(_ operand: NumberCode) { self.operand = operand }
    override func number(_ r: Registers) -> Double { -operand.number(r) }
}

/// The arithmetic operators on numbers, for both tiers (`numericBinary` uses it too): Python's
/// floor division and remainder, IEEE everything else.
enum ArithmeticOperator {
    case add, subtract, multiply, divide, floorDivide, remainder, power

    @inline(__always)
    init?(_ op: BinaryOperator) {
        switch op {
        case .add: self = .add
        case .subtract: self = .subtract
        case .multiply: self = .multiply
        case .divide: self = .divide
        case .floorDivide: self = .floorDivide
        case .remainder: self = .remainder
        case .power: self = .power
        default: return nil
        }
    }

    @inline(__always)
    func apply(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .add: x + y
        case .subtract: x - y
        case .multiply: x * y
        case .divide: x / y
        case .floorDivide: (x / y).rounded(.down)
        case .remainder: pythonRemainder(x, y)
        case .power: pow(x, y)
        }
    }
}

final class Arithmetic: NumberCode {
    let op: ArithmeticOperator
    let left: NumberCode, right: NumberCode
    init(_ op: ArithmeticOperator, _ left: NumberCode, _ right: NumberCode) { self.op = op; self.left = left; self.right = right }
    override func number(_ r: Registers) -> Double { op.apply(left.number(r), right.number(r)) }
}

/// `n - 1`, `i * 0.5`: a register and a constant, the commonest operands, in one node.
final class RegisterConstantArithmetic: NumberCode {
    let op: ArithmeticOperator
    let register: Int
    let constant: Double
    let constantOnLeft: Bool
    init(_ op: ArithmeticOperator, register: Int, constant: Double, constantOnLeft: Bool) {
        self.op = op; self.register = register; self.constant = constant; self.constantOnLeft = constantOnLeft
    }
    override func number(_ r: Registers) -> Double { value(r) }

    @inline(__always)
    final func value(_ r: Registers) -> Double {
        constantOnLeft ? op.apply(constant, r[register]) : op.apply(r[register], constant)
    }
}

/// `if c { a } else { b }` as a value.
final class ConditionalNumber: NumberCode {
    let condition: TestCode
    let then: NumberCode, otherwise: NumberCode
    init(_ condition: TestCode, _ then: NumberCode, _ otherwise: NumberCode) {
        self.condition = condition; self.then = then; self.otherwise = otherwise
    }
    override func number(_ r: Registers) -> Double {
        condition.test(r) ? then.number(r) : otherwise.number(r)
    }
}

/// `if n < 2 { a } else { b }`: a register compared with a constant chooses the value, in one
/// node (the base case of most recursions).
final class RegisterConditionalNumber: NumberCode {
    let comparison: RegisterConstantComparison
    let then: NumberCode, otherwise: NumberCode
    init(_ comparison: RegisterConstantComparison, _ then: NumberCode, _ otherwise: NumberCode) {
        self.comparison = comparison; self.then = then; self.otherwise = otherwise
    }
    override func number(_ r: Registers) -> Double {
        comparison.holds(r) ? then.number(r) : otherwise.number(r)
    }
}

/// A block's statements, then its last expression's value.
final class SequenceNumber: NumberCode {
    let statements: StatementCode
    let result: NumberCode
    init(_ statements: StatementCode, _ result: NumberCode) { self.statements = statements; self.result = result }
    override func number(_ r: Registers) -> Double {
        statements.run(r)
        return result.number(r)
    }
}

/// A call of the numeric function held by a global, checked at every call to still be held there;
/// subclasses place the arguments (one class per common arity keeps each call path short).
/// The machine and the callee are held unretained, and reached through
/// `_withUnsafeGuaranteedRef`, so that a call costs no reference counting: the interpreter owns
/// the machine for as long as code runs, and the callee is reached only after checking that the
/// global holds a closure of its prototype, which owns it (retaining it would make every
/// recursive function keep itself alive).
class NumericCall: NumberCode {
    let machine: Unmanaged<NumericMachine>
    let target: Unmanaged<NumericFunction>
    let global: Int
    let serial: Int

    init(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int) {
        self.machine = .passUnretained(machine); self.target = .passUnretained(target)
        self.global = global; self.serial = serial
    }

    static func make(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int,
                     arguments: [NumberCode]) -> NumberCode {
        switch arguments.count {
        case 1:
            if let argument = arguments[0] as? RegisterConstantArithmetic {
                NumericCallRegisterConstant(machine: machine, target: target, global: global, serial: serial, argument)
            } else {
                NumericCall1(machine: machine, target: target, global: global, serial: serial, arguments[0])
            }
        case 2: NumericCall2(machine: machine, target: target, global: global, serial: serial, arguments[0], arguments[1])
        default: NumericCallN(machine: machine, target: target, global: global, serial: serial, arguments)
        }
    }

    /// Enters the callee with its arguments in `frame` (the machine's top), as the evaluator's
    /// `enter` would: a step, the callee still in its global, the depth and stack limits.
    @inline(__always)
    final func invoke(_ frame: Registers) -> Double {
        machine._withUnsafeGuaranteedRef { machine in
            target._withUnsafeGuaranteedRef { target in
                guard machine.step() else { return .nan }
                guard holdsClosure(machine.globals + global, serial: serial), target.usable else {
                    return machine.failOnType()
                }
                let depth = machine.depth
                guard depth < machine.maxDepth, depth & 15 != 15 || StackGuard.hasRoom(),
                      frame + target.frameSize <= machine.stackEnd else {
                    machine.failed = true
                    return .nan
                }
                machine.depth = depth + 1
                machine.top = frame + target.frameSize
                // A usable target has its body: a function that failed to compile was marked unusable.
                var result = target.bodyReference.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.number(frame) }
                if machine.jump == .returning {
                    machine.jump = .none
                    result = machine.returnValue
                }
                machine.top = frame
                machine.depth = depth
                return result
            }
        }
    }

    /// Where the callee's frame starts: above the caller's.
    @inline(__always)
    final var nextFrame: Registers { machine._withUnsafeGuaranteedRef { $0.top } }
}

final class NumericCall1: NumericCall {
    let argument: NumberCode
    init(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int, _ argument: NumberCode) {
        self.argument = argument
        super.init(machine: machine, target: target, global: global, serial: serial)
    }
    override func number(_ r: Registers) -> Double {
        let x = argument.number(r)
        let frame = nextFrame
        frame[0] = x
        return invoke(frame)
    }
}

/// `f(n - 1)`: a call whose one argument is a register and a constant, computed in place.
final class NumericCallRegisterConstant: NumericCall {
    let argument: RegisterConstantArithmetic
    init(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int, _ argument: RegisterConstantArithmetic) {
        self.argument = argument
        super.init(machine: machine, target: target, global: global, serial: serial)
    }
    override func number(_ r: Registers) -> Double {
        let x = argument.value(r)
        let frame = nextFrame
        frame[0] = x
        return invoke(frame)
    }
}

final class NumericCall2: NumericCall {
    let first: NumberCode, second: NumberCode
    init(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int, _ first: NumberCode, _ second: NumberCode) {
        self.first = first; self.second = second
        super.init(machine: machine, target: target, global: global, serial: serial)
    }
    override func number(_ r: Registers) -> Double {
        let x = first.number(r)
        let y = second.number(r)
        let frame = nextFrame
        frame[0] = x
        frame[1] = y
        return invoke(frame)
    }
}

final class NumericCallN: NumericCall {
    let arguments: [NumberCode]
    init(machine: NumericMachine, target: NumericFunction, global: Int, serial: Int, _ arguments: [NumberCode]) {
        self.arguments = arguments
        super.init(machine: machine, target: target, global: global, serial: serial)
    }
    override func number(_ r: Registers) -> Double {
        // Each argument goes into the callee's frame as soon as it is known; calls in later
        // arguments build their frames above it.
        let frame = nextFrame
        let end = machine._withUnsafeGuaranteedRef { $0.stackEnd }
        guard frame + arguments.count <= end else { return machine._withUnsafeGuaranteedRef { $0.failOnStack() } }
        for index in arguments.indices {
            let x = arguments[index].number(r)
            frame[index] = x
            machine._withUnsafeGuaranteedRef { $0.top = frame + index + 1 }
        }
        machine._withUnsafeGuaranteedRef { $0.top = frame }
        return invoke(frame)
    }
}

/// Whether the global slot holds a closure of the prototype numbered `serial`. (Serial numbers,
/// unlike addresses, are never reused by a later prototype.)
@inline(__always)
private func holdsClosure(_ slot: UnsafeMutablePointer<Value?>, serial: Int) -> Bool {
    guard case .function(let function)? = slot.pointee, function.isClosure else { return false }
    return unsafeDowncast(function, to: Closure.self).prototype.serial == serial
}

// MARK: - Conditions

/// The comparisons on numbers, for both tiers (`numericComparison` uses it too).
enum ComparisonOperator {
    case less, lessEqual, greater, greaterEqual, equal, notEqual

    @inline(__always)
    init?(_ op: BinaryOperator) {
        switch op {
        case .less: self = .less
        case .lessEqual: self = .lessEqual
        case .greater: self = .greater
        case .greaterEqual: self = .greaterEqual
        case .equal: self = .equal
        case .notEqual: self = .notEqual
        default: return nil
        }
    }

    @inline(__always)
    func apply(_ x: Double, _ y: Double) -> Bool {
        switch self {
        case .less: x < y
        case .lessEqual: x <= y
        case .greater: x > y
        case .greaterEqual: x >= y
        case .equal: x == y
        case .notEqual: x != y
        }
    }
}

final class Comparison: TestCode {
    let op: ComparisonOperator
    let left: NumberCode, right: NumberCode
    init(_ op: ComparisonOperator, _ left: NumberCode, _ right: NumberCode) { self.op = op; self.left = left; self.right = right }
    override func test(_ r: Registers) -> Bool { op.apply(left.number(r), right.number(r)) }
}

/// `n < 2`, `i < 3000000`: a register compared with a constant.
final class RegisterConstantComparison: TestCode {
    let op: ComparisonOperator
    let register: Int
    let constant: Double
    let constantOnLeft: Bool
    init(_ op: ComparisonOperator, register: Int, constant: Double, constantOnLeft: Bool) {
        self.op = op; self.register = register; self.constant = constant; self.constantOnLeft = constantOnLeft
    }
    override func test(_ r: Registers) -> Bool { holds(r) }

    @inline(__always)
    final func holds(_ r: Registers) -> Bool {
        constantOnLeft ? op.apply(constant, r[register]) : op.apply(r[register], constant)
    }
}

/// `a < b <= c`: each operand once, stopping at the first false comparison.
final class ComparisonChainTest: TestCode {
    let ops: [ComparisonOperator]
    let operands: [NumberCode]
    init(ops: [ComparisonOperator], operands: [NumberCode]) { self.ops = ops; self.operands = operands }
    override func test(_ r: Registers) -> Bool {
        var left = operands[0].number(r)
        for index in ops.indices {
            let right = operands[index + 1].number(r)
            if !ops[index].apply(left, right) { return false }
            left = right
        }
        return true
    }
}

final class LogicalTest: TestCode {
    let isAnd: Bool
    let left: TestCode, right: TestCode
    init(isAnd: Bool, _ left: TestCode, _ right: TestCode) { self.isAnd = isAnd; self.left = left; self.right = right }
    override func test(_ r: Registers) -> Bool {
        isAnd ? left.test(r) && right.test(r) : left.test(r) || right.test(r)
    }
}

final class NegatedTest: TestCode {
    let operand: TestCode
    init(_ operand: TestCode) { self.operand = operand }
    override func test(_ r: Registers) -> Bool { !operand.test(r) }
}

final class ConstantTest: TestCode {
    let value: Bool
    init(_ value: Bool) { self.value = value }
    override func test(_ r: Registers) -> Bool { value }
}

/// A number as a condition: Python's truthiness, so NaN is true.
final class NumberTruth: TestCode {
    let operand: NumberCode
    init(_ operand: NumberCode) { self.operand = operand }
    override func test(_ r: Registers) -> Bool { operand.number(r) != 0 }
}

// MARK: - Statements

final class Store: StatementCode {
    let register: Int
    let value: NumberCode
    init(register: Int, value: NumberCode) { self.register = register; self.value = value }
    override func run(_ r: Registers) { r[register] = value.number(r) }
}

/// Where a loop's assignment flags are: one per register, `offset` registers above it (the
/// number of registers, known once the whole loop is compiled).
final class FlagOffset {
    var offset = 0
}

/// An assignment in a loop: also flags the register as assigned, so that a variable the loop
/// assigns only on some paths is written back only if it was.
final class LoopStore: StatementCode {
    let register: Int
    let value: NumberCode
    let flags: FlagOffset
    init(register: Int, value: NumberCode, flags: FlagOffset) { self.register = register; self.value = value; self.flags = flags }
    override func run(_ r: Registers) {
        r[register] = value.number(r)
        r[register + flags.offset] = 1
    }
}

/// The arguments of `range(...)` in `for x in range(...)`, evaluated and checked as the built-in
/// checks them; the global `range` must still hold the built-in.
final class RangeHeader {
    let global: Int
    let builtin: BuiltinFunction
    let arguments: [NumberCode]
    init(global: Int, builtin: BuiltinFunction, arguments: [NumberCode]) {
        self.global = global; self.builtin = builtin; self.arguments = arguments
    }

    /// The range, or nil when the evaluator must make it (or report why it cannot).
    func evaluate(_ r: Registers, globals: UnsafeMutablePointer<Value?>) -> (start: Double, stop: Double, step: Double)? {
        let first = arguments[0].number(r)
        let (start, stop) = arguments.count > 1 ? (first, arguments[1].number(r)) : (0.0, first)
        let step = arguments.count > 2 ? arguments[2].number(r) : 1
        guard case .function(let function)? = globals[global], function === builtin,
              RangeObject.problem(start: start, stop: stop, step: step) == nil else { return nil }
        return (start, stop, step)
    }
}

/// `for x in range(...)` inside numeric code: a step per element, as the evaluator takes.
final class RangeLoopStatement: StatementCode {
    let machine: Unmanaged<NumericMachine>
    let header: RangeHeader
    let register: Int
    let body: StatementCode
    /// In a loop's registers, the loop variable's assignment is flagged (see `LoopStore`).
    let flags: FlagOffset?
    init(machine: NumericMachine, header: RangeHeader, register: Int, body: StatementCode, flags: FlagOffset?) {
        self.machine = .passUnretained(machine); self.header = header; self.register = register; self.body = body
        self.flags = flags
    }
    override func run(_ r: Registers) {
        machine._withUnsafeGuaranteedRef { machine in
            guard let (start, stop, step) = header.evaluate(r, globals: machine.globals) else {
                _ = machine.failOnType()
                return
            }
            let flag = flags.map { register + $0.offset }
            for index in 0..<RangeObject.count(start: start, stop: stop, step: step) {
                guard machine.step() else { return }
                r[register] = start + Double(index) * step
                if let flag { r[flag] = 1 }
                body.run(r)
                if machine.jump != .none && machine.endsLoop() { return }
            }
        }
    }
}

/// `x = x op value`, `total += i * 0.5`: the register read, combined and written by one node.
final class UpdateInPlace: StatementCode {
    let op: ArithmeticOperator
    let register: Int
    let value: NumberCode
    init(_ op: ArithmeticOperator, register: Int, value: NumberCode) { self.op = op; self.register = register; self.value = value }
    override func run(_ r: Registers) {
        let operand = value.number(r)
        r[register] = op.apply(r[register], operand)
    }
}

/// `i = i + 1`, `n -= 2`: a register updated with a constant.
final class ConstantUpdate: StatementCode {
    let op: ArithmeticOperator
    let register: Int
    let constant: Double
    init(_ op: ArithmeticOperator, register: Int, constant: Double) { self.op = op; self.register = register; self.constant = constant }
    override func run(_ r: Registers) { r[register] = op.apply(r[register], constant) }
}

/// `return x` as a statement: what follows, up to the end of the function, does not run.
final class ReturnStatement: StatementCode {
    let machine: Unmanaged<NumericMachine>
    let value: NumberCode
    init(machine: NumericMachine, value: NumberCode) { self.machine = .passUnretained(machine); self.value = value }
    override func run(_ r: Registers) {
        let x = value.number(r)
        machine._withUnsafeGuaranteedRef { machine in
            machine.returnValue = x
            machine.jump = .returning
        }
    }
}

/// `break` or `continue`.
final class LoopJump: StatementCode {
    let machine: Unmanaged<NumericMachine>
    let jump: NumericMachine.Jump
    init(machine: NumericMachine, jump: NumericMachine.Jump) { self.machine = .passUnretained(machine); self.jump = jump }
    override func run(_ r: Registers) { machine._withUnsafeGuaranteedRef { $0.jump = jump } }
}

/// Two statements in code that has `return`, `break` or `continue`: the second runs only if the
/// first did not jump.
final class JumpAwarePair: StatementCode {
    let machine: Unmanaged<NumericMachine>
    let first: StatementCode, second: StatementCode
    init(machine: NumericMachine, _ first: StatementCode, _ second: StatementCode) {
        self.machine = .passUnretained(machine); self.first = first; self.second = second
    }
    override func run(_ r: Registers) {
        first.run(r)
        if machine._withUnsafeGuaranteedRef({ $0.jump != .none }) { return }
        second.run(r)
    }
}

/// A block's statements, then its value, in code that has `return`, `break` or `continue`.
final class JumpAwareSequence: NumberCode {
    let machine: Unmanaged<NumericMachine>
    let statements: StatementCode
    let result: NumberCode
    init(machine: NumericMachine, _ statements: StatementCode, _ result: NumberCode) {
        self.machine = .passUnretained(machine); self.statements = statements; self.result = result
    }
    override func number(_ r: Registers) -> Double {
        statements.run(r)
        if machine._withUnsafeGuaranteedRef({ $0.jump != .none }) { return .nan }  // the jump's target takes over
        return result.number(r)
    }
}

/// An expression statement: evaluated for its calls' steps and failures, its value dropped.
final class DiscardedNumber: StatementCode {
    let value: NumberCode
    init(_ value: NumberCode) { self.value = value }
    override func run(_ r: Registers) { _ = value.number(r) }
}

final class StatementPair: StatementCode {
    let first: StatementCode, second: StatementCode
    init(_ first: StatementCode, _ second: StatementCode) { self.first = first; self.second = second }
    override func run(_ r: Registers) {
        first.run(r)
        second.run(r)
    }
}

final class ConditionalStatement: StatementCode {
    let condition: TestCode
    let then: StatementCode, otherwise: StatementCode?
    init(_ condition: TestCode, _ then: StatementCode, _ otherwise: StatementCode?) {
        self.condition = condition; self.then = then; self.otherwise = otherwise
    }
    override func run(_ r: Registers) {
        if condition.test(r) { then.run(r) } else { otherwise?.run(r) }
    }
}

/// A loop inside numeric code: each iteration is a step, and a failure ends it at once.
final class LoopStatement: StatementCode {
    let machine: Unmanaged<NumericMachine>
    let condition: TestCode
    let body: StatementCode
    init(machine: NumericMachine, condition: TestCode, body: StatementCode) {
        self.machine = .passUnretained(machine); self.condition = condition; self.body = body
    }
    override func run(_ r: Registers) {
        machine._withUnsafeGuaranteedRef { machine in
            while machine.step() && condition.test(r) {
                body.run(r)
                if machine.jump != .none && machine.endsLoop() { return }
            }
        }
    }
}
