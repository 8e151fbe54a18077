import DescentTensor
import Synchronization

/// Set from a signal handler when the user presses Ctrl-C; running code polls it at loop
/// back-edges and calls. Owned by whoever installs the handler (the CLI).
public final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let expired = Atomic<Bool>(false)
    public init() {}
    public func raise() { flag.store(true, ordering: .relaxed) }
    /// Ctrl-C was handled: running code may go on. A passed deadline is not cleared.
    public func clear() { if !hasExpired { flag.store(false, ordering: .relaxed) } }
    /// The time limit has passed (`descent run --timeout`): every later check stops the program,
    /// even in code that handles Ctrl-C by returning what it has (train, searches).
    public func expire() {
        expired.store(true, ordering: .relaxed)
        flag.store(true, ordering: .relaxed)
    }
    public var hasExpired: Bool { expired.load(ordering: .relaxed) }
    @inline(__always) public var isRaised: Bool { flag.load(ordering: .relaxed) }
}

/// Where `print` writes. Buffered; flushed when asked, when large, or on every write when the
/// owner wants interactive output.
public final class Output {
    private var buffer: [UInt8] = []
    private let sink: ([UInt8]) -> Void
    public var flushesEveryWrite: Bool

    public init(flushesEveryWrite: Bool = false, sink: @escaping ([UInt8]) -> Void) {
        self.sink = sink
        self.flushesEveryWrite = flushesEveryWrite
    }

    /// At most this many bytes are written per run (nil: no limit); what goes past it is dropped
    /// and `print` reports the limit, so a runaway print loop cannot fill a disk.
    public var byteLimit: Int?
    public private(set) var bytesWritten = 0
    public var isOverLimit: Bool { byteLimit.map { bytesWritten > $0 } ?? false }

    public func write(_ text: String) {
        let bytes = text.utf8
        bytesWritten += bytes.count
        if let byteLimit, bytesWritten > byteLimit {
            let room = max(0, byteLimit - (bytesWritten - bytes.count))
            buffer.append(contentsOf: bytes.prefix(room))
        } else {
            buffer.append(contentsOf: bytes)
        }
        if flushesEveryWrite || buffer.count >= 1 << 16 || monotonicSeconds() - lastFlush > 0.1 { flush() }
    }

    /// Output to a pipe or file is written in blocks, but a write more than a tenth of a second
    /// after the last flush goes out at once: occasional progress lines (`descent run train.dsc |
    /// tee log`) appear as they are printed, while bursts of prints still cost one write each block.
    private var lastFlush = monotonicSeconds()

    /// A new run starts counting from zero.
    public func resetCount() { bytesWritten = 0 }

    /// While set, flushed output collects here instead of reaching the sink: `replicate` keeps
    /// each seed's prints apart, to write them in seed order whichever process ran the seed.
    public var diverted: [UInt8]?

    public func flush() {
        lastFlush = monotonicSeconds()
        guard !buffer.isEmpty else { return }
        if diverted != nil { diverted?.append(contentsOf: buffer) } else { sink(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The state of one Descent session: globals, the value stack, and everything running code needs.
public final class Interpreter {
    public let sources = SourceRegistry()
    public let globals = GlobalTable()
    public let output: Output
    public let interrupt: InterruptFlag
    public let maxCallDepth: Int

    /// Frame slots of every active call, one contiguous region (like Lua's stack); closures never
    /// point into it, they capture cells.
    var stack: UnsafeMutablePointer<Value>
    private var stackCapacity: Int
    var base = 0
    var top = 0
    var control = ControlSignal.none
    var returnValue = Value.nil
    var depth = 0
    /// The closure whose body is running. Unowned: the call site holds the function value
    /// for the whole call, so this never outlives it, and skipping the retain speeds up calls.
    unowned(unsafe) var currentClosure: Closure?
    /// The closure whose body is running, as a value (a strong reference).
    var runningClosure: Closure { currentClosure.unsafelyUnwrapped }
    public private(set) var builtinNames: [String] = []
    /// The tape of the gradient being computed, if any.
    public let gradients = GradientContext()
    /// The session's random numbers: `seed(n)` resets them; the same on every platform.
    public var random = RandomGenerator(seed: Interpreter.defaultSeed)
    public static let defaultSeed: UInt64 = 0
    /// The run seed (`descent run --seed N`, `:seed N`), mixed into every random stream: the
    /// session's, every `seed(k)` and every `seed:` argument. 0 leaves each stream as its own seed
    /// makes it; any other value reruns the same program on independent random numbers.
    public var runSeed: UInt64 = 0 {
        didSet { random = generator(seed: Interpreter.defaultSeed) }
    }

    /// The random numbers that seed k gives in this session: its run seed mixed in.
    public func generator(seed: UInt64) -> RandomGenerator {
        RandomGenerator(seed: Interpreter.mixing(seed, runSeed: runSeed))
    }

    /// k itself for run seed 0, else k hashed with the run seed (SplitMix64's finaliser), so that
    /// nearby run seeds and nearby k give unrelated streams.
    static func mixing(_ seed: UInt64, runSeed: UInt64) -> UInt64 {
        guard runSeed != 0 else { return seed }
        func finalised(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return finalised(finalised(runSeed) ^ seed)
    }
    /// Whether output goes to a terminal a person watches: train() then draws its progress bar.
    public var showsProgress = false
    /// How many processes a search uses when not told (`workers:`). The command line sets it to
    /// the number of cores; embedders that run other threads keep 1, since forking a process
    /// whose other threads hold locks is unsafe.
    public var defaultWorkers = 1
    /// Plots are drawn this many columns wide, in colour when asked (set by the command line
    /// from the terminal and NO_COLOR).
    public var plotWidth = 80
    public var plotColor = false
    /// The folder of the bundled data sets (lessons/data), found by the command line.
    public var dataDirectory: String?
    /// At most this many loop iterations and function calls per run (nil: no limit), so that
    /// generated or fuzzed programs always end; exceeding it is an error.
    public var stepLimit: Int?
    private var stepsLeft = Int.max
    /// Whether built-ins may write files (only `save:` and `plot.save` do); sandboxes such as the
    /// fuzzer turn it off.
    public var allowsFileWrites = true
    /// The limit `descent run --timeout` set, for the message when it passes.
    public var timeLimit: Double?
    /// Every exercise check that ran (`check`, `check_close`, `check_less`), in order; `onCheck`
    /// sees each as it happens, so a failure can be shown next to the output around it.
    public var checkResults: [CheckResult] = []
    public var onCheck: ((CheckResult) -> Void)?

    public init(output: Output, interrupt: InterruptFlag = InterruptFlag(), maxCallDepth: Int = 10_000) {
        self.output = output
        self.interrupt = interrupt
        self.maxCallDepth = maxCallDepth
        stackCapacity = 4096
        stack = .allocate(capacity: stackCapacity)
        stack.initialize(repeating: .nil, count: stackCapacity)
        for builtin in Builtins.all {
            globals[builtin.name] = .function(builtin)
            builtinNames.append(builtin.name)
        }
        for constant in Builtins.constants {
            globals[constant.name] = constant.value
            builtinNames.append(constant.name)
        }
    }

    /// The numeric tier (NumericTier.swift): numeric functions and loops on unboxed doubles.
    private(set) lazy var numeric = NumericMachine(self)
    /// Whether the numeric tier runs; off, everything runs in the evaluator (tests compare the two).
    public var usesNumericTier = true {
        // The hot paths only test the tier's suspension count, so turning it off is one more suspension.
        didSet { if oldValue != usesNumericTier { numeric.suspended += usesNumericTier ? -1 : 1 } }
    }

    deinit {
        stack.deinitialize(count: stackCapacity)
        stack.deallocate()
    }

    // MARK: Running source

    /// Parses, resolves and runs `text`; returns the value of its last statement.
    public func run(_ text: String, name: String, firstLine: Int = 1) throws -> Value {
        let program = try compile(text, name: name, firstLine: firstLine)
        return try execute(program)
    }

    /// A program ready to run: parsed and resolved against this session's globals.
    public struct Program {
        let block: Block
        let frameSize: Int
    }

    public func compile(_ text: String, name: String, firstLine: Int = 1) throws -> Program {
        let file = SourceFile(name: name, text: text, firstLine: firstLine)
        let fileID = sources.add(file)
        var parser = try Parser(file: file, fileID: fileID)
        let block = try parser.parseProgram()
        var resolver = Resolver(globals: globals)
        let (resolved, frameSize) = try resolver.resolveProgram(block)
        return Program(block: resolved, frameSize: frameSize)
    }

    public func execute(_ program: Program) throws -> Value {
        resetExecutionState()
        interrupt.clear()
        stepsLeft = stepLimit ?? Int.max
        countsSteps = stepLimit != nil
        output.resetCount()
        do {
            ensureStack(program.frameSize)
            top = program.frameSize
            let value = try TensorCancellation.whileRunning(check: { [interrupt] in interrupt.isRaised }) {
                try program.block.eval(self)
            }
            // Code that handled the stop itself (returning partial results) still ran out of time.
            if interrupt.hasExpired { throw timeLimitReached(at: program.block.span) }
            resetExecutionState()
            return value
        } catch var diagnostic as Diagnostic {
            resetExecutionState()
            // Code that stopped on the flag without knowing why (a tensor kernel) stopped for the time limit.
            if diagnostic.kind == .interrupted, interrupt.hasExpired { diagnostic = timeLimitReached(at: diagnostic.span) }
            throw diagnostic
        } catch {
            resetExecutionState()
            throw error
        }
    }

    func timeLimitReached(at span: SourceSpan?) -> Diagnostic {
        let limit = timeLimit.map { " of \(formatNumber($0)) s" } ?? ""
        return Diagnostic("stopped: the time limit\(limit) was reached", at: span, kind: .timedOut)
    }

    /// Back to an idle session after a run, whether it finished or failed half-way.
    private func resetExecutionState() {
        releaseFrame(0..<stackCapacity)
        base = 0
        top = 0
        depth = 0
        control = .none
        returnValue = .nil
        currentClosure = nil
    }

    /// Whether `text` is an unfinished fragment (open bracket, trailing operator) that the REPL
    /// should continue on the next line rather than report.
    public func isIncomplete(_ text: String) -> Bool {
        let file = SourceFile(name: "", text: text)
        do {
            var parser = try Parser(file: file, fileID: -1)
            _ = try parser.parseProgram()
            return false
        } catch let diagnostic as Diagnostic {
            return diagnostic.isAtEndOfInput
        } catch {
            return false
        }
    }

    // MARK: Frames

    @inline(__always)
    func ensureStack(_ needed: Int) {
        if needed > stackCapacity { growStack(needed) }
    }

    private func growStack(_ needed: Int) {
        var capacity = stackCapacity
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<Value>.allocate(capacity: capacity)
        grown.moveInitialize(from: stack, count: stackCapacity)
        (grown + stackCapacity).initialize(repeating: .nil, count: capacity - stackCapacity)
        stack.deallocate()
        stack = grown
        stackCapacity = capacity
    }

    @inline(__always)
    func cell(at slot: Int) -> Cell {
        // Checked by type identity (one compare): a slot read before its cell exists gets a fresh one.
        guard case .object(let object) = stack[base &+ slot], ObjectIdentifier(type(of: object)) == ObjectIdentifier(Cell.self) else {
            let fresh = Cell(.nil)
            stack[base &+ slot] = .object(fresh)
            return fresh
        }
        return unsafeDowncast(object, to: Cell.self)
    }

    @inline(__always)
    func upvalue(_ index: Int) -> Cell {
        currentClosure.unsafelyUnwrapped.upvalues[index]
    }

    @inline(__always)
    func checkInterrupt(at span: SourceSpan) throws {
        if interrupt.isRaised || countsSteps { try countStepOrStop(at: span) }
    }

    /// Whether this run has a step limit; without one the hot path only reads the interrupt flag.
    private(set) var countsSteps = false

    /// The steps left, saved and restored around numeric code that bails out, so that the evaluator
    /// redoing it counts the same steps.
    var stepCheckpoint: Int {
        get { stepsLeft }
        set { stepsLeft = newValue }
    }

    private func countStepOrStop(at span: SourceSpan) throws {
        if countsSteps {
            stepsLeft &-= 1
            if stepsLeft >= 0 && !interrupt.isRaised { return }
        }
        try stop(at: span)
    }

    /// Built-in work that is not made of interpreted steps (fitting a Gaussian process, say)
    /// counts against the step limit too, so that the limit bounds a run's time.
    func chargeSteps(_ count: Int, at span: SourceSpan) throws {
        guard countsSteps else { return }
        stepsLeft &-= count
        if stepsLeft < 0 { try stop(at: span) }
    }

    /// Why running code must stop now: the time limit, the step limit, or Ctrl-C.
    private func stop(at span: SourceSpan) throws {
        if interrupt.hasExpired { throw timeLimitReached(at: span) }
        if stepsLeft < 0 {
            throw Diagnostic("stopped after \(stepLimit ?? 0) loop iterations and calls (the step limit)", at: span)
        }
        interrupt.clear()
        throw Diagnostic("interrupted", at: span, kind: .interrupted)
    }

    // MARK: Calls

    /// Calls `function` with arguments evaluated straight into the callee's frame slots.
    func call(_ function: FunctionObject, receiver: Value?, arguments: [Node], named: [NamedArgument], site: Node) throws -> Value {
        let argumentBase = top
        let count = arguments.count + (receiver == nil ? 0 : 1)
        ensureStack(argumentBase + count + 1)
        var filled = 0
        if let receiver {
            stack[argumentBase] = receiver
            filled = 1
            top = argumentBase + 1
        }
        for index in arguments.indices {
            let value = try arguments[index].eval(self)
            // Slots at and above `top` hold nothing reference-counted while code runs (`releaseFrame`).
            (stack + argumentBase + filled).initialize(to: value)
            filled += 1
            top = argumentBase + filled
        }
        var namedValues: [(name: String, value: Value, span: SourceSpan)] = []
        if !named.isEmpty {
            namedValues.reserveCapacity(named.count)
            for argument in named { namedValues.append((argument.name, try argument.value.eval(self), argument.nameSpan.through(argument.value.span))) }
        }
        defer { top = argumentBase }
        if function.isClosure {
            return try invoke(unsafeDowncast(function, to: Closure.self), argumentBase: argumentBase, count: count,
                              named: namedValues, site: site)
        }
        let builtin = unsafeDowncast(function, to: BuiltinFunction.self)
        return try builtin.invoke(self, argumentBase: argumentBase, count: count, named: namedValues,
                                  site: site, argumentNodes: arguments, hasReceiver: receiver != nil)
    }

    /// The common call: a closure given exactly its positional parameters. Arguments go straight
    /// into the callee's frame; no binding, no defaults.
    func callExactly(_ closure: Closure, arguments: [Unmanaged<Node>], site: Node) throws -> Value {
        let argumentBase = top
        // Parameters are the frame's first slots, so the frame has room for every argument.
        ensureStack(argumentBase + closure.prototype.frameSize + 1)
        for index in arguments.indices {
            let value = try arguments[index]._withUnsafeGuaranteedRef { try $0.eval(self) }
            (stack + argumentBase + index).initialize(to: value)
            top = argumentBase + index + 1
        }
        top = argumentBase
        return try enter(closure, argumentBase: argumentBase, site: site)
    }

    /// Runs a closure whose arguments are in place from `argumentBase`; the parameters listed in
    /// `defaults` got no argument and take their default, evaluated inside the new frame.
    @inline(__always)
    private func enter(_ closure: Closure, argumentBase: Int, site: Node, defaults: [Int] = []) throws -> Value {
        let prototype = closure.prototype
        let frameEnd = argumentBase + prototype.frameSize
        ensureStack(frameEnd + 1)
        if depth >= maxCallDepth || (depth & 15 == 15 && !StackGuard.hasRoom()) {
            for i in argumentBase..<frameEnd { stack[i] = .nil }
            throw Diagnostic("stack overflow (call depth \(depth >= maxCallDepth ? maxCallDepth : depth))", at: site.span)
        }
        var retrying = false
        if defaults.isEmpty && numeric.suspended == 0, let entry = numericEntry(prototype) {
            let arguments = stack + argumentBase
            switch entry._withUnsafeGuaranteedRef({ numeric.call($0, arguments: arguments, count: closure.arity) }) {
            case .number(let x): return .number(x)
            case .notApplicable: break
            case .bailedOut: retrying = true
            }
        }
        if retrying { numeric.suspended += 1 }
        defer { if retrying { numeric.suspended -= 1 } }
        let savedBase = base, savedTop = top
        unowned(unsafe) let savedClosure = currentClosure  // a strong copy would cost a retain per call
        base = argumentBase
        top = frameEnd
        currentClosure = closure
        depth += 1
        defer {
            releaseFrame(argumentBase..<frameEnd)
            base = savedBase
            top = savedTop
            currentClosure = savedClosure
            depth -= 1
        }
        do {
            try checkInterrupt(at: site.span)
            // Captured parameters become cells first, so a default that reads one finds a cell.
            if !prototype.cellParameters.isEmpty {
                for index in prototype.cellParameters {
                    stack[argumentBase + index] = .object(Cell(stack[argumentBase + index]))
                }
            }
            if !defaults.isEmpty {
                for index in defaults {
                    let value = try prototype.defaults[index].unsafelyUnwrapped.eval(self)
                    if prototype.cellParameters.contains(index) { cell(at: index).value = value } else { stack[argumentBase + index] = value }
                }
            }
            let result = try prototype.body.eval(self)
            if control == .returning {
                control = .none
                return swapReturnValue()
            }
            return result
        } catch var diagnostic as Diagnostic {
            diagnostic.trace.append(.init(function: prototype.name, span: diagnostic.pendingSpan ?? site.span))
            diagnostic.pendingSpan = site.span
            throw diagnostic
        }
    }

    /// Calls `function` from native code (a built-in such as `reduce` calling a user function).
    func call(_ function: Value, _ arguments: [Value], site: Node) throws -> Value {
        let argumentBase = top
        ensureStack(argumentBase + arguments.count + 1)
        for (i, value) in arguments.enumerated() { (stack + argumentBase + i).initialize(to: value) }
        top = argumentBase + arguments.count
        return try callPlaced(function, argumentBase: argumentBase, count: arguments.count, site: site)
    }

    /// One-argument calls from `map`, `filter` and `sorted(key:)`, without an argument array.
    func call(_ function: Value, _ argument: Value, site: Node) throws -> Value {
        let argumentBase = top
        ensureStack(argumentBase + 2)
        (stack + argumentBase).initialize(to: argument)
        top = argumentBase + 1
        return try callPlaced(function, argumentBase: argumentBase, count: 1, site: site)
    }

    /// Calls `function` on the `count` arguments already placed at `argumentBase`.
    private func callPlaced(_ function: Value, argumentBase: Int, count: Int, site: Node) throws -> Value {
        defer { top = argumentBase }
        if interrupt.isRaised {
            for i in argumentBase..<(argumentBase + count) { stack[i] = .nil }
            try checkInterrupt(at: site.span)  // `xs.map(sqrt)` over millions stays interruptible
        }
        guard case .function(let f) = function else {
            for i in argumentBase..<(argumentBase + count) { stack[i] = .nil }
            throw Diagnostic("cannot call \(function.typeName)", at: site.span)
        }
        if f.isClosure {
            return try invoke(unsafeDowncast(f, to: Closure.self), argumentBase: argumentBase, count: count, named: [], site: site)
        }
        return try unsafeDowncast(f, to: BuiltinFunction.self).invoke(
            self, argumentBase: argumentBase, count: count, named: [], site: site, argumentNodes: [], hasReceiver: false)
    }

    private func invoke(_ closure: Closure, argumentBase: Int, count: Int,
                        named: [(name: String, value: Value, span: SourceSpan)], site: Node) throws -> Value {
        ensureStack(argumentBase + closure.prototype.frameSize + 1)
        if count == closure.arity && named.isEmpty {
            return try enter(closure, argumentBase: argumentBase, site: site)
        }
        let missing = try bind(closure.prototype, argumentBase: argumentBase, count: count, named: named, site: site)
        return try enter(closure, argumentBase: argumentBase, site: site, defaults: missing)
    }

    /// Drops the references a finished frame holds. Numbers, booleans and nil need no release and
    /// are left in place: slots above `top` only ever need to hold nothing that is reference-counted.
    @inline(__always)
    private func releaseFrame(_ slots: Range<Int>) {
        for i in slots {
            switch stack[i] {
            case .nil, .bool, .number: continue
            default: stack[i] = .nil
            }
        }
    }

    private func swapReturnValue() -> Value {
        let value = returnValue
        returnValue = .nil
        return value
    }

    /// Places named arguments into their parameter slots; returns the parameters left for defaults.
    private func bind(_ prototype: FunctionPrototype, argumentBase: Int, count: Int,
                      named: [(name: String, value: Value, span: SourceSpan)], site: Node) throws -> [Int] {
        let parameters = prototype.parameters
        if count > parameters.count {
            throw Diagnostic("\(prototype.name)() takes \(describeCount(parameters.count, "argument")) but \(count) \(count == 1 ? "was" : "were") given; its signature is \(prototype.signature)",
                             at: site.span)
        }
        var provided = [Bool](repeating: false, count: parameters.count)
        for i in 0..<count { provided[i] = true }
        for argument in named {
            guard let index = parameters.firstIndex(of: argument.name) else {
                throw unknownArgument(argument.name, function: prototype.name, accepted: parameters, at: argument.span)
            }
            if provided[index] {
                throw Diagnostic("\(prototype.name)() got two values for '\(argument.name)'", at: argument.span)
            }
            stack[argumentBase + index] = argument.value
            provided[index] = true
        }
        var missing: [Int] = []
        for (index, given) in provided.enumerated() where !given {
            guard prototype.defaults[index] != nil else {
                throw Diagnostic("missing argument '\(parameters[index])' in call to \(prototype.signature)", at: site.span)
            }
            missing.append(index)
        }
        return missing
    }

    // MARK: Errors that name the culprit

    func unknownArgument(_ name: String, function: String, accepted: [String], at span: SourceSpan) -> Diagnostic {
        let list = accepted.isEmpty ? "it takes no named arguments" : "it accepts \(accepted.joined(separator: ", "))"
        return Diagnostic("\(function)() has no parameter named '\(name)' (\(list))\(suggestion(for: name, among: accepted))", at: span)
    }

    func undefinedVariable(_ name: String, alsoKnown locals: [String] = [], at span: SourceSpan) -> Diagnostic {
        let pythonisms = ["None": "nil", "null": "nil", "True": "true", "False": "false", "lambda": "fn",
                          "self": "a parameter", "elif": "else if", "def": "fn"]
        if let equivalent = pythonisms[name] {
            return Diagnostic("undefined variable '\(name)'; Descent writes \(equivalent)", at: span)
        }
        let known = locals + globals.defined.map(\.name) + keywordNames
        return Diagnostic("undefined variable '\(name)'\(suggestion(for: name, among: known))", at: span)
    }

    func noMethod(_ name: String, on value: Value, at span: SourceSpan) -> Diagnostic {
        var known = globals.defined.compactMap { entry -> String? in
            if case .function = entry.value { return entry.name } else { return nil }
        }
        if case .record(let record) = value { known += record.fields.keys }
        return Diagnostic("\(value.typeName) has no field or method '\(name)'\(suggestion(for: name, among: known))", at: span)
    }

    // MARK: Fields and subscripts

    func field(_ name: String, of value: Value, at span: SourceSpan) throws -> Value {
        switch value {
        case .record(let record):
            if let field = record.fields[name] { return field }
            let fields = record.fields.keys
            let listing = fields.isEmpty ? "it has no fields" : "its fields are \(fields.joined(separator: ", "))"
            throw Diagnostic("record has no field '\(name)' (\(listing))\(suggestion(for: name, among: Array(fields)))", at: span)
        case .object(let object):
            if let field = object.field(name) { return field }
        case .function(let function as BuiltinFunction):
            if let field = function.memberLookup?(name) { return field }
        default:
            break
        }
        if case .function? = globals[name] {
            throw Diagnostic("\(value.typeName) has no field '\(name)'; to call \(name)() on it, write .\(name)()", at: span)
        }
        throw Diagnostic("\(value.typeName) has no field '\(name)'", at: span)
    }

    func evaluate(_ items: [SubscriptItem]) throws -> [SubscriptValue] {
        try items.map { item in
            switch item {
            case .index(let node): .index(try node.eval(self))
            case .slice(let start, let stop, let step):
                .slice(start: try start?.eval(self) ?? .nil, stop: try stop?.eval(self) ?? .nil, step: try step?.eval(self) ?? .nil)
            }
        }
    }
}

extension Value {
    @inline(__always) public var isNil: Bool { if case .nil = self { true } else { false } }
}

public func describeCount(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// `; did you mean 'print'?` when a known name is within a small edit distance of `name`.
public func suggestion(for name: String, among candidates: [String]) -> String {
    let target = Array(name.lowercased())
    let limit = max(1, target.count / 3)
    let scored = Set(candidates).filter { $0 != name }.map { ($0, editDistance(target, Array($0.lowercased()))) }
    let best = scored.filter { $0.1 <= limit && $0.1 < target.count }.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
    return best.map { "; did you mean '\($0.0)'?" } ?? ""
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("pirnt" is 1 from "print").
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var twoBack = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], twoBack[j - 2] + 1)
            }
        }
        (twoBack, previous, current) = (previous, current, twoBack)
    }
    return previous[b.count]
}
