// Operations that rearrange elements: broadcasting, reshaping, transposing, joining.

extension Tensor {
    /// This tensor broadcast to a larger `shape` (NumPy's broadcast_to, PyTorch's expand).
    public func expanded(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard broadcastShape(shape, target) == target else {
            throw TensorError("cannot broadcast shape \(describe(shape)) to \(describe(target))")
        }
        var out = try Tensor(uninitializedShape: target)
        gatherStrided(storage.pointer, offset: 0, strides: broadcastStrides(shape, to: target), shape: target, into: out.storage.pointer)
        if let tape = activeTape(self) { tape.record(.expand, [self], &out) }
        return out
    }

    /// The same elements in a new shape; one size may be -1 and is then inferred.
    public func reshaped(_ requested: [Int]) throws -> Tensor {
        var target = requested
        let inferred = requested.indices.filter { requested[$0] == -1 }
        guard inferred.count <= 1 else { throw TensorError("reshape() can infer only one size (-1), got shape \(describe(requested))") }
        if let axis = inferred.first {
            let known = requested.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw TensorError("cannot reshape a tensor of shape \(describe(shape)) (\(count) elements) to \(describe(requested))")
            }
            target[axis] = count / known
        }
        guard target.allSatisfy({ $0 >= 0 }), (try? checkedCount(target)) == count else {
            throw TensorError("cannot reshape a tensor of shape \(describe(shape)) (\(count) elements) to \(describe(requested))")
        }
        if target == shape { return self }
        var out = Tensor(shape: target, storage: storage)
        if let tape = activeTape(self) { tape.record(.reshape, [self], &out) }
        return out
    }

    /// The axes reordered: axis i of the result is axis `order[i]` of this tensor.
    public func permuted(_ order: [Int]) throws -> Tensor {
        let axes = try order.map { try normalizeAxis($0, rank: rank, operation: "transpose()") }
        guard axes.count == rank, Set(axes).count == rank else {
            throw TensorError("transpose() needs a permutation of the \(rank) axes of a tensor of shape \(describe(shape)), got \(describe(order))")
        }
        if axes == Array(0..<rank) { return self }
        let strides = contiguousStrides(shape)
        return try view(offset: 0, shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] })
    }

    /// The axes in reverse order, as NumPy's and PyTorch's `.T`.
    public var transposed: Tensor { (try? permuted(Array((0..<rank).reversed()))) ?? self }

    /// The strided view (`offset`, `shape`, `strides`) of this tensor's elements, copied out.
    func view(offset: Int, shape viewShape: [Int], strides: [Int]) throws -> Tensor {
        var out = try Tensor(uninitializedShape: viewShape)
        gatherStrided(storage.pointer, offset: offset, strides: strides, shape: viewShape, into: out.storage.pointer)
        if let tape = activeTape(self) { tape.record(.view(offset: offset, strides: strides), [self], &out) }
        return out
    }

    /// Zeros of `targetShape` with this tensor added in through the strided view: `view`'s adjoint.
    func scatteredThroughView(into targetShape: [Int], offset: Int, strides: [Int]) throws -> Tensor {
        var out = try Tensor(shape: targetShape, repeating: 0)
        scatterAddStrided(storage.pointer, shape: shape, into: out.storage.pointer, offset: offset, strides: strides)
        if let tape = activeTape(self) { tape.record(.viewScatter(offset: offset, strides: strides), [self], &out) }
        return out
    }

    public func flattened() throws -> Tensor { try reshaped([count]) }

    /// Without its size-1 axes, or without the one given.
    public func squeezed(axis: Int? = nil) throws -> Tensor {
        guard let axis else { return try reshaped(shape.filter { $0 != 1 }) }
        let resolved = try normalizeAxis(axis, rank: rank, operation: "squeeze()")
        guard rank > 0, shape[resolved] == 1 else { return self }
        var target = shape
        target.remove(at: resolved)
        return try reshaped(target)
    }

    /// With a new size-1 axis at `axis` (which may be `rank`, or negative from the end).
    public func unsqueezed(axis: Int) throws -> Tensor {
        let resolved = axis < 0 ? axis + rank + 1 : axis
        guard resolved >= 0, resolved <= rank else {
            throw TensorError("axis \(axis) is out of range for unsqueeze() of a tensor with \(rank) dimension\(rank == 1 ? "" : "s")")
        }
        var target = shape
        target.insert(1, at: resolved)
        return try reshaped(target)
    }

    /// Tensors joined along an existing axis; all other sizes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concat() needs at least one tensor") }
        guard first.rank > 0 else { throw TensorError("concat() cannot join tensors with no dimensions; use stack()") }
        let resolved = try normalizeAxis(axis, rank: first.rank, operation: "concat()")
        var total = 0
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            guard a.count == b.count else {
                throw TensorError("concat() needs tensors of the same rank, got shapes \(describe(first.shape)) and \(describe(tensor.shape))")
            }
            a[resolved] = 0; b[resolved] = 0
            guard a == b else {
                throw TensorError("concat() along axis \(axis) needs matching sizes on the other axes, got shapes \(describe(first.shape)) and \(describe(tensor.shape))")
            }
            total += tensor.shape[resolved]
        }
        var shape = first.shape
        shape[resolved] = total
        var out = try Tensor(uninitializedShape: shape)
        let outer = shape[..<resolved].reduce(1, *)
        let inner = shape[(resolved + 1)...].reduce(1, *)
        var column = 0
        for tensor in tensors {
            let width = tensor.shape[resolved] * inner
            for row in 0..<outer {
                (out.storage.pointer + row * total * inner + column).update(from: tensor.storage.pointer + row * width, count: width)
            }
            column += width
        }
        if let tape = tensors.lazy.compactMap({ activeTape($0) }).first { tape.record(.concat(axis: resolved), tensors, &out) }
        return out
    }

    /// Tensors of one shape joined along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("stack() needs at least one tensor") }
        for tensor in tensors where tensor.shape != first.shape {
            throw TensorError("stack() needs tensors of one shape, got \(describe(first.shape)) and \(describe(tensor.shape))")
        }
        let resolved = axis < 0 ? axis + first.rank + 1 : axis
        guard resolved >= 0, resolved <= first.rank else {
            throw TensorError("axis \(axis) is out of range for stack() of tensors with \(first.rank) dimensions")
        }
        return try concat(tensors.map { try $0.unsqueezed(axis: resolved) }, axis: resolved)
    }

    /// Undoes broadcasting: sums `self` (the gradient of a broadcast result) down to `target`,
    /// the shape of the operand that was broadcast. The only place gradients meet broadcasting.
    func summed(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let extra = rank - target.count
        var axes = Array(0..<extra)
        for (i, size) in target.enumerated() where size == 1 && shape[extra + i] != 1 { axes.append(extra + i) }
        return try sum(axes: axes, keepdims: true).reshaped(target)
    }
}
