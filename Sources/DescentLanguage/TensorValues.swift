import DescentTensor

/// A tensor as a Descent value: one object shared by every variable that holds it, so that an
/// optimizer or `t[i] = x` changes it for all of them, as in NumPy and PyTorch.
public final class TensorObject: NativeObject {
    public var tensor: Tensor

    public init(_ tensor: Tensor) { self.tensor = tensor }

    override public var typeName: String { "tensor" }
    override public var isTruthy: Bool { tensor.scalarValue.map { $0 != 0 } ?? (tensor.count > 0) }

    override public func truthValue(at span: SourceSpan) throws -> Bool {
        guard let value = tensor.scalarValue else {
            throw Diagnostic("the truth value of a tensor with \(tensor.count) elements is ambiguous; use any(t) or all(t)", at: span)
        }
        return value != 0
    }

    override public func describe() -> String { tensor.formatted() }

    override public func field(_ name: String) -> Value? {
        switch name {
        case "T": tensorValue(tensor.transposed)
        case "shape": shapeValue(tensor.shape)
        case "ndim": .number(Double(tensor.rank))
        default: nil
        }
    }

    override public var fieldNames: [String] { ["T", "ndim", "shape"] }

    override public func isEqual(to other: NativeObject) -> Bool {
        guard let other = other as? TensorObject else { return false }
        return tensor.shape == other.tensor.shape && tensor.elements == other.tensor.elements
    }
}

/// How an operation's result reaches the language: a tensor with no dimensions is a plain number
/// (or bool, for a comparison), as NumPy scalars are, unless it is being differentiated.
func tensorValue(_ tensor: Tensor) -> Value {
    if tensor.rank == 0, !tensor.isTraced, let value = tensor.scalarValue {
        return tensor.isMask ? .bool(value != 0) : .number(value)
    }
    return .object(TensorObject(tensor))
}

func shapeValue(_ shape: [Int]) -> Value { .list(shape.map { .number(Double($0)) }) }

func isTensor(_ value: Value) -> Bool {
    if case .object(let object) = value { return object is TensorObject }
    return false
}

/// A number, bool, tensor, or (nested, rectangular) list of them as a tensor. Lists of tensors
/// are stacked, so `tensor([x, y])` stays differentiable.
func makeTensor(_ value: Value, depth: Int = 0) throws -> Tensor {
    switch value {
    case .number(let x): return Tensor(scalar: x)
    case .bool(let b): return Tensor(scalar: b ? 1 : 0)
    case .object(let object as TensorObject): return object.tensor
    case .list(let list):
        guard depth < 64 else { throw TensorError("a tensor can have at most 64 dimensions") }
        let items = list.items
        if items.allSatisfy({ if case .number = $0 { true } else { false } }) {
            var numbers = [Double]()
            numbers.reserveCapacity(items.count)
            for case .number(let x) in items { numbers.append(x) }
            return try Tensor(shape: [numbers.count], elements: numbers)
        }
        var rows: [Tensor] = []
        rows.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let row = try makeTensor(item, depth: depth + 1)
            if let first = rows.first, first.shape != row.shape {
                throw TensorError("a tensor needs a rectangular list: item \(i) has shape \(describe(row.shape)) but item 0 has shape \(describe(first.shape))")
            }
            rows.append(row)
        }
        return try Tensor.stack(rows, axis: 0)
    default:
        throw TensorError("a tensor holds numbers, not \(value.typeName == "nil" ? "nil" : "a " + value.typeName)")
    }
}

extension TensorError {
    func at(_ span: SourceSpan) -> Diagnostic { Diagnostic(message, at: span, kind: isInterruption ? .interrupted : .error) }
}

extension Arguments {
    /// The argument as a tensor: tensors, numbers, bools and nested lists are accepted.
    public func tensor(_ index: Int) throws -> Tensor {
        do {
            return try makeTensor(self[index])
        } catch let error as TensorError {
            if case .list = self[index] { throw self.error("\(function.name)(): \(error.message)", argument: index) }
            throw typeError(index, expected: "a tensor, number or list of numbers")
        }
    }

    /// Whether the argument is a tensor or a list (which converts to one).
    func isTensorLike(_ index: Int) -> Bool {
        switch self[index] {
        case .object(let object): object is TensorObject
        case .list: true
        default: false
        }
    }

    /// A shape: a list of sizes, or one size.
    public func shape(_ index: Int) throws -> [Int] {
        switch self[index] {
        case .number: return [try integer(index)]
        case .list(let list):
            return try list.items.enumerated().map { i, item in
                guard case .number(let x) = item, x == x.rounded(), x >= 0, x < 1e15 else {
                    throw error("\(function.name)() needs a shape of whole sizes, got \(item.reprString) at position \(i)", argument: index)
                }
                return Int(x)
            }
        case .object(let object as TensorObject):
            return try object.tensor.elements.map { x in
                guard x == x.rounded(), x >= 0, x < 1e15 else { throw error("\(function.name)() needs a shape of whole sizes, got \(formatNumber(x))", argument: index) }
                return Int(x)
            }
        default:
            throw typeError(index, expected: "a shape (a list of sizes)")
        }
    }

    /// An optional axis argument; nil when the argument is nil.
    func axes(_ index: Int) throws -> [Int]? {
        switch self[index] {
        case .nil: return nil
        case .number: return [try integer(index)]
        case .list(let list):
            return try list.items.map { item in
                guard case .number(let x) = item, x == x.rounded(), Swift.abs(x) < 1e9 else {
                    throw error("\(function.name)() needs whole-number axes, got \(item.reprString)", argument: index)
                }
                return Int(x)
            }
        default: throw typeError(index, expected: "an axis number or a list of axes")
        }
    }
}

// MARK: - Operators on tensors

/// `a op b` where at least one side is a tensor; the other may be a number, bool or list.
func tensorBinary(_ op: BinaryOperator, _ a: Value, _ b: Value, at span: SourceSpan) throws -> Value {
    if op == .contains || op == .notContains {
        guard case .object(let container as TensorObject) = b else {
            throw Diagnostic("cannot look for \(a.typeName) in \(b.typeName) with 'in'", at: span)
        }
        let found = try tensorBinary(.equal, a, .object(container), at: span)
        let any = try makeTensor(found).withElements { $0.contains { $0 != 0 } }
        return .bool(any == (op == .contains))
    }
    func operand(_ value: Value) throws -> Tensor {
        do { return try makeTensor(value) } catch let error as TensorError {
            if case .list = value { throw Diagnostic(error.message, at: span) }
            let verbs: [BinaryOperator: String] = [.add: "add", .subtract: "subtract", .multiply: "multiply", .divide: "divide"]
            let what = verbs[op].map { "cannot \($0) \(a.typeName) and \(b.typeName)" } ?? "cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)"
            throw Diagnostic(what, at: span)
        }
    }
    let x = try operand(a), y = try operand(b)
    do {
        if op == .matrixMultiply { return tensorValue(try Tensor.matmul(x, y)) }
        return tensorValue(try Tensor.binary(elementwise(op), x, y))
    } catch let error as TensorError {
        throw error.at(span)
    }
}

/// `a op b` written into `a`'s elements when `a` is a tensor that nothing else holds: the result
/// of the operation just before, as in `x * y + z`. NumPy calls this temporary elision; it saves
/// an allocation and keeps the working set in cache. Returns nil (and leaves `a` as it was)
/// whenever `a` might be seen elsewhere.
func arithmeticIntoTemporary(_ op: BinaryOperator, _ a: inout Value, _ b: Value, at span: SourceSpan) throws -> Value? {
    guard op == .add || op == .subtract || op == .multiply || op == .divide,
          case .object(var native) = a, native is TensorObject else { return nil }
    a = .nil
    guard isKnownUniquelyReferenced(&native) else {
        a = .object(native)
        return nil
    }
    let object = unsafeDowncast(native, to: TensorObject.self)
    let operand: Tensor
    switch b {
    case .number(let y): operand = Tensor(scalar: y)
    case .object(let other as TensorObject): operand = other.tensor
    default:
        a = .object(native)
        return nil
    }
    do {
        guard try Tensor.updateInPlace(elementwise(op), &object.tensor, operand) else {
            a = .object(native)
            return nil
        }
    } catch let error as TensorError {
        throw error.at(span)
    }
    return object.tensor.rank == 0 ? tensorValue(object.tensor) : .object(object)
}

/// `x op= v`: as `x = x op v`, except that a tensor is updated in place, as NumPy and PyTorch do,
/// so that every variable, list or record holding it sees the change (`w -= lr * g` on a
/// parameter inside a record). The result must keep the tensor's shape.
func applyCompound(_ op: BinaryOperator, _ current: Value, _ operand: Value, at span: SourceSpan) throws -> Value {
    guard case .object(let object as TensorObject) = current, op != .matrixMultiply else {
        return try applyBinary(op, current, operand, at: span)
    }
    let result = try tensorBinary(op, current, operand, at: span)
    let updated: Tensor
    switch result {
    case .object(let other as TensorObject): updated = other.tensor
    case .number(let x): updated = Tensor(scalar: x)
    case .bool(let b): updated = Tensor(scalar: b ? 1 : 0)
    default: return result
    }
    guard updated.shape == object.tensor.shape else {
        throw Diagnostic("cannot update a tensor of shape \(describe(object.tensor.shape)) in place with '\(op.rawValue)=': the result has shape \(describe(updated.shape))", at: span)
    }
    object.tensor = updated
    return current
}

private func elementwise(_ op: BinaryOperator) -> BinaryFunction {
    switch op {
    case .add: .add
    case .subtract: .subtract
    case .multiply: .multiply
    case .divide: .divide
    case .floorDivide: .floorDivide
    case .remainder: .remainder
    case .power: .power
    case .less: .less
    case .lessEqual: .lessEqual
    case .greater: .greater
    case .greaterEqual: .greaterEqual
    case .equal: .equal
    case .notEqual: .notEqual
    // trap-ok: tensorBinary handles these before mapping
    case .matrixMultiply, .contains, .notContains: preconditionFailure("handled by the caller")
    }
}

// MARK: - Subscripts

func tensorIndices(_ subscripts: [SubscriptValue], at span: SourceSpan) throws -> [TensorIndex] {
    func bound(_ value: Value, _ name: String) throws -> Int? {
        switch value {
        case .nil: return nil
        case .number(let x):
            if x.isInfinite { return x > 0 ? Int.max / 4 : -Int.max / 4 }
            guard x == x.rounded() else { throw Diagnostic("slice \(name) must be a whole number, got \(formatNumber(x))", at: span) }
            return Int(max(min(x, 1e15), -1e15))
        default: throw Diagnostic("slice \(name) must be a number, got \(value.typeName)", at: span)
        }
    }
    return try subscripts.map { item in
        switch item {
        case .index(.number(let x)):
            guard x == x.rounded(), abs(x) < 1e15 else {
                throw Diagnostic("tensor index must be a whole number, got \(formatNumber(x))", at: span)
            }
            return .single(Int(x))
        case .index(let value):
            switch value {
            case .list, .object(is TensorObject), .bool:
                do {
                    var positions = try makeTensor(value)
                    // A list of bools selects, as a comparison's result does (NumPy and PyTorch).
                    if case .list(let list) = value, !list.items.isEmpty,
                       list.items.allSatisfy({ if case .bool = $0 { true } else { false } }) {
                        positions = try Tensor.binary(.notEqual, positions, Tensor(scalar: 0))
                    }
                    return .positions(positions)
                } catch let error as TensorError { throw error.at(span) }
            default:
                throw Diagnostic("a tensor is indexed by numbers, slices, lists or tensors of indices, got \(value.typeName)", at: span)
            }
        case .slice(let start, let stop, let step):
            return .slice(start: try bound(start, "start"), stop: try bound(stop, "stop"), step: try bound(step, "step"))
        }
    }
}

func tensorSubscriptGet(_ tensor: Tensor, _ subscripts: [SubscriptValue], at span: SourceSpan) throws -> Value {
    let indices = try tensorIndices(subscripts, at: span)
    do { return tensorValue(try tensor.indexed(indices)) } catch let error as TensorError { throw error.at(span) }
}

func tensorSubscriptSet(_ object: TensorObject, _ subscripts: [SubscriptValue], _ value: Value, at span: SourceSpan) throws {
    let indices = try tensorIndices(subscripts, at: span)
    let values: Tensor
    do { values = try makeTensor(value) } catch let error as TensorError { throw Diagnostic("cannot assign \(value.typeName) into a tensor: \(error.message)", at: span) }
    do { try object.tensor.assign(indices, values) } catch let error as TensorError { throw error.at(span) }
}

/// The rows of a tensor, for `for row in t`, `list(t)` and `enumerate(t)`.
func tensorRows(_ tensor: Tensor, at span: SourceSpan) throws -> [Value] {
    guard tensor.rank > 0 else { throw Diagnostic("cannot iterate over a tensor with no dimensions", at: span) }
    do {
        return try (0..<tensor.shape[0]).map { tensorValue(try tensor.indexed([.single($0)])) }
    } catch let error as TensorError { throw error.at(span) }
}

/// Nested lists of numbers with the tensor's shape.
func nestedList(_ tensor: Tensor) -> Value {
    let values = tensor.elements
    let strides = tensor.shape.indices.map { tensor.shape[($0 + 1)...].reduce(1, *) }
    func build(_ offset: Int, _ axis: Int) -> Value {
        if axis == tensor.rank { return .number(values[offset]) }
        return .list((0..<tensor.shape[axis]).map { build(offset + $0 * strides[axis], axis + 1) })
    }
    return build(0, 0)
}
