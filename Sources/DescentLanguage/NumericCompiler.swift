/// Turns resolved syntax into numeric-tier code (NumericNodes.swift), or gives up (nil) at the
/// first construct that could produce something other than a number or needs the evaluator:
/// strings, lists, tensors, built-ins, closures over variables, `return`/`break`/`continue`,
/// calls of anything but a global holding a numeric function.
struct NumericCompiler {
    unowned(unsafe) let ip: Interpreter
    unowned(unsafe) let machine: NumericMachine

    private enum Mode {
        /// Frame slots are registers; globals are read where they live and never written.
        case function
        /// Locals and globals both get registers, listed in `variables`.
        case loop
    }
    private var mode = Mode.loop
    private var variables: [NumericLoop.Variable] = []
    private var registerOf: [NumericLoop.Variable: Int] = [:]
    /// For loops: the registers definitely assigned on the path compiled so far, those read before
    /// that, and those assigned anywhere.
    private var assigned: Set<Int> = []
    private var readFirst: Set<Int> = []
    private var written: Set<Int> = []
    private var callees: [WeakFunction] = []
    private var globalsRead: Set<Int> = []
    private var hasCallsOrInnerLoops = false
    /// Loops flag each assignment; the flags' place is known once every variable is.
    private let flags = FlagOffset()
    /// The code has `return`, `break` or `continue`: statement sequences then check for a jump.
    private var hasJumps = false
    /// How many `if` expressions inside other expressions enclose the code being compiled: a
    /// `return` there would leave the rest of its expression to run (calls included), so it is
    /// left to the evaluator.
    private var nestedExpressions = 0

    init(ip: Interpreter, machine: NumericMachine) { self.ip = ip; self.machine = machine }

    // MARK: Units

    mutating func compileFunction(_ prototype: FunctionPrototype) -> NumericFunction? {
        guard prototype.captures.isEmpty, prototype.cellParameters.isEmpty else {
            prototype.numericState = .impossible
            return nil
        }
        let function = NumericFunction(prototype: prototype, frameSize: max(prototype.frameSize, prototype.parameters.count))
        prototype.numericState = .compiling(function)
        var compiler = NumericCompiler(ip: ip, machine: machine)
        compiler.mode = .function
        compiler.hasJumps = containsJump(prototype.body)
        guard let body = compiler.value(prototype.body) else {
            // Functions compiled meanwhile may call it (mutual recursion): they hold it unretained,
            // so it stays alive, and bail out when they find it unusable.
            function.usable = false
            prototype.retiredNumericForms.append(function)
            prototype.numericState = .impossible
            return nil
        }
        function.body = body
        function.globalsRead = compiler.globalsRead
        function.callees = compiler.callees
        function.worthEntering = compiler.hasCallsOrInnerLoops
        prototype.numericState = .compiled(function)
        if function.worthEntering { prototype.numericEntry = .passUnretained(function) }
        return function
    }

    mutating func compileLoop(_ loop: While) -> NumericLoop? {
        mode = .loop
        hasJumps = containsJump(loop.body)
        guard let condition = test(loop.condition), let body = statement(loop.body) else { return nil }
        return finishLoop(.whileLoop(condition: condition, body: body))
    }

    /// `for x in range(...)` outside numeric code.
    mutating func compileRangeLoop(_ loop: For) -> NumericLoop? {
        mode = .loop
        hasJumps = containsJump(loop.body)
        guard let (header, slot) = rangeHeader(loop) else { return nil }
        let register = register(.local(slot))
        assigned.insert(register)
        written.insert(register)
        guard let body = statement(loop.body) else { return nil }
        return finishLoop(.rangeLoop(header: header, register: register, body: body))
    }

    private func finishLoop(_ kind: NumericLoop.Kind) -> NumericLoop? {
        // A loop keeps the globals it assigns in registers: the functions it calls, and the
        // globals it calls them (and `range`) through, must not be among them.
        let assignedGlobals = Set(written.compactMap { register -> Int? in
            if case .global(let index) = variables[register] { index } else { nil }
        })
        guard assignedGlobals.isDisjoint(with: globalsRead.union(globalsReadByCallees())) else { return nil }
        flags.offset = variables.count
        return NumericLoop(kind: kind, variables: variables, requiredAtEntry: variables.indices.map { readFirst.contains($0) },
                           written: variables.indices.map { written.contains($0) }, canBailMidIteration: hasCallsOrInnerLoops)
    }

    private func containsJump(_ node: Node) -> Bool {
        if node is Return || node is Break || node is Continue { return true }
        var found = false
        node.forEachChild { child in found = found || containsJump(child) }
        return found
    }

    private func globalsReadByCallees() -> Set<Int> {
        var seen = Set<ObjectIdentifier>()
        var pending = callees
        var result = Set<Int>()
        while let next = pending.popLast() {
            guard let function = next.function, seen.insert(ObjectIdentifier(function)).inserted else { continue }
            result.formUnion(function.globalsRead)
            pending += function.callees
        }
        return result
    }

    // MARK: Variables

    /// Whether the variable is a global read by a function, which reads it where it lives.
    private func isInPlace(_ variable: NumericLoop.Variable) -> Bool {
        if case .function = mode, case .global = variable { true } else { false }
    }

    /// The register of a variable kept in one (not `isInPlace`): a function's local is its frame
    /// slot; a loop gives each variable the next free register.
    private mutating func register(_ variable: NumericLoop.Variable) -> Int {
        if case .function = mode, case .local(let slot) = variable { return slot }
        if let register = registerOf[variable] { return register }
        variables.append(variable)
        registerOf[variable] = variables.count - 1
        return variables.count - 1
    }

    private mutating func readRegister(_ variable: NumericLoop.Variable) -> Int {
        let register = register(variable)
        if case .loop = mode, !assigned.contains(register) { readFirst.insert(register) }
        return register
    }

    private mutating func read(_ variable: NumericLoop.Variable) -> NumberCode {
        if isInPlace(variable), case .global(let index) = variable {
            globalsRead.insert(index)
            return GlobalNumber(machine: machine, index: index)
        }
        return RegisterNumber(readRegister(variable))
    }

    /// Functions never assign globals (a call must change nothing outside its frame).
    private mutating func store(_ variable: NumericLoop.Variable, _ value: NumberCode) -> StatementCode? {
        if isInPlace(variable) { return nil }
        let register = register(variable)
        assigned.insert(register)
        written.insert(register)
        if let update = value as? RegisterConstantArithmetic, update.register == register, !update.constantOnLeft {
            return ConstantUpdate(update.op, register: register, constant: update.constant)
        }
        if let update = value as? Arithmetic, let left = update.left as? RegisterNumber, left.register == register {
            return UpdateInPlace(update.op, register: register, value: update.right)
        }
        if case .loop = mode { return LoopStore(register: register, value: value, flags: flags) }
        return Store(register: register, value: value)
    }

    // MARK: Values

    /// A node whose value is used: a block ending in an expression, an `if` with both branches,
    /// or a number expression. Outside nested expressions such a value is the function's result,
    /// so `return x` there is just `x`.
    private mutating func value(_ node: Node) -> NumberCode? {
        switch node {
        case let block as Block:
            guard block.hoistedCells.isEmpty else { return nil }
            return sequence(block.statements)
        case let block as Block2:
            return sequence([block.first, block.second])
        case let block as Block3:
            return sequence([block.first, block.second, block.third])
        case let branch as If:
            guard let otherwise = branch.otherwise, let condition = test(branch.condition) else { return nil }
            let before = assigned
            guard let then = value(branch.then) else { return nil }
            let afterThen = assigned
            assigned = before
            guard let elseCode = value(otherwise) else { return nil }
            assigned.formIntersection(afterThen)
            if let comparison = condition as? RegisterConstantComparison {
                return RegisterConditionalNumber(comparison, then, elseCode)
            }
            return ConditionalNumber(condition, then, elseCode)
        case let exit as Return:
            guard case .function = mode, nestedExpressions == 0 else { return nil }
            return exit.value.flatMap { number($0) }
        default:
            return number(node)
        }
    }

    private mutating func sequence(_ nodes: [Node]) -> NumberCode? {
        guard let last = nodes.last, let prefix = statements(nodes.dropLast()), let result = value(last) else { return nil }
        guard let prefix else { return result }
        return hasJumps ? JumpAwareSequence(machine: machine, prefix, result) : SequenceNumber(prefix, result)
    }

    private mutating func number(_ node: Node) -> NumberCode? {
        switch node {
        case let literal as NumberLiteral:
            return ConstantNumber(literal.number)
        case let literal as Literal:
            guard case .number(let x) = literal.value else { return nil }
            return ConstantNumber(x)
        case let get as LocalGet:
            return read(.local(get.slot))
        case let get as GlobalGet:
            return read(.global(get.index))
        case let unary as Unary:
            guard let operand = number(unary.operand) else { return nil }
            switch unary.op {
            case .negate: return NegatedNumber(operand)
            case .plus: return operand
            case .not: return nil
            }
        case let binary as Binary:
            guard let op = ArithmeticOperator(binary.op), let left = number(binary.left), let right = number(binary.right) else { return nil }
            return Arithmetic(op, left, right)
        case let binary as CompoundBinary:
            guard let op = ArithmeticOperator(binary.op), let left = number(binary.left), let right = number(binary.right) else { return nil }
            return Arithmetic(op, left, right)
        case let binary as LocalConstantBinary:
            return withConstant(binary, .local(binary.slot))
        case let binary as GlobalConstantBinary:
            return withConstant(binary, .global(binary.global.index))
        case let binary as ConstantBinary:
            guard let op = ArithmeticOperator(binary.op), let operand = number(binary.operand) else { return nil }
            let constant = ConstantNumber(binary.constant)
            return binary.constantOnLeft ? Arithmetic(op, constant, operand) : Arithmetic(op, operand, constant)
        case let call as Call:
            return self.call(call)
        case let branch as If:
            nestedExpressions += 1
            defer { nestedExpressions -= 1 }
            return value(branch)
        default:
            return nil
        }
    }

    private mutating func withConstant(_ binary: ConstantOperandBinary, _ variable: NumericLoop.Variable) -> NumberCode? {
        guard let op = ArithmeticOperator(binary.op) else { return nil }
        if !isInPlace(variable) {
            return RegisterConstantArithmetic(op, register: readRegister(variable), constant: binary.constant, constantOnLeft: binary.constantOnLeft)
        }
        let operand = read(variable), constant = ConstantNumber(binary.constant)
        return binary.constantOnLeft ? Arithmetic(op, constant, operand) : Arithmetic(op, operand, constant)
    }

    // MARK: Conditions

    private mutating func test(_ node: Node) -> TestCode? {
        switch node {
        case let binary as Binary:
            guard let op = ComparisonOperator(binary.op) else { return truth(node) }
            guard let left = number(binary.left), let right = number(binary.right) else { return nil }
            return Comparison(op, left, right)
        case let binary as LocalConstantBinary:
            return constantComparison(binary, .local(binary.slot)) ?? truth(node)
        case let binary as GlobalConstantBinary:
            return constantComparison(binary, .global(binary.global.index)) ?? truth(node)
        case let binary as ConstantBinary:
            guard let op = ComparisonOperator(binary.op) else { return truth(node) }
            guard let operand = number(binary.operand) else { return nil }
            let constant = ConstantNumber(binary.constant)
            return binary.constantOnLeft ? Comparison(op, constant, operand) : Comparison(op, operand, constant)
        case let chain as ComparisonChain:
            var ops: [ComparisonOperator] = []
            for op in chain.ops {
                guard let comparison = ComparisonOperator(op) else { return nil }
                ops.append(comparison)
            }
            var operands: [NumberCode] = []
            for operand in chain.operands {
                guard let code = number(operand) else { return nil }
                operands.append(code)
            }
            return ComparisonChainTest(ops: ops, operands: operands)
        case let logical as Logical:
            // Expressions assign nothing, so whether the right side runs changes no assignment.
            guard let left = test(logical.left), let right = test(logical.right) else { return nil }
            return LogicalTest(isAnd: logical.isAnd, left, right)
        case let unary as Unary where unary.op == .not:
            return test(unary.operand).map(NegatedTest.init)
        case let literal as Literal:
            guard case .bool(let b) = literal.value else { return truth(node) }
            return ConstantTest(b)
        default:
            return truth(node)
        }
    }

    private mutating func constantComparison(_ binary: ConstantOperandBinary, _ variable: NumericLoop.Variable) -> TestCode? {
        guard let op = ComparisonOperator(binary.op) else { return nil }
        if !isInPlace(variable) {
            return RegisterConstantComparison(op, register: readRegister(variable), constant: binary.constant, constantOnLeft: binary.constantOnLeft)
        }
        let operand = read(variable), constant = ConstantNumber(binary.constant)
        return binary.constantOnLeft ? Comparison(op, constant, operand) : Comparison(op, operand, constant)
    }

    /// A number expression as a condition.
    private mutating func truth(_ node: Node) -> TestCode? {
        number(node).map(NumberTruth.init)
    }

    // MARK: Statements

    private mutating func statement(_ node: Node) -> StatementCode? {
        switch node {
        case let block as Block:
            guard block.hoistedCells.isEmpty else { return nil }
            return statements(block.statements[...]).map { $0 ?? DiscardedNumber(ConstantNumber(0)) }
        case let block as Block2:
            return statements([block.first, block.second]).map { $0 ?? DiscardedNumber(ConstantNumber(0)) }
        case let block as Block3:
            return statements([block.first, block.second, block.third]).map { $0 ?? DiscardedNumber(ConstantNumber(0)) }
        case let store as LocalStore:
            guard let value = number(store.value) else { return nil }
            return self.store(.local(store.slot), value)
        case let store as GlobalStore:
            guard !store.isDefinition, let value = number(store.value) else { return nil }
            return self.store(.global(store.index), value)
        case let branch as If:
            guard let condition = test(branch.condition) else { return nil }
            let before = assigned
            guard let then = statement(branch.then) else { return nil }
            let afterThen = assigned
            assigned = before
            guard let otherwise = branch.otherwise else {
                return ConditionalStatement(condition, then, nil)
            }
            guard let elseCode = statement(otherwise) else { return nil }
            assigned.formIntersection(afterThen)
            return ConditionalStatement(condition, then, elseCode)
        case let loop as While:
            hasCallsOrInnerLoops = true
            guard let condition = test(loop.condition) else { return nil }
            let before = assigned
            guard let body = statement(loop.body) else { return nil }
            assigned = before  // the body may not run
            return LoopStatement(machine: machine, condition: condition, body: body)
        case let exit as Return:
            guard case .function = mode, nestedExpressions == 0, let value = exit.value.flatMap({ number($0) }) else { return nil }
            return ReturnStatement(machine: machine, value: value)
        case is Break where nestedExpressions == 0:
            return LoopJump(machine: machine, jump: .breaking)
        case is Continue where nestedExpressions == 0:
            return LoopJump(machine: machine, jump: .continuing)
        case let loop as For:
            hasCallsOrInnerLoops = true
            guard let (header, slot) = rangeHeader(loop) else { return nil }
            let register = register(.local(slot))
            let before = assigned
            assigned.insert(register)
            written.insert(register)
            guard let body = statement(loop.body) else { return nil }
            assigned = before  // the body may not run
            let loopFlags: FlagOffset? = if case .loop = mode { flags } else { nil }
            return RangeLoopStatement(machine: machine, header: header, register: register, body: body, flags: loopFlags)
        default:
            return number(node).map(DiscardedNumber.init)
        }
    }

    /// Statements in order: `.some(nil)` for none, nil when one cannot be compiled.
    private mutating func statements(_ nodes: ArraySlice<Node>) -> StatementCode?? {
        var combined: StatementCode?
        for node in nodes {
            guard let code = statement(node) else { return nil }
            combined = combined.map { hasJumps ? JumpAwarePair(machine: machine, $0, code) : StatementPair($0, code) } ?? code
        }
        return .some(combined)
    }

    /// The range of `for x in range(...)` with one plain loop variable: the header and the
    /// variable's slot.
    private mutating func rangeHeader(_ loop: For) -> (RangeHeader, Int)? {
        guard loop.slots.count == 1, !loop.isCell[0], let call = loop.iterable as? Call, call.named.isEmpty,
              (1...3).contains(call.arguments.count), let callee = call.callee as? GlobalGet,
              case .function(let function)? = ip.globals.values[callee.index],
              let builtin = function as? BuiltinFunction, builtin.name == "range" else { return nil }
        var arguments: [NumberCode] = []
        for argument in call.arguments {
            guard let code = number(argument) else { return nil }
            arguments.append(code)
        }
        globalsRead.insert(callee.index)
        return (RangeHeader(global: callee.index, builtin: builtin, arguments: arguments), loop.slots[0])
    }

    // MARK: Calls

    /// A call of a global that holds a numeric function (checked again at every call).
    private mutating func call(_ call: Call) -> NumberCode? {
        guard call.named.isEmpty, let callee = call.callee as? GlobalGet,
              case .function(let function)? = ip.globals.values[callee.index], function.isClosure else { return nil }
        let closure = unsafeDowncast(function, to: Closure.self)
        let prototype = closure.prototype
        guard closure.arity == call.arguments.count else { return nil }
        let target: NumericFunction
        switch prototype.numericState {
        case .compiled(let compiled), .compiling(let compiled): target = compiled
        case .impossible: return nil
        case .untried:
            var compiler = NumericCompiler(ip: ip, machine: machine)
            guard let compiled = compiler.compileFunction(prototype) else { return nil }
            target = compiled
        }
        var arguments: [NumberCode] = []
        for argument in call.arguments {
            guard let code = number(argument) else { return nil }
            arguments.append(code)
        }
        hasCallsOrInnerLoops = true
        callees.append(WeakFunction(function: target))
        globalsRead.insert(callee.index)
        return NumericCall.make(machine: machine, target: target, global: callee.index, serial: prototype.serial, arguments: arguments)
    }
}
