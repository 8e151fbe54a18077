#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The numeric tier. Code that computes only with numbers (a function whose arguments, locals and
// result are numbers; a `while` loop whose variables are numbers) also exists as a tree of Swift
// closures over unboxed doubles: no `Value` boxing, no type dispatch, no `throws`, no reference
// counting. The tree-walking evaluator stays the reference: the tier only ever runs code whose
// every step it can prove would compute the same numbers there, and whenever something it cannot
// reproduce happens (a value that is not a number, Ctrl-C, the step limit, the call-depth limit,
// a global function replaced) it bails out: nothing it did is visible yet, and the evaluator runs
// the same call or loop iteration again and produces the result or diagnostic it always would.
// This is the type specialisation of Truffle's self-specialising AST interpreters, done once per
// function instead of per node.

/// A function's numeric form.
final class NumericFunction {
    /// The function it is the form of, which owns it.
    unowned(unsafe) let prototype: FunctionPrototype
    let frameSize: Int
    /// Set once compiled; a recursive call compiled before that reads it at run time.
    var body: NumberCode? {
        didSet { bodyReference = body.map { Unmanaged.passUnretained($0) } }
    }
    /// The same, unretained, for calls (see `NumericCall`).
    private(set) var bodyReference: Unmanaged<NumberCode>?
    /// False once it bailed out on a value that was not a number: callers then bail out too.
    var usable = true
    /// Whether the evaluator should run it here when it calls it: entering the tier costs more
    /// than a body without calls or loops (`fn(y) => y / 2` in a `map`) saves.
    var worthEntering = false
    /// Globals it reads (numbers, or the functions it calls) and the functions it calls, so that a
    /// loop that assigns one of those globals is not compiled (it keeps them in registers).
    var globalsRead: Set<Int> = []
    var callees: [WeakFunction] = []
    /// Compilations of one function, counting the first: after a bail-out on a value that was not
    /// a number it is compiled again at its next call (a global it reads may have changed type
    /// back, or a function it calls have been redefined, as happens in the REPL), this many times.
    static let maximumCompilations = 4

    init(prototype: FunctionPrototype, frameSize: Int) { self.prototype = prototype; self.frameSize = frameSize }

    /// It bailed out on a value that was not a number: callers compiled against it bail out too
    /// from now on, and its function is compiled afresh at its next call. It stays alive, owned
    /// by its function, because code compiled earlier holds it unretained.
    func retire() {
        usable = false
        prototype.numericEntry = nil
        prototype.retiredNumericForms.append(self)
        prototype.numericState = prototype.retiredNumericForms.count < Self.maximumCompilations ? .untried : .impossible
    }
}

/// A callee remembered for compiling loops later; it may have been freed by then.
struct WeakFunction {
    weak var function: NumericFunction?
}

enum NumericFunctionState {
    case untried
    case compiling(NumericFunction)
    case compiled(NumericFunction)
    case impossible
}

/// A loop's numeric form: the variables it uses live in registers while it runs, each with a
/// flag (at `flags.offset` above it) set when the loop assigns it.
final class NumericLoop {
    enum Variable: Hashable { case local(Int), global(Int) }
    enum Kind {
        case whileLoop(condition: TestCode, body: StatementCode)
        /// `for x in range(...)`: the loop variable's register and the body.
        case rangeLoop(header: RangeHeader, register: Int, body: StatementCode)
    }
    let kind: Kind
    let variables: [Variable]
    /// Registers read before the loop assigns them: they must hold numbers when it starts.
    let requiredAtEntry: [Bool]
    /// Registers the loop assigns, written back when it ends if they were assigned.
    let written: [Bool]
    /// Whether an iteration can bail out part-way (it calls functions or runs inner loops); the
    /// registers are then saved before each iteration, so the evaluator can redo that iteration.
    let canBailMidIteration: Bool
    /// False once a function it calls bailed out on a value that was not a number.
    var usable = true
    /// Which compilation of its loop this is (see `NumericFunction.maximumCompilations`).
    var compilation = 1
    init(kind: Kind, variables: [Variable], requiredAtEntry: [Bool], written: [Bool], canBailMidIteration: Bool) {
        self.kind = kind; self.variables = variables; self.requiredAtEntry = requiredAtEntry; self.written = written
        self.canBailMidIteration = canBailMidIteration
    }
}

enum NumericLoopState {
    case untried
    case compiled(NumericLoop)
    case impossible
}

/// How running a loop in the tier ended.
enum LoopOutcome {
    case finished
    /// A variable it reads first is not a number, or its range is not one the tier makes: nothing ran.
    case notApplicable
    /// It stopped at the start of an iteration, with every variable as it was there: the evaluator
    /// goes on from that iteration (for a range loop, element `index` of `range`).
    case bailedOut(range: RangeObject?, index: Int)
}

/// What running numeric code gave.
enum NumericOutcome {
    case number(Double)
    /// The code does not apply to these values (an argument is not a number): nothing ran.
    case notApplicable
    /// It stopped part-way; the evaluator must run the same code again.
    case bailedOut
}

/// The run-time state of the tier for one interpreter: a stack of numeric frames, the call depth,
/// the step count, and whether the running code has bailed out. What the evaluator keeps of these
/// (steps left, depth, where globals live) is copied in when numeric code starts and back when it
/// ends, so that the hot paths touch only this object.
final class NumericMachine {
    /// Only used where numeric code starts and ends.
    unowned(unsafe) let ip: Interpreter
    let interrupt: InterruptFlag
    let maxDepth: Int
    let stackStart: Registers
    let stackEnd: Registers
    var top: Registers
    var depth = 0
    var globals: UnsafeMutablePointer<Value?>
    var countsSteps = false
    var stepsLeft = 0
    var failed = false
    /// A `return`, `break` or `continue` ran: code up to the end of the function or loop it
    /// leaves does not run, and a call then gives `returnValue`.
    var jump = Jump.none
    var returnValue = 0.0
    enum Jump: UInt8 { case none, returning, breaking, continuing }
    /// The failure came from a value that was not a number: the code concerned is given up.
    var typeFailure = false
    /// Counts runs of the evaluator that redo what the tier bailed out of; the tier stays out of
    /// them, so a bail-out deep in a recursion costs one retry, not one per level.
    var suspended = 0
    static let stackCapacity = 1 << 20
    private let mappedBytes: Int

    init(_ ip: Interpreter) {
        self.ip = ip
        interrupt = ip.interrupt
        maxDepth = ip.maxCallDepth
        globals = ip.globals.values
        // Mapped rather than allocated: its pages are only touched as frames reach them, and all of
        // them go back to the system with the interpreter (from malloc, an 8 MiB block would stay
        // in the allocator's arena, and sessions created one after another would keep their pages).
        // Without the mapping, the stack has room for nothing and numeric code stays in the evaluator.
        let bytes = Self.stackCapacity * MemoryLayout<Double>.stride
        if let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
           mapped != MAP_FAILED {
            stackStart = mapped.assumingMemoryBound(to: Double.self)
            mappedBytes = bytes
        } else {
            stackStart = .allocate(capacity: 1)
            mappedBytes = 0
        }
        stackEnd = stackStart + mappedBytes / MemoryLayout<Double>.stride
        top = stackStart
    }

    deinit {
        if mappedBytes > 0 { munmap(stackStart, mappedBytes) } else { stackStart.deallocate() }
    }

    /// One call or loop iteration: false (and the run fails) where the evaluator would stop with
    /// a diagnostic (Ctrl-C, time or step limit), or when the run already failed.
    @inline(__always)
    func step() -> Bool {
        if failed { return false }
        if interrupt.isRaised {
            failed = true
            return false
        }
        if countsSteps {
            stepsLeft &-= 1
            if stepsLeft < 0 {
                failed = true
                return false
            }
        }
        return true
    }

    /// Runs the evaluator's retry of code the tier bailed out of, with the tier kept out of it.
    func retrying<R>(_ retry: () throws -> R) rethrows -> R {
        suspended += 1
        defer { suspended -= 1 }
        return try retry()
    }

    /// After a loop's body jumped: whether the loop ends (`break`, or a `return` leaving the
    /// function); a `continue` is consumed here.
    @inline(__always)
    func endsLoop() -> Bool {
        if jump == .returning { return true }
        let stop = jump == .breaking
        jump = .none
        return stop
    }

    /// The numeric stack is full: the evaluator, whose stack grows, takes over.
    func failOnStack() -> Double {
        failed = true
        return .nan
    }

    @inline(__always)
    func failOnType() -> Double {
        failed = true
        typeFailure = true
        return .nan
    }

    // MARK: Entry from the evaluator

    private func begin() {
        globals = ip.globals.values
        countsSteps = ip.countsSteps
        stepsLeft = ip.stepCheckpoint
        depth = ip.depth
    }

    /// Back to the evaluator; after a failure, with the steps left at `checkpoint`, where the code
    /// the evaluator redoes started.
    private func end(checkpoint: Int, function: NumericFunction? = nil, loop: NumericLoop? = nil) -> Bool {
        guard failed else {
            ip.stepCheckpoint = stepsLeft
            return true
        }
        if typeFailure {
            function?.retire()
            loop?.usable = false
        }
        failed = false
        typeFailure = false
        ip.stepCheckpoint = checkpoint
        return false
    }

    /// Calls `function` with the `count` arguments at `arguments`.
    func call(_ function: NumericFunction, arguments: UnsafeMutablePointer<Value>, count: Int) -> NumericOutcome {
        let frame = top
        guard function.usable, stackEnd - frame >= function.frameSize else { return .notApplicable }
        for index in 0..<count {
            guard case .number(let x) = arguments[index] else { return .notApplicable }
            frame[index] = x
        }
        begin()
        let checkpoint = stepsLeft
        var result = Double.nan
        if step() {
            depth += 1
            top = frame + function.frameSize
            result = function.body.unsafelyUnwrapped.number(frame)  // entered only once compiled
            if jump == .returning {
                jump = .none
                result = returnValue
            }
            top = frame
        }
        return end(checkpoint: checkpoint, function: function) ? .number(result) : .bailedOut
    }

    /// Runs `loop` over the current frame and globals.
    func run(_ loop: NumericLoop) -> LoopOutcome {
        let count = loop.variables.count
        // Registers, their flags, and the same again saved at the start of each iteration.
        let registers = top
        guard stackEnd - registers >= 4 * count else { return .notApplicable }
        var validAtEntry = [Bool](repeating: false, count: count)
        for (index, variable) in loop.variables.enumerated() {
            if case .number(let x)? = read(variable) {
                registers[index] = x
                validAtEntry[index] = true
            } else if loop.requiredAtEntry[index] {
                return .notApplicable
            }
        }
        (registers + count).initialize(repeating: 0, count: count)
        let saved = registers + 2 * count
        begin()
        var range: (start: Double, stop: Double, step: Double)?
        if case .rangeLoop(let header, _, _) = loop.kind {
            guard let evaluated = header.evaluate(registers, globals: globals) else { return .notApplicable }
            range = evaluated
        }
        let elements = range.map { RangeObject.count(start: $0.start, stop: $0.stop, step: $0.step) } ?? 0
        // Taken out of the enum once, unretained (`loop` owns them): matching the enum, or binding
        // an optional, in the loop retained and released them every iteration.
        let condition: Unmanaged<TestCode>?, body: Unmanaged<StatementCode>, loopVariable: Int
        switch loop.kind {
        case .whileLoop(let test, let statements):
            (condition, body, loopVariable) = (.passUnretained(test), .passUnretained(statements), 0)
        case .rangeLoop(_, let register, let statements):
            (condition, body, loopVariable) = (nil, .passUnretained(statements), register)
        }
        top = saved + 2 * count
        var index = 0
        var checkpoint = stepsLeft
        while true {
            checkpoint = stepsLeft
            if loop.canBailMidIteration { saved.update(from: registers, count: 2 * count) }
            if let condition {
                // The evaluator takes a step before each condition...
                guard step() && condition._withUnsafeGuaranteedRef({ $0.test(registers) }) else { break }
            } else {
                // ...and before each element only.
                guard index < elements, step(), let (start, _, step) = range else { break }
                registers[loopVariable] = start + Double(index) * step
                registers[loopVariable + count] = 1
            }
            body._withUnsafeGuaranteedRef { $0.run(registers) }
            if failed { break }
            if jump != .none {
                let stop = jump == .breaking
                jump = .none
                if stop { break }
            }
            index += 1
        }
        if failed && loop.canBailMidIteration { registers.update(from: saved, count: 2 * count) }
        top = registers
        let finished = end(checkpoint: checkpoint, loop: loop)
        for (index, variable) in loop.variables.enumerated()
        where loop.written[index] && (validAtEntry[index] || registers[count + index] != 0) {
            write(variable, registers[index])
        }
        if finished { return .finished }
        return .bailedOut(range: range.map { RangeObject(start: $0.start, stop: $0.stop, step: $0.step) }, index: index)
    }

    private func read(_ variable: NumericLoop.Variable) -> Value? {
        switch variable {
        case .local(let slot): ip.stack[ip.base + slot]
        case .global(let index): ip.globals.values[index]
        }
    }

    private func write(_ variable: NumericLoop.Variable, _ x: Double) {
        switch variable {
        case .local(let slot): ip.stack[ip.base + slot] = .number(x)
        case .global(let index): ip.globals.values[index] = .number(x)
        }
    }
}

extension Interpreter {
    /// The numeric form of `prototype`, compiled on first use; nil when it has none.
    /// The numeric form the evaluator runs when it calls `prototype`, compiled at its first call;
    /// nil when there is none worth entering.
    @inline(__always)
    func numericEntry(_ prototype: FunctionPrototype) -> Unmanaged<NumericFunction>? {
        if case .untried = prototype.numericState {
            var compiler = NumericCompiler(ip: self, machine: numeric)
            _ = compiler.compileFunction(prototype)
        }
        return prototype.numericEntry
    }

    func numericLoop(_ loop: While) -> NumericLoop? {
        cachedLoop(&loop.numericState) { $0.compileLoop(loop) }
    }

    func numericLoop(_ loop: For) -> NumericLoop? {
        cachedLoop(&loop.numericState) { $0.compileRangeLoop(loop) }
    }

    /// A loop's numeric form, compiled when it first runs and again (a few times) after one
    /// bailed out on a value that was not a number.
    private func cachedLoop(_ state: inout NumericLoopState, compile: (inout NumericCompiler) -> NumericLoop?) -> NumericLoop? {
        var compilation = 1
        switch state {
        case .compiled(let compiled):
            if compiled.usable { return compiled }
            guard compiled.compilation < NumericFunction.maximumCompilations else {
                state = .impossible
                return nil
            }
            compilation = compiled.compilation + 1
        case .impossible: return nil
        case .untried: break
        }
        var compiler = NumericCompiler(ip: self, machine: numeric)
        let compiled = compile(&compiler)
        compiled?.compilation = compilation
        state = compiled.map { .compiled($0) } ?? .impossible
        return compiled
    }
}

