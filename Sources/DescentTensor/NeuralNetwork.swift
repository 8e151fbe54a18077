#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Losses, initialisation and a multilayer perceptron, composed from differentiable primitives
/// (so they need no derivative rules of their own).
public enum NeuralNetwork {
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
        let error = try Tensor.binary(.subtract, prediction, target)
        return try Tensor.binary(.multiply, error, error).mean()
    }

    /// Mean negative log-likelihood of integer `labels` under softmax(`logits`), as
    /// torch.nn.functional.cross_entropy: logits [N, C] with labels [N], or [C] with one label.
    public static func crossEntropy(_ logits: Tensor, _ labels: Tensor) throws -> Tensor {
        guard logits.rank == 1 || logits.rank == 2 else {
            throw TensorError("cross_entropy() needs logits of shape [N, C] or [C], got \(describe(logits.shape))")
        }
        let rows = logits.rank == 2 ? logits.shape[0] : 1
        let classes = logits.shape[logits.rank - 1]
        guard labels.count == rows, labels.rank <= 1 else {
            throw TensorError("cross_entropy() needs one label per row: logits of shape \(describe(logits.shape)) and labels of shape \(describe(labels.shape))")
        }
        var positions: [Int] = []
        for row in 0..<rows {
            let label = labels[flat: row]
            guard label == label.rounded(), label >= 0, label < Double(classes) else {
                throw TensorError("cross_entropy() labels must be whole numbers from 0 to \(classes - 1), got \(describe(label))")
            }
            positions.append(row * classes + Int(label))
        }
        let logProbabilities = try logits.logSoftmax(axis: -1)
        let picked = try logProbabilities.take(positions: positions, shape: [rows])
        return Tensor.unary(.negate, try picked.mean())
    }

    /// Mean binary cross-entropy of 0/1 `targets` under sigmoid(`logits`), computed stably as
    /// softplus(x) - x t, whose gradient is sigmoid(x) - t everywhere (also at x = 0).
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard broadcastShape(logits.shape, targets.shape) == logits.shape else {
            throw TensorError("binary_cross_entropy_with_logits() needs targets of the logits' shape \(describe(logits.shape)), got \(describe(targets.shape))")
        }
        let terms = try Tensor.binary(.subtract, Tensor.unary(.softplus, logits), Tensor.binary(.multiply, logits, targets))
        return try terms.mean()
    }

    public enum Initialization: String, CaseIterable, Sendable {
        /// Normal with variance 2 / fan_in: for ReLU layers.
        case he
        /// Uniform with variance 2 / (fan_in + fan_out): for tanh and sigmoid layers.
        case xavier
    }

    /// A weight matrix [inputs, outputs] (used as `x @ W + b`) and a zero bias [outputs].
    public static func linearLayer(inputs: Int, outputs: Int, initialization: Initialization,
                                   generator: inout RandomGenerator) throws -> (weights: Tensor, bias: Tensor) {
        guard inputs > 0, outputs > 0 else {
            throw TensorError("a layer needs at least one input and one output, got \(inputs) and \(outputs)")
        }
        let weights: Tensor
        switch initialization {
        case .he:
            weights = try .normal(shape: [inputs, outputs], std: (2 / Double(inputs)).squareRoot(), generator: &generator)
        case .xavier:
            let bound = (6 / Double(inputs + outputs)).squareRoot()
            weights = try .uniform(shape: [inputs, outputs], low: -bound, high: bound, generator: &generator)
        }
        return (weights, try Tensor(shape: [outputs], repeating: 0))
    }

    public enum Activation: String, CaseIterable, Sendable {
        case tanh, relu, sigmoid, softplus, identity

        public var initialization: Initialization { self == .relu ? .he : .xavier }

        func apply(_ x: Tensor) -> Tensor {
            switch self {
            case .tanh: Tensor.unary(.tanh, x)
            case .relu: Tensor.unary(.relu, x)
            case .sigmoid: Tensor.unary(.sigmoid, x)
            case .softplus: Tensor.unary(.softplus, x)
            case .identity: x
            }
        }
    }

    /// x through each (W, b) layer, with `activation` between layers and none after the last.
    public static func perceptron(_ layers: [(weights: Tensor, bias: Tensor)], _ x: Tensor, activation: Activation) throws -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = try Tensor.binary(.add, Tensor.matmul(h, layer.weights), layer.bias)
            if i < layers.count - 1 { h = activation.apply(h) }
        }
        return h
    }
}
