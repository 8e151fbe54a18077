/// One entry of a subscript such as `t[0, 1:3, idx]`.
public enum TensorIndex {
    /// Picks one position and drops the axis (negative counts from the end).
    case single(Int)
    /// Python's `start:stop:step`, any part omitted.
    case slice(start: Int?, stop: Int?, step: Int?)
    /// Gathers the listed positions (an index tensor of any shape) or, for a mask, the positions
    /// where it is nonzero.
    case positions(Tensor)
}

/// Where a resolved subscript reads from: the result's shape and, per result element, one
/// offset into the source's elements.
struct Selection {
    var shape: [Int]
    var offsets: [Int]
}

extension Tensor {
    /// `t[indices]`: basic indexing is a strided copy, index tensors gather (both differentiable).
    public func indexed(_ indices: [TensorIndex]) throws -> Tensor {
        let expanded = try expandMasks(indices)
        if !expanded.contains(where: { if case .positions = $0 { true } else { false } }) {
            let (offset, viewShape, strides) = try basicView(expanded)
            return try view(offset: offset, shape: viewShape, strides: strides)
        }
        let selection = try select(expanded)
        return try take(positions: selection.offsets, shape: selection.shape)
    }

    /// `t[indices] = value`, with `value` broadcast to the selection. In place when nothing is
    /// being differentiated; otherwise recorded, so that gradients flow to both.
    public mutating func assign(_ indices: [TensorIndex], _ value: Tensor) throws {
        let selection = try select(try expandMasks(indices))
        let values = try value.expanded(to: selection.shape)
        if activeTape(self, value) != nil {
            self = try putting(values, at: selection.offsets)
            return
        }
        makeUnique()
        isMask = false
        let target = storage.pointer, source = values.storage.pointer
        for (i, offset) in selection.offsets.enumerated() { target[offset] = source[i] }
    }

    /// Masks become index tensors: a mask over k axes selects along them where it is nonzero.
    private func expandMasks(_ indices: [TensorIndex]) throws -> [TensorIndex] {
        var result: [TensorIndex] = []
        var axis = 0
        for index in indices {
            guard case .positions(let mask) = index, mask.isMask else {
                result.append(index)
                axis += 1
                continue
            }
            let covered = Array(shape.dropFirst(axis).prefix(mask.rank))
            guard covered == mask.shape else {
                throw TensorError("a mask of shape \(describe(mask.shape)) cannot select from axes \(axis)... of a tensor of shape \(describe(shape))")
            }
            let strides = contiguousStrides(mask.shape)
            let chosen = (0..<mask.count).filter { mask.storage.pointer[$0] != 0 }
            for k in 0..<mask.rank {
                let positions = chosen.map { Double(($0 / strides[k]) % mask.shape[k]) }
                result.append(.positions(try Tensor(shape: [positions.count], elements: positions)))
            }
            axis += mask.rank
        }
        return result
    }

    private func checkIndexCount(_ indices: [TensorIndex]) throws {
        guard indices.count <= rank else {
            throw TensorError("too many indices for a tensor of shape \(describe(shape)): \(indices.count) given")
        }
    }

    private func position(_ index: Int, axis: Int) throws -> Int {
        let size = shape[axis]
        let resolved = index < 0 ? index + size : index
        guard resolved >= 0, resolved < size else {
            throw TensorError("index \(index) is out of range for axis \(axis) of size \(size) (shape \(describe(shape)))")
        }
        return resolved
    }

    /// The positions of a Python slice over an axis: first, count and step.
    private func slicePositions(_ start: Int?, _ stop: Int?, _ step: Int?, size: Int) throws -> (first: Int, count: Int, step: Int) {
        let step = step ?? 1
        guard step != 0 else { throw TensorError("slice step cannot be zero") }
        func clamp(_ bound: Int?, _ fallback: Int) -> Int {
            guard var bound else { return fallback }
            if bound < 0 { bound += size }
            return step > 0 ? Swift.min(Swift.max(bound, 0), size) : Swift.min(Swift.max(bound, -1), size - 1)
        }
        let first = clamp(start, step > 0 ? 0 : size - 1)
        let end = clamp(stop, step > 0 ? size : -1)
        let count = step > 0 ? (end > first ? (end - first - 1) / step + 1 : 0) : (first > end ? (first - end - 1) / -step + 1 : 0)
        return (first, count, step)
    }

    /// Offset, shape and strides of a subscript made only of positions and slices.
    private func basicView(_ indices: [TensorIndex]) throws -> (Int, [Int], [Int]) {
        try checkIndexCount(indices)
        let strides = contiguousStrides(shape)
        var offset = 0
        var viewShape: [Int] = [], viewStrides: [Int] = []
        for axis in 0..<rank {
            let index = axis < indices.count ? indices[axis] : .slice(start: nil, stop: nil, step: nil)
            switch index {
            case .single(let i):
                offset += try position(i, axis: axis) * strides[axis]
            case .slice(let start, let stop, let step):
                let range = try slicePositions(start, stop, step, size: shape[axis])
                offset += range.count > 0 ? range.first * strides[axis] : 0
                viewShape.append(range.count)
                viewStrides.append(range.step * strides[axis])
            case .positions:
                // trap-ok: indexed() gathers when any index is a tensor
                preconditionFailure("index tensors are gathered, not viewed")
            }
        }
        return (offset, viewShape, viewStrides)
    }

    /// Every element's offset for a subscript that may hold index tensors. As in NumPy, the index
    /// tensors broadcast together; their shape takes their place if they are adjacent, and comes
    /// first otherwise.
    func select(_ indices: [TensorIndex]) throws -> Selection {
        try checkIndexCount(indices)
        let strides = contiguousStrides(shape)
        var advancedAxes: [Int] = []
        var advancedShape: [Int] = []
        for (axis, index) in indices.enumerated() {
            guard case .positions(let tensor) = index else { continue }
            guard let joined = broadcastShape(advancedShape, tensor.shape) else {
                throw TensorError("index tensors of shapes \(describe(advancedShape)) and \(describe(tensor.shape)) cannot be broadcast together")
            }
            advancedShape = joined
            advancedAxes.append(axis)
        }
        // Each factor contributes offsets along some result axes; results are their outer sum.
        var factors: [(shape: [Int], offsets: [Int])] = []
        var base = 0
        var advancedFactor: (shape: [Int], offsets: [Int])?
        if !advancedAxes.isEmpty {
            var offsets = [Int](repeating: 0, count: try checkedCount(advancedShape))
            for axis in advancedAxes {
                guard case .positions(let tensor) = indices[axis] else { continue }
                let spread = try tensor.detached.expanded(to: advancedShape)
                for i in 0..<offsets.count {
                    let value = spread.storage.pointer[i]
                    guard value == value.rounded(), Swift.abs(value) < 1e15 else {
                        throw TensorError("index tensors must hold whole numbers, got \(describe(value))")
                    }
                    offsets[i] += try position(Int(value), axis: axis) * strides[axis]
                }
            }
            advancedFactor = (advancedShape, offsets)
        }
        // trap-ok: not empty after the first test
        let adjacent = advancedAxes.isEmpty || advancedAxes.last! - advancedAxes.first! + 1 == advancedAxes.count
        if let advancedFactor, !adjacent { factors.append(advancedFactor) }
        for axis in 0..<rank {
            let index = axis < indices.count ? indices[axis] : .slice(start: nil, stop: nil, step: nil)
            switch index {
            case .single(let i):
                base += try position(i, axis: axis) * strides[axis]
            case .slice(let start, let stop, let step):
                let range = try slicePositions(start, stop, step, size: shape[axis])
                factors.append(([range.count], (0..<range.count).map { (range.first + $0 * range.step) * strides[axis] }))
            case .positions:
                if adjacent, axis == advancedAxes.first, let advancedFactor { factors.append(advancedFactor) }
            }
        }
        let resultShape = factors.flatMap(\.shape)
        var offsets = [Int](repeating: base, count: 1)
        offsets.reserveCapacity(try checkedCount(resultShape))
        for factor in factors {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * factor.offsets.count)
            for offset in offsets { for extra in factor.offsets { next.append(offset + extra) } }
            offsets = next
        }
        return Selection(shape: resultShape, offsets: offsets)
    }

    /// out.flat[i] = self.flat[positions[i]], in `shape`.
    func take(positions: [Int], shape outShape: [Int]) throws -> Tensor {
        var out = try Tensor(uninitializedShape: outShape)
        let source = storage.pointer, target = out.storage.pointer
        for (i, position) in positions.enumerated() { target[i] = source[position] }
        if let tape = activeTape(self) { tape.record(.take(positions: positions), [self], &out) }
        return out
    }

    /// Zeros of `targetShape` with self.flat[i] added at positions[i]: the adjoint of `take`.
    func scattered(to positions: [Int], shape targetShape: [Int]) throws -> Tensor {
        var out = try Tensor(shape: targetShape, repeating: 0)
        let source = storage.pointer, target = out.storage.pointer
        for (i, position) in positions.enumerated() { target[position] += source[i] }
        if let tape = activeTape(self) { tape.record(.takeScatter(positions: positions), [self], &out) }
        return out
    }

    /// A copy with `values.flat[i]` written at positions[i].
    func putting(_ values: Tensor, at positions: [Int]) throws -> Tensor {
        var out = Tensor(sameShapeAs: shape, count: count)
        out.storage.pointer.update(from: storage.pointer, count: count)
        let source = values.storage.pointer, target = out.storage.pointer
        for (i, position) in positions.enumerated() { target[position] = source[i] }
        if let tape = activeTape(self, values) { tape.record(.put(positions: positions), [self, values], &out) }
        return out
    }
}

extension Tensor {
    /// Rows `order` of the first axis, in that order (a mini-batch): `t[order]`, copied row by
    /// row instead of through general indexing, which costs more than the copy at batch sizes.
    public func rows(_ order: [Int]) throws -> Tensor {
        guard rank > 0, !isMask, activeTape(self) == nil, order.allSatisfy({ $0 >= 0 && $0 < shape[0] }) else {
            return try indexed([.positions(try Tensor(shape: [order.count], elements: order.map(Double.init)))])
        }
        let rowLength = shape[0] == 0 ? 0 : count / shape[0]
        let out = try Tensor(uninitializedShape: [order.count] + shape.dropFirst())
        for (position, row) in order.enumerated() {
            (out.storage.pointer + position * rowLength).initialize(from: storage.pointer + row * rowLength, count: rowLength)
        }
        return out
    }
}
