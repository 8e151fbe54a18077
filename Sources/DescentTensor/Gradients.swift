import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The derivative rules, all in one place: given a node and the gradient `g` of its output, the
/// gradient of each input (nil for constants). When `tape` is set the backward pass is itself
/// being recorded (a gradient of a gradient), so every rule is written with the same
/// differentiable operations as forward code, never with raw loops. Composite operations
/// (softmax, losses, var, logsumexp, ...) have no rules: they are made of these primitives.
func inputGradients(_ node: TapeNode, _ g: Tensor, _ tape: Tape?) throws -> [Tensor?] {
    let inputs = node.inputs.map { $0.tensor(on: tape) }
    let needed = node.inputs.map { $0.node >= 0 }
    let y = node.output.tensor(on: tape)
    switch node.primitive {
    case .identity:
        return [g]
    case .unary(let function):
        return [try unaryGradient(function, x: inputs[0], y: y, g: g, recording: tape != nil)]
    case .binary(let function):
        let (ga, gb) = try binaryGradients(function, inputs[0], inputs[1], y: y, g: g, needed: (needed[0], needed[1]))
        return [try ga?.summed(toShape: inputs[0].shape), try gb?.summed(toShape: inputs[1].shape)]
    case .select:
        let condition = inputs[0], zero = Tensor(scalar: 0)
        return [nil,
                needed[1] ? try Tensor.select(condition, g, zero).summed(toShape: inputs[1].shape) : nil,
                needed[2] ? try Tensor.select(condition, zero, g).summed(toShape: inputs[2].shape) : nil]
    case .clip(let lower, let upper):
        let inside = try mask(inputs[0]) { $0 >= lower && $0 <= upper }
        return [try g * inside]
    case .sum(let axes, let keepdims):
        return [try spread(g, over: inputs[0].shape, axes: axes, keepdims: keepdims)]
    case .extreme(let axes, let keepdims):
        let x = inputs[0]
        let extremes = try spread(y.detached, over: x.shape, axes: axes, keepdims: keepdims)
        let winners = try Tensor.binary(.equal, x.detached, extremes)
        let ties = try spread(winners.sum(axes: axes, keepdims: true), over: x.shape, axes: axes, keepdims: true)
        return [try spread(g, over: x.shape, axes: axes, keepdims: keepdims) * winners / ties]
    case .product(let axes, let keepdims):
        return [try productGradient(inputs[0], y: y, g: g, axes: axes, keepdims: keepdims, recording: tape != nil)]
    case .norm(let axes, let keepdims):
        let x = inputs[0]
        let norms = try spread(y, over: x.shape, axes: axes, keepdims: keepdims)
        let scaled = try spread(g, over: x.shape, axes: axes, keepdims: keepdims) * x / norms
        return [try Tensor.select(mask(norms) { $0 == 0 }, Tensor(scalar: 0), scaled)]
    case .cumulativeSum(let axis, let reverse):
        return [try g.cumulativeSum(axis: axis, reverse: !reverse)]
    case .expand:
        return [try g.summed(toShape: inputs[0].shape)]
    case .reshape:
        return [try g.reshaped(inputs[0].shape)]
    case .view(let offset, let strides):
        return [try g.scatteredThroughView(into: inputs[0].shape, offset: offset, strides: strides)]
    case .viewScatter(let offset, let strides):
        return [try g.view(offset: offset, shape: inputs[0].shape, strides: strides)]
    case .take(let positions):
        return [try g.scattered(to: positions, shape: inputs[0].shape)]
    case .takeScatter(let positions):
        return [try g.take(positions: positions, shape: inputs[0].shape)]
    case .put(let positions):
        let values = inputs[1]
        return [needed[0] ? try g.putting(Tensor(shape: values.shape, repeating: 0), at: positions) : nil,
                needed[1] ? try g.take(positions: positions, shape: values.shape) : nil]
    case .concat(let axis):
        var start = 0
        return try inputs.enumerated().map { i, input in
            let width = input.shape[axis]
            defer { start += width }
            guard needed[i] else { return nil }
            let leading = [TensorIndex](repeating: .slice(start: nil, stop: nil, step: nil), count: axis)
            return try g.indexed(leading + [.slice(start: start, stop: start + width, step: 1)])
        }
    case .matmul(let transposeA, let transposeB):
        let a = inputs[0], b = inputs[1]
        let ga = !needed[0] ? nil : transposeA
            ? try Tensor.multiplied(b, g, transposeA: transposeB, transposeB: true)
            : try Tensor.multiplied(g, b, transposeA: false, transposeB: !transposeB)
        let gb = !needed[1] ? nil : transposeB
            ? try Tensor.multiplied(g, a, transposeA: true, transposeB: transposeA)
            : try Tensor.multiplied(a, g, transposeA: !transposeA, transposeB: false)
        return [ga, gb]
    case .inverse:
        let left = try Tensor.multiplied(y, g, transposeA: true, transposeB: false)
        return [Tensor.unary(.negate, try Tensor.multiplied(left, y, transposeA: false, transposeB: true))]
    case .determinant:
        return [try inputs[0].inverse().transposed * (g * y)]
    case .solve:
        let a = inputs[0], b = inputs[1]
        let gb = try Tensor.solve(a.transposed, g)
        let ga = b.rank == 1 ? try Tensor.outer(gb, y) : try Tensor.matmul(gb, y.transposed)
        return [needed[0] ? Tensor.unary(.negate, ga) : nil, needed[1] ? gb : nil]
    }
}

private func unaryGradient(_ function: UnaryFunction, x: Tensor, y: Tensor, g: Tensor, recording: Bool) throws -> Tensor? {
    // One pass instead of three or four temporaries, with the same operations in the same order.
    if !recording, g.shape == y.shape, function == .tanh || function == .sigmoid || function == .softplus {
        let out = Tensor(sameShapeAs: y.shape, count: y.count)
        switch function {
        case .tanh: descent_tanh_backward(y.count, g.storage.pointer, y.storage.pointer, out.storage.pointer)
        case .sigmoid: descent_sigmoid_backward(y.count, g.storage.pointer, y.storage.pointer, out.storage.pointer)
        default:
            let sigmoid = Tensor.unary(.sigmoid, x.detached)
            descent_softplus_backward(y.count, g.storage.pointer, x.storage.pointer, sigmoid.storage.pointer, out.storage.pointer)
        }
        return out
    }
    switch function {
    case .negate: return Tensor.unary(.negate, g)
    case .exp: return try g * y
    case .log: return try g / x
    case .log1p: return try g / (x + 1)
    case .log2: return try g / (x * M_LN2)
    case .log10: return try g / (x * M_LN10)
    case .sqrt: return try g / (y * 2)
    case .sin: return try g * Tensor.unary(.cos, x)
    case .cos: return try g * Tensor.unary(.negate, Tensor.unary(.sin, x))
    case .tan: return try g * (y * y + 1)
    case .tanh: return try g * (1 - y * y)
    case .sigmoid: return try g * ((1 - y) * y)
    case .relu: return try g * mask(y) { $0 > 0 }
    case .softplus: return try Tensor.select(mask(x) { $0 > 20 }, g, g * Tensor.unary(.sigmoid, x))
    case .abs: return try g * Tensor.unary(.sign, x)
    case .sign, .floor, .ceil, .round, .trunc: return nil
    }
}

private func binaryGradients(_ function: BinaryFunction, _ a: Tensor, _ b: Tensor, y: Tensor, g: Tensor,
                             needed: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
    var ga: Tensor?, gb: Tensor?
    switch function {
    case .add:
        ga = g; gb = g
    case .subtract:
        ga = g; gb = needed.1 ? Tensor.unary(.negate, g) : nil
    case .multiply:
        ga = needed.0 ? try g * b : nil
        gb = needed.1 ? try g * a : nil
    case .divide:
        ga = needed.0 ? try g / b : nil
        gb = needed.1 ? try Tensor.unary(.negate, g) * a / (b * b) : nil
    case .power:
        // PyTorch's conventions: no gradient from a zero exponent, nor to the exponent at 0 ** b.
        if needed.0 {
            let slope = try g * b * Tensor.binary(.power, a, b - 1)
            ga = try Tensor.select(mask(b) { $0 == 0 }, Tensor(scalar: 0), slope)
        }
        if needed.1 {
            let slope = try g * y * Tensor.unary(.log, a)
            let zeroBase = try Tensor.binary(.multiply, mask(a) { $0 == 0 }, mask(b) { $0 >= 0 })
            gb = try Tensor.select(zeroBase, Tensor(scalar: 0), slope)
        }
    case .remainder:
        ga = g
        gb = needed.1 ? try Tensor.unary(.negate, g) * Tensor.binary(.floorDivide, a.detached, b.detached) : nil
    case .maximum, .minimum:
        // Ties share the gradient equally, as in PyTorch.
        let wins = try Tensor.binary(function == .maximum ? .greater : .less, a.detached, b.detached)
        let ties = try Tensor.binary(.equal, a.detached, b.detached)
        let share = try wins + ties * 0.5
        ga = needed.0 ? try g * share : nil
        gb = needed.1 ? try g * (1 - share) : nil
    case .floorDivide, .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
        break
    }
    return (ga, gb)
}

/// The gradient of a product: the product of the other elements, computed without dividing
/// when an element is zero.
private func productGradient(_ x: Tensor, y: Tensor, g: Tensor, axes: [Int], keepdims: Bool, recording: Bool) throws -> Tensor {
    let spreadGradient = try spread(g, over: x.shape, axes: axes, keepdims: keepdims)
    let hasZero = x.withElements { $0.contains(0) }
    if !hasZero {
        return try spreadGradient * spread(y, over: x.shape, axes: axes, keepdims: keepdims) / x
    }
    guard !recording else {
        throw TensorError("second derivatives through prod() of a tensor containing zeros are not supported")
    }
    // Each element's cofactor: the product of the others in its group, by direct multiplication.
    let layout = reductionLayout(x.shape, axes: axes)
    let groups = x.keptCount(axes)
    var members = [[Int]](repeating: [], count: groups)
    let groupOf = contiguousStrides(x.shape)
    for i in 0..<x.count {
        var group = 0, rest = i
        for axis in 0..<x.rank {
            group += (rest / groupOf[axis]) * layout.strides[axis]
            rest %= groupOf[axis]
        }
        members[group].append(i)
    }
    var cofactors = try Tensor(shape: x.shape, repeating: 0)
    cofactors.updateElements { out in
        x.withElements { values in
            for group in members {
                for i in group {
                    out[i] = group.reduce(1.0) { $1 == i ? $0 : $0 * values[$1] }
                }
            }
        }
    }
    return try spreadGradient * cofactors
}

/// A reduction's result (or its gradient) broadcast back over the shape it was reduced from.
private func spread(_ reduced: Tensor, over shape: [Int], axes: [Int], keepdims: Bool) throws -> Tensor {
    var kept = shape
    for axis in axes { kept[axis] = 1 }
    let aligned = keepdims ? reduced : try reduced.reshaped(kept)
    return try aligned.expanded(to: shape)
}

/// 1 where `test` holds, 0 elsewhere: a constant.
private func mask(_ x: Tensor, _ test: (Double) -> Bool) throws -> Tensor {
    var out = Tensor(sameShapeAs: x.shape, count: x.count)
    mapElements(x.storage.pointer, out.storage.pointer, x.count) { test($0) ? 1 : 0 }
    out.isMask = true
    return out
}

// Arithmetic shorthands that keep the rules above readable; all go through `Tensor.binary`.
extension Tensor {
    static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.multiply, a, b) }
    static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.divide, a, b) }
    static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    static func * (a: Tensor, b: Double) throws -> Tensor { try binary(.multiply, a, Tensor(scalar: b)) }
    static func + (a: Tensor, b: Double) throws -> Tensor { try binary(.add, a, Tensor(scalar: b)) }
    static func - (a: Tensor, b: Double) throws -> Tensor { try binary(.subtract, a, Tensor(scalar: b)) }
    static func - (a: Double, b: Tensor) throws -> Tensor { try binary(.subtract, Tensor(scalar: a), b) }
}
