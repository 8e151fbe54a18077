/// Reverse-mode automatic differentiation on a tape.
///
/// While a gradient is being computed, every operation on a traced tensor appends a node to the
/// tape: which primitive ran, and its inputs and output as `Recorded` values (elements and node
/// index, no reference back to the tape, so nothing forms a cycle). Backpropagation walks the
/// nodes from the output down, asking `inputGradients` (the one table of derivative rules) for
/// each node's contribution to its inputs. The tape is dropped when the outermost gradient ends,
/// so memory stays flat however many steps a training loop takes.
///
/// Gradients nest: `grad(grad(f))` works because an inner gradient computed while an outer one is
/// being recorded runs its backward pass with traced tensors, so the outer tape records it too.

/// A traced tensor's place on the tape.
struct Trace {
    let tape: Tape
    let node: Int
}

/// A tensor as the tape keeps it.
struct Recorded {
    let shape: [Int]
    let storage: Storage
    /// The node that produced it, or -1 for a constant.
    let node: Int

    /// The tensor again: traced on `tape` when the backward pass is itself being recorded.
    func tensor(on tape: Tape?) -> Tensor {
        Tensor(shape: shape, storage: storage, trace: tape.flatMap { node >= 0 ? Trace(tape: $0, node: node) : nil })
    }
}

struct TapeNode {
    let primitive: Primitive
    let inputs: [Recorded]
    let output: Recorded
}

/// The operations that have derivative rules; everything else is composed of these.
enum Primitive {
    case identity
    case unary(UnaryFunction)
    case binary(BinaryFunction)
    /// where(condition, a, b); inputs are [condition, a, b] with the condition a constant.
    case select
    case clip(lower: Double, upper: Double)
    case sum(axes: [Int], keepdims: Bool)
    case extreme(axes: [Int], keepdims: Bool)
    case product(axes: [Int], keepdims: Bool)
    case norm(axes: [Int], keepdims: Bool)
    case cumulativeSum(axis: Int, reverse: Bool)
    case expand
    case reshape
    /// A strided view copied out: slicing, integer indexing, transposition.
    case view(offset: Int, strides: [Int])
    /// The adjoint of `view`: the input added into zeros of the output's shape through the view.
    case viewScatter(offset: Int, strides: [Int])
    /// out.flat[i] = input.flat[positions[i]]: gathering by index tensors.
    case take(positions: [Int])
    /// out = zeros(shape); out.flat[positions[i]] += input.flat[i]: the adjoint of take.
    case takeScatter(positions: [Int])
    /// inputs [base, values]: base with base.flat[positions[i]] = values.flat[i].
    case put(positions: [Int])
    case concat(axis: Int)
    case matmul(transposeA: Bool, transposeB: Bool)
    case inverse
    case determinant
    case solve
}

/// One gradient computation's record of operations.
public final class Tape {
    var nodes: [TapeNode] = []
    var isOpen = true

    /// Appends `output`'s node, produced by `primitive` from `inputs`, and traces `output` to it.
    func record(_ primitive: Primitive, _ inputs: [Tensor], _ output: inout Tensor) {
        let index = nodes.count
        let recorded = inputs.map { input in
            Recorded(shape: input.shape, storage: input.storage,
                     node: input.trace.map { $0.tape === self ? $0.node : -1 } ?? -1)
        }
        output.trace = Trace(tape: self, node: index)
        nodes.append(TapeNode(primitive: primitive, inputs: recorded,
                              output: Recorded(shape: output.shape, storage: output.storage, node: index)))
    }
}

/// The tape an operation on these inputs must record on, if any.
@inline(__always)
func activeTape(_ a: Tensor) -> Tape? {
    if let trace = a.trace, trace.tape.isOpen { return trace.tape }
    return nil
}

@inline(__always)
func activeTape(_ a: Tensor, _ b: Tensor) -> Tape? { activeTape(a) ?? activeTape(b) }

/// Owns the tape of the gradient being computed, for one thread of evaluation.
public final class GradientContext {
    private var tape: Tape?

    public init() {}

    /// Runs `body` on stand-ins for `inputs` and returns its value and its gradient with respect
    /// to each input. `body` must return a one-element tensor.
    public func valueAndGradients(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor) throws -> (value: Tensor, gradients: [Tensor]) {
        try withLeaves(inputs, body) { tape, output, leaves, nested in
            guard output.count == 1 else {
                throw TensorError("the function returned a tensor of shape \(describe(output.shape)); a gradient needs a single number (use jacobian() for several outputs)")
            }
            let seed = Tensor(shape: output.shape, storage: Storage(count: 1))
            seed.storage.pointer.pointee = 1
            return try backpropagate(tape, from: output, seed: seed, leaves: leaves, recording: nested)
        }
    }

    /// Runs `body` on stand-ins for `inputs` and returns its value and, for each input, the
    /// Jacobian: shape `output.shape + input.shape`.
    public func valueAndJacobians(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor) throws -> (value: Tensor, jacobians: [Tensor]) {
        try withLeaves(inputs, body) { tape, output, leaves, nested in
            var rows: [[Tensor]] = Array(repeating: [], count: leaves.count)
            for position in 0..<output.count {
                var seed = try Tensor(shape: output.shape, repeating: 0)
                seed.storage.pointer[position] = 1
                seed.trace = nil
                let gradients = try backpropagate(tape, from: output, seed: seed, leaves: leaves, recording: nested)
                for (i, gradient) in gradients.enumerated() { rows[i].append(gradient) }
            }
            let jacobians = try zip(rows, leaves).map { gradientRows, leaf -> Tensor in
                let shape = output.shape + leaf.shape
                if gradientRows.isEmpty { return try Tensor(shape: shape, repeating: 0) }
                return try Tensor.stack(gradientRows, axis: 0).reshaped(shape)
            }
            return jacobians
        }
    }

    /// Makes leaves for `inputs`, runs `body`, hands the result to `differentiate`, and closes the
    /// tape if it was opened here.
    private func withLeaves<Result>(_ inputs: [Tensor], _ body: ([Tensor]) throws -> Tensor,
                                    _ differentiate: (Tape, Tensor, [Tensor], Bool) throws -> Result) throws -> (Tensor, Result) {
        let nested = tape != nil
        let tape = self.tape ?? Tape()
        self.tape = tape
        defer {
            if !nested {
                tape.isOpen = false
                tape.nodes = []
                self.tape = nil
            }
        }
        let leaves = inputs.map { input -> Tensor in
            var leaf = Tensor(shape: input.shape, storage: input.storage)
            tape.record(.identity, [input], &leaf)
            return leaf
        }
        let output = try body(leaves)
        let result = try differentiate(tape, output, leaves, nested)
        return (nested ? output : output.detached, result)
    }

    /// The gradients of `output` (weighted by `seed`) with respect to each leaf.
    private func backpropagate(_ tape: Tape, from output: Tensor, seed: Tensor, leaves: [Tensor], recording: Bool) throws -> [Tensor] {
        // trap-ok: withLeaves traces every leaf
        let leafNodes = leaves.map { $0.trace!.node }
        let lowest = leafNodes.min() ?? 0
        guard let trace = output.trace, trace.tape === tape, trace.node >= lowest else {
            return try leaves.map { try Tensor(shape: $0.shape, repeating: 0) }
        }
        let recordingTape = recording ? tape : nil
        var adjoints = [Tensor?](repeating: nil, count: trace.node - lowest + 1)
        adjoints[trace.node - lowest] = seed
        let highestLeaf = leafNodes.max() ?? lowest
        for index in stride(from: trace.node, through: lowest, by: -1) {
            guard let gradient = adjoints[index - lowest] else { continue }
            if index > highestLeaf { adjoints[index - lowest] = nil }  // no longer needed: free it early
            let node = tape.nodes[index]
            let contributions = try inputGradients(node, gradient, recordingTape)
            for (input, contribution) in zip(node.inputs, contributions) {
                guard input.node >= lowest, let contribution else { continue }
                let slot = input.node - lowest
                adjoints[slot] = try adjoints[slot].map { try Tensor.binary(.add, $0, contribution) } ?? contribution
            }
        }
        return try leaves.enumerated().map { i, leaf in
            try adjoints[leafNodes[i] - lowest] ?? Tensor(shape: leaf.shape, repeating: 0)
        }
    }
}
