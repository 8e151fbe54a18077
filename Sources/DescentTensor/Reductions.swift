import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Reductions over some or all axes, with PyTorch's `keepdims` behaviour.

extension Tensor {
    /// Validated, sorted, distinct axes; nil means every axis.
    func reductionAxes(_ axes: [Int]?, operation: String) throws -> [Int] {
        guard rank > 0 else {
            for axis in axes ?? [] { _ = try normalizeAxis(axis, rank: 0, operation: operation) }
            return []
        }
        guard let axes else { return Array(0..<rank) }
        let resolved = try axes.map { try normalizeAxis($0, rank: rank, operation: operation) }
        guard Set(resolved).count == resolved.count else {
            throw TensorError("\(operation) got the same axis twice in \(describe(axes))")
        }
        return resolved.sorted()
    }

    func reducedShape(_ axes: [Int], keepdims: Bool) -> [Int] {
        keepdims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Number of elements folded into each result of a reduction over `axes`.
    func reductionSize(_ axes: [Int]) -> Int { axes.reduce(1) { $0 * shape[$1] } }

    /// Number of results of a reduction over `axes`.
    func keptCount(_ axes: [Int]) -> Int { shape.indices.reduce(1) { axes.contains($1) ? $0 : $0 * shape[$1] } }

    public func sum(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let axes = try reductionAxes(axes, operation: "sum()")
        var out = Tensor(sameShapeAs: reducedShape(axes, keepdims: keepdims), count: keptCount(axes))
        if axes.count == rank {
            out.storage.pointer.pointee = descent_sum(count, storage.pointer)
        } else if axes == Array(0..<axes.count), out.count > 0 {
            // Leading axes (a bias gradient's batch sum): whole rows added in order, vectorised.
            out.storage.pointer.initialize(repeating: 0, count: out.count)
            for row in stride(from: 0, to: count, by: out.count) {
                descent_arithmetic_in_place(DESCENT_ADD, out.count, out.storage.pointer, storage.pointer + row, 1)
            }
        } else {
            reduceElements(self, axes: axes, into: out.storage.pointer, outCount: out.count, initial: 0, +)
        }
        if let tape = activeTape(self) { tape.record(.sum(axes: axes, keepdims: keepdims), [self], &out) }
        return out
    }

    public func mean(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, operation: "mean()")
        let size = reductionSize(resolved)
        return try Tensor.binary(.divide, sum(axes: resolved, keepdims: keepdims), Tensor(scalar: Double(size)))
    }

    /// Largest (or smallest) elements; NaN wins, as in PyTorch. The gradient is shared equally
    /// between tied elements, as for torch.amax.
    public func extreme(largest: Bool, axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let name = largest ? "max()" : "min()"
        let axes = try reductionAxes(axes, operation: name)
        guard count > 0, reductionSize(axes) > 0 || axes.isEmpty else {
            throw TensorError("\(name) of an empty tensor (shape \(describe(shape))) has no value")
        }
        let outShape = reducedShape(axes, keepdims: keepdims)
        let outCount = keptCount(axes)
        var out = Tensor(sameShapeAs: outShape, count: outCount)
        if axes.count == rank {
            out.storage.pointer.pointee = largest ? descent_max(count, storage.pointer) : descent_min(count, storage.pointer)
        } else if largest {
            reduceElements(self, axes: axes, into: out.storage.pointer, outCount: outCount, initial: -.infinity, nanMaximum)
        } else {
            reduceElements(self, axes: axes, into: out.storage.pointer, outCount: outCount, initial: .infinity, nanMinimum)
        }
        if let tape = activeTape(self) { tape.record(.extreme(axes: axes, keepdims: keepdims), [self], &out) }
        return out
    }

    public func product(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let axes = try reductionAxes(axes, operation: "prod()")
        let outCount = keptCount(axes)
        var out = Tensor(sameShapeAs: reducedShape(axes, keepdims: keepdims), count: outCount)
        reduceElements(self, axes: axes, into: out.storage.pointer, outCount: outCount, initial: 1, *)
        if let tape = activeTape(self) { tape.record(.product(axes: axes, keepdims: keepdims), [self], &out) }
        return out
    }

    /// The Euclidean (Frobenius) norm; its gradient at zero is zero, as in PyTorch.
    public func norm(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let axes = try reductionAxes(axes, operation: "norm()")
        let outCount = keptCount(axes)
        var out = Tensor(sameShapeAs: reducedShape(axes, keepdims: keepdims), count: outCount)
        reduceElements(self, axes: axes, into: out.storage.pointer, outCount: outCount, initial: 0) { $0 + $1 * $1 }
        mapElements(out.storage.pointer, out.storage.pointer, outCount) { $0.squareRoot() }
        if let tape = activeTape(self) { tape.record(.norm(axes: axes, keepdims: keepdims), [self], &out) }
        return out
    }

    /// Variance with PyTorch's default Bessel correction (divide by n - correction).
    public func variance(axes: [Int]? = nil, correction: Double = 1, keepdims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, operation: "var()")
        let deviations = try Tensor.binary(.subtract, self, mean(axes: resolved, keepdims: true))
        let squares = try Tensor.binary(.multiply, deviations, deviations)
        let divisor = Swift.max(Double(reductionSize(resolved)) - correction, 0)
        return try Tensor.binary(.divide, squares.sum(axes: resolved, keepdims: keepdims), Tensor(scalar: divisor))
    }

    public func standardDeviation(axes: [Int]? = nil, correction: Double = 1, keepdims: Bool = false) throws -> Tensor {
        Tensor.unary(.sqrt, try variance(axes: axes, correction: correction, keepdims: keepdims))
    }

    /// log(sum(exp(x))) without overflow: the largest element is taken out first.
    public func logSumExp(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, operation: "logsumexp()")
        guard count > 0 else { return try Tensor.unary(.log, sum(axes: resolved, keepdims: keepdims)) }
        var shift = try detached.extreme(largest: true, axes: resolved, keepdims: true)
        shift.updateElements { values in
            for i in values.indices where !values[i].isFinite { values[i] = 0 }
        }
        let shifted = try Tensor.binary(.subtract, self, shift)
        let total = try Tensor.unary(.exp, shifted).sum(axes: resolved, keepdims: true)
        let result = try Tensor.binary(.add, Tensor.unary(.log, total), shift)
        return keepdims ? result : try result.reshaped(reducedShape(resolved, keepdims: false))
    }

    /// exp(x - max) / sum(exp(x - max)), as PyTorch computes it: the largest term is exactly 1.
    public func softmax(axis: Int = -1) throws -> Tensor {
        let resolved = try normalizeAxis(axis, rank: rank, operation: "softmax()")
        let axes = rank == 0 ? [] : [resolved]
        guard count > 0 else { return self }
        var shift = try detached.extreme(largest: true, axes: axes, keepdims: true)
        shift.updateElements { values in
            for i in values.indices where !values[i].isFinite { values[i] = 0 }
        }
        let exponentials = Tensor.unary(.exp, try Tensor.binary(.subtract, self, shift))
        return try Tensor.binary(.divide, exponentials, exponentials.sum(axes: axes, keepdims: true))
    }

    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try Tensor.binary(.subtract, self, logSumExp(axes: [axis], keepdims: true))
    }

    /// Running sums along `axis` (from the end when `reverse`).
    public func cumulativeSum(axis: Int, reverse: Bool = false) throws -> Tensor {
        let resolved = try normalizeAxis(axis, rank: rank, operation: "cumsum()")
        var out = Tensor(sameShapeAs: shape, count: count)
        let length = rank == 0 ? 1 : shape[resolved]
        let inner = rank == 0 ? 1 : shape[(resolved + 1)...].reduce(1, *)
        let outer = length * inner == 0 ? 0 : count / (length * inner)
        let px = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var running = 0.0
                for step in 0..<length {
                    let k = reverse ? length - 1 - step : step
                    let position = (o * length + k) * inner + i
                    running += px[position]
                    po[position] = running
                }
            }
        }
        if let tape = activeTape(self) { tape.record(.cumulativeSum(axis: resolved, reverse: reverse), [self], &out) }
        return out
    }

    /// Position of the largest (or smallest) element along `axis`, or in the flattened tensor.
    /// The first one wins ties; NaN counts as largest, as in PyTorch.
    public func argExtreme(largest: Bool, axis: Int?, keepdims: Bool = false) throws -> Tensor {
        let name = largest ? "argmax()" : "argmin()"
        guard count > 0 else { throw TensorError("\(name) of an empty tensor (shape \(describe(shape))) has no value") }
        let source = axis == nil ? try detached.reshaped([count]) : detached
        let resolved = try normalizeAxis(axis ?? 0, rank: source.rank, operation: name)
        let length = source.rank == 0 ? 1 : source.shape[resolved]
        guard length > 0 else { throw TensorError("\(name) along an empty axis has no value") }
        let inner = source.rank == 0 ? 1 : source.shape[(resolved + 1)...].reduce(1, *)
        let outer = count / (length * inner)
        var outShape = source.rank == 0 ? [] : source.reducedShape([resolved], keepdims: keepdims)
        if axis == nil { outShape = keepdims ? [Int](repeating: 1, count: rank) : [] }
        let out = Tensor(sameShapeAs: outShape, count: outer * inner)
        let px = source.storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                var bestValue = px[o * length * inner + i]
                for k in 1..<Swift.max(length, 1) {
                    let x = px[(o * length + k) * inner + i]
                    if bestValue.isNaN { break }
                    if x.isNaN || (largest ? x > bestValue : x < bestValue) { best = k; bestValue = x }
                }
                po[o * inner + i] = Double(best)
            }
        }
        return out
    }
}
