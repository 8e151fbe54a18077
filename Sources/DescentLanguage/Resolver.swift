/// The static pass between parsing and running (Crafting Interpreters' resolver): every name
/// becomes a frame slot, a captured cell, an upvalue or a global index, so that running code never
/// hashes a string. It also rejects `break` outside loops and `return` outside functions.
struct Resolver {
    private struct Variable {
        let slot: Int
        let isCell: Bool
    }

    private final class FunctionContext {
        let isTopLevel: Bool
        /// Names used inside functions nested in this one: variables with these names live in
        /// cells so closures can share them. A name-based over-approximation: a cell is never wrong.
        let capturedNames: Set<String>
        var scopes: [[String: Variable]] = [[:]]
        var nextSlot = 0
        var frameSize = 0
        var loopDepth = 0
        var captures: [FunctionPrototype.Capture] = []
        var captureIndices: [String: Int] = [:]
        /// The name a local `fn` declaration gives this function: inside its own body (and not
        /// shadowed) the name means the running closure.
        var ownName: String?

        init(isTopLevel: Bool, capturedNames: Set<String>) {
            self.isTopLevel = isTopLevel
            self.capturedNames = capturedNames
        }
    }

    private let globals: GlobalTable
    private var functions: [FunctionContext] = []
    private var current: FunctionContext { functions[functions.count - 1] }

    init(globals: GlobalTable) { self.globals = globals }

    /// Resolves a top-level program; returns it with the size of the frame its blocks need.
    mutating func resolveProgram(_ program: Block) throws -> (Block, frameSize: Int) {
        functions = [FunctionContext(isTopLevel: true, capturedNames: namesUsedInNestedFunctions(program))]
        let statements = try program.statements.map { try resolve($0, statement: true) }
        return (Block(statements: statements, span: program.span), current.frameSize)
    }

    private var atGlobalScope: Bool { current.isTopLevel && current.scopes.count == 1 }

    // MARK: Scopes

    private mutating func declare(_ name: String) -> Variable {
        let context = current
        let variable = Variable(slot: context.nextSlot, isCell: context.capturedNames.contains(name))
        context.nextSlot += 1
        context.frameSize = max(context.frameSize, context.nextSlot)
        context.scopes[context.scopes.count - 1][name] = variable
        return variable
    }

    private mutating func withScope<T>(_ body: (inout Resolver) throws -> T) rethrows -> T {
        let context = current
        let savedSlot = context.nextSlot
        context.scopes.append([:])
        defer {
            context.scopes.removeLast()
            context.nextSlot = savedSlot
        }
        return try body(&self)
    }

    private enum Binding {
        case local(Variable)
        case upvalue(Int)
        case global(Int)
    }

    private mutating func lookup(_ name: String) -> Binding {
        for depth in stride(from: functions.count - 1, through: 0, by: -1) {
            let context = functions[depth]
            let scopes = context.isTopLevel ? context.scopes.dropFirst() : context.scopes[...]
            for scope in scopes.reversed() {
                guard let variable = scope[name] else { continue }
                if depth == functions.count - 1 { return .local(variable) }
                return .upvalue(captureChain(name: name, slot: variable.slot, owner: depth))
            }
        }
        return .global(globals.index(of: name))
    }

    /// Threads a variable of function `owner` through every function between it and the current
    /// one as an upvalue; returns its upvalue index in the current function.
    private mutating func captureChain(name: String, slot: Int, owner: Int) -> Int {
        var index = -1
        for depth in (owner + 1)..<functions.count {
            let context = functions[depth]
            let key = "\(owner):\(slot):\(name)"
            if let existing = context.captureIndices[key] {
                index = existing
                continue
            }
            context.captures.append(depth == owner + 1 ? .local(slot: slot) : .upvalue(index: index))
            index = context.captures.count - 1
            context.captureIndices[key] = index
        }
        return index
    }

    // MARK: Nodes

    private mutating func resolveOptional(_ node: Node?, statement: Bool = false) throws -> Node? {
        guard let node else { return nil }
        return try resolve(node, statement: statement)
    }

    /// Returns the slot-based equivalent of `node`, its children resolved.
    private mutating func resolve(_ node: Node, statement: Bool = false) throws -> Node {
        let span = node.span
        switch node {
        case let identifier as Identifier:
            return variableGet(identifier.name, span: span)

        case let declaration as LetDeclaration:
            let value = try resolve(declaration.value, statement: true)
            if atGlobalScope {
                return GlobalStore(index: globals.index(of: declaration.name), name: declaration.name, value: value,
                                   isDefinition: true, span: span)
            }
            let variable = declare(declaration.name)
            return variable.isCell ? CellStore(slot: variable.slot, value: value, createsCell: true, span: span)
                : LocalStore(slot: variable.slot, value: value, span: span)

        case let declaration as DestructuringDeclaration:
            let value = try resolve(declaration.value, statement: true)
            let targets: [DestructuringStore.Target] = declaration.names.map { name in
                if atGlobalScope { return .global(globals.index(of: name)) }
                let variable = declare(name)
                return variable.isCell ? .newCell(variable.slot) : .local(variable.slot)
            }
            return DestructuringStore(names: declaration.names, targets: targets, value: value, span: span)

        case let declaration as FunctionDeclaration:
            if atGlobalScope {
                let index = globals.index(of: declaration.name)
                return GlobalStore(index: index, name: declaration.name, value: try resolveFunction(declaration.function),
                                   isDefinition: true, span: span)
            }
            guard case .local(let variable) = lookup(declaration.name) else {
                throw Diagnostic("internal error: function '\(declaration.name)' was not hoisted", at: span)
            }
            let value = try resolveFunction(declaration.function, ownName: declaration.name)
            return variable.isCell ? CellStore(slot: variable.slot, value: value, createsCell: false, span: span)
                : LocalStore(slot: variable.slot, value: value, span: span)

        case let assignment as Assignment:
            return try resolveAssignment(assignment)

        case let block as Block:
            return try resolveBlock(block)

        case let function as FunctionLiteral:
            return try resolveFunction(function)

        case let loop as While:
            let condition = try resolve(loop.condition)
            current.loopDepth += 1
            defer { current.loopDepth -= 1 }
            return While(condition: condition, body: try resolve(loop.body, statement: true), span: span)

        case let loop as For:
            let iterable = try resolve(loop.iterable)
            return try withScope { resolver in
                let variables = loop.names.map { resolver.declare($0) }
                resolver.current.loopDepth += 1
                defer { resolver.current.loopDepth -= 1 }
                return For(names: loop.names, nameSpans: loop.nameSpans, iterable: iterable,
                           body: try resolver.resolve(loop.body, statement: true),
                           slots: variables.map(\.slot), isCell: variables.map(\.isCell), span: span)
            }

        case let branch as If:
            return If(condition: try resolve(branch.condition), then: try resolve(branch.then, statement: statement),
                      otherwise: try resolveOptional(branch.otherwise, statement: statement), span: span)

        case is Break, is Continue:
            let word = node is Break ? "break" : "continue"
            guard current.loopDepth > 0 else { throw Diagnostic("'\(word)' outside of a loop", at: span) }
            guard statement else { throw controlInExpression(word, node) }
            return node

        case let exit as Return:
            guard !current.isTopLevel else { throw Diagnostic("'return' outside of a function", at: span) }
            guard statement else { throw controlInExpression("return", exit) }
            return Return(value: try resolveOptional(exit.value, statement: true), span: span)

        case let call as Call:
            return Call(callee: try resolve(call.callee), arguments: try call.arguments.map { try resolve($0) },
                        named: try resolveNamed(call.named), span: span)

        case let call as MethodCall:
            return MethodCall(receiver: try resolve(call.receiver), name: call.name, nameSpan: call.nameSpan,
                              arguments: try call.arguments.map { try resolve($0) }, named: try resolveNamed(call.named),
                              globalIndex: globals.index(of: call.name), span: span)

        case let unary as Unary:
            return Unary(op: unary.op, operand: try resolve(unary.operand), span: span)
        case let binary as Binary:
            let left = try resolve(binary.left), right = try resolve(binary.right)
            let fusable = binary.op != .matrixMultiply
            if fusable, let local = left as? LocalGet, let constant = right as? NumberLiteral {
                return LocalConstantBinary(op: binary.op, slot: local.slot, constant: constant.number, constantOnLeft: false, span: span)
            }
            if fusable, let local = right as? LocalGet, let constant = left as? NumberLiteral {
                return LocalConstantBinary(op: binary.op, slot: local.slot, constant: constant.number, constantOnLeft: true, span: span)
            }
            if fusable, let global = left as? GlobalGet, let constant = right as? NumberLiteral {
                return GlobalConstantBinary(op: binary.op, global: global, constant: constant.number, constantOnLeft: false, span: span)
            }
            if fusable, let global = right as? GlobalGet, let constant = left as? NumberLiteral {
                return GlobalConstantBinary(op: binary.op, global: global, constant: constant.number, constantOnLeft: true, span: span)
            }
            if fusable, let constant = right as? NumberLiteral {
                return ConstantBinary(op: binary.op, operand: left, constant: constant.number, constantOnLeft: false, span: span)
            }
            if fusable, let constant = left as? NumberLiteral {
                return ConstantBinary(op: binary.op, operand: right, constant: constant.number, constantOnLeft: true, span: span)
            }
            return Binary(op: binary.op, left: left, right: right, span: span)
        case let chain as ComparisonChain:
            return ComparisonChain(ops: chain.ops, operands: try chain.operands.map { try resolve($0) }, span: span)
        case let logical as Logical:
            return Logical(isAnd: logical.isAnd, left: try resolve(logical.left), right: try resolve(logical.right), span: span)
        case let field as FieldGet:
            return FieldGet(object: try resolve(field.object), name: field.name, span: span)
        case let get as SubscriptGet:
            return SubscriptGet(object: try resolve(get.object), items: try resolveItems(get.items), span: span)
        case let list as ListLiteral:
            return ListLiteral(elements: try list.elements.map { try resolve($0) }, span: span)
        case let record as RecordLiteral:
            return RecordLiteral(keys: record.keys, values: try record.values.map { try resolve($0) }, span: span)
        case let string as InterpolatedString:
            return InterpolatedString(parts: try string.parts.map { try resolve($0) }, span: span)
        case let literal as Literal:
            if case .number(let x) = literal.value { return NumberLiteral(number: x, span: span) }
            return node
        default:
            throw Diagnostic("internal error: the resolver does not know \(type(of: node))", at: span)
        }
    }

    private func localNamesInScope() -> [String] {
        functions.flatMap { context in context.scopes.flatMap { $0.keys } }
    }

    private func controlInExpression(_ word: String, _ node: Node) -> Diagnostic {
        Diagnostic("'\(word)' must stand as a statement of its own, not inside an expression", at: node.span)
    }

    private mutating func variableGet(_ name: String, span: SourceSpan) -> Node {
        if name == current.ownName, !current.scopes.contains(where: { $0[name] != nil }) {
            return CurrentFunction(span: span)
        }
        switch lookup(name) {
        case .local(let variable):
            return variable.isCell ? CellGet(slot: variable.slot, span: span) : LocalGet(slot: variable.slot, span: span)
        case .upvalue(let index):
            return UpvalueGet(index: index, span: span)
        case .global(let index):
            let locals = globals.values[index] == nil ? localNamesInScope() : []
            return GlobalGet(index: index, name: name, localsInScope: locals, span: span)
        }
    }

    private mutating func resolveAssignment(_ assignment: Assignment) throws -> Node {
        var value = try resolve(assignment.value, statement: true)
        let span = assignment.span
        switch assignment.target {
        case let identifier as Identifier:
            if let op = assignment.compoundOperator {
                value = CompoundBinary(op: op, left: variableGet(identifier.name, span: identifier.span), right: value, span: span)
            }
            switch lookup(identifier.name) {
            case .local(let variable):
                return variable.isCell ? CellStore(slot: variable.slot, value: value, createsCell: false, span: span)
                    : LocalStore(slot: variable.slot, value: value, span: span)
            case .upvalue(let index):
                return UpvalueStore(index: index, value: value, span: span)
            case .global(let index):
                return GlobalStore(index: index, name: identifier.name, value: value, isDefinition: false, span: span)
            }
        case let field as FieldGet:
            return FieldSet(object: try resolve(field.object), name: field.name,
                            compoundOperator: assignment.compoundOperator, value: value, span: span)
        case let get as SubscriptGet:
            return SubscriptSet(object: try resolve(get.object), items: try resolveItems(get.items),
                                compoundOperator: assignment.compoundOperator, value: value, span: span)
        default:
            throw Diagnostic("cannot assign to this expression", at: span)
        }
    }

    private mutating func resolveBlock(_ block: Block) throws -> Node {
        try withScope { resolver in
            var hoistedCells: [Int] = []
            for case let declaration as FunctionDeclaration in block.statements {
                let variable = resolver.declare(declaration.name)
                if variable.isCell { hoistedCells.append(variable.slot) }
            }
            let statements = try block.statements.map { try resolver.resolve($0, statement: true) }
            // Scopes now live in slot numbers, so a one-statement block is just its statement:
            // function bodies like `{ if n < 2 { n } else { ... } }` skip a level of dispatch.
            if hoistedCells.isEmpty {
                switch statements.count {
                case 1: return statements[0]
                case 2: return Block2(statements[0], statements[1], span: block.span)
                case 3: return Block3(statements[0], statements[1], statements[2], span: block.span)
                default: break
                }
            }
            return Block(statements: statements, hoistedCells: hoistedCells, span: block.span)
        }
    }

    private mutating func resolveFunction(_ function: FunctionLiteral, ownName: String? = nil) throws -> Node {
        let prototype = function.prototype
        var nested: Set<String> = []
        prototype.defaults.forEach { $0.map { collectNames($0, inNestedFunction: false, into: &nested) } }
        collectNames(prototype.body, inNestedFunction: false, into: &nested)
        let context = FunctionContext(isTopLevel: false, capturedNames: nested)
        context.ownName = ownName
        functions.append(context)
        defer { functions.removeLast() }
        var cellParameters: [Int] = []
        for (index, name) in prototype.parameters.enumerated() where declare(name).isCell {
            cellParameters.append(index)
        }
        let defaults = try prototype.defaults.map { try resolveOptional($0) }
        let body = try resolve(prototype.body, statement: true)
        return FunctionLiteral(prototype: prototype.resolved(defaults: defaults, body: body, frameSize: context.frameSize,
                                                             cellParameters: cellParameters, captures: context.captures))
    }

    private mutating func resolveNamed(_ named: [NamedArgument]) throws -> [NamedArgument] {
        try named.map { NamedArgument(name: $0.name, value: try resolve($0.value), nameSpan: $0.nameSpan) }
    }

    private mutating func resolveItems(_ items: [SubscriptItem]) throws -> [SubscriptItem] {
        try items.map { item in
            switch item {
            case .index(let node): .index(try resolve(node))
            case .slice(let start, let stop, let step):
                .slice(start: try resolveOptional(start), stop: try resolveOptional(stop), step: try resolveOptional(step))
            }
        }
    }

    private func namesUsedInNestedFunctions(_ node: Node) -> Set<String> {
        var names: Set<String> = []
        collectNames(node, inNestedFunction: false, into: &names)
        return names
    }

    private func collectNames(_ node: Node, inNestedFunction: Bool, into names: inout Set<String>) {
        if inNestedFunction, let identifier = node as? Identifier { names.insert(identifier.name) }
        let nestedBelow = inNestedFunction || node is FunctionLiteral
        node.forEachChild { collectNames($0, inNestedFunction: nestedBelow, into: &names) }
    }
}

/// Global variables (top-level `let`s, `fn`s and built-ins), indexed by the slots the resolver hands out.
public final class GlobalTable {
    var values: UnsafeMutablePointer<Value?>
    private var capacity: Int
    public private(set) var names: [String] = []
    private var indices: [String: Int] = [:]

    init() {
        capacity = 256
        values = .allocate(capacity: capacity)
        values.initialize(repeating: nil, count: capacity)
    }

    deinit {
        values.deinitialize(count: capacity)
        values.deallocate()
    }

    func index(of name: String) -> Int {
        if let index = indices[name] { return index }
        if names.count == capacity {
            let grown = UnsafeMutablePointer<Value?>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: values, count: capacity)
            (grown + capacity).initialize(repeating: nil, count: capacity)
            values.deallocate()
            values = grown
            capacity *= 2
        }
        names.append(name)
        indices[name] = names.count - 1
        return names.count - 1
    }

    public subscript(name: String) -> Value? {
        get { indices[name].flatMap { values[$0] } }
        set { values[index(of: name)] = newValue }
    }

    /// The globals that currently hold a value, in declaration order.
    public var defined: [(name: String, value: Value)] {
        names.indices.compactMap { i in values[i].map { (names[i], $0) } }
    }
}
