import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The tensor library as built-ins. Each wraps one call into DescentTensor; no tensor arithmetic
// happens here.

extension Builtins {
    static var tensors: [BuiltinFunction] {
        let category = "Tensors"
        return [
            define("tensor(data)", category,
                   "A tensor from a number or a nested list of numbers (lists of tensors are stacked).",
                   example: "tensor([[1, 2], [3, 4]])") { args in .object(TensorObject(try args.tensor(0))) },
            define("zeros(shape)", category, "A tensor of zeros; `shape` is a list of sizes or one size.",
                   example: "zeros([2, 3])") { args in .object(TensorObject(try Tensor(shape: try args.shape(0), repeating: 0))) },
            define("ones(shape)", category, "A tensor of ones.", example: "ones(3)") { args in
                .object(TensorObject(try Tensor(shape: try args.shape(0), repeating: 1)))
            },
            define("full(shape, value)", category, "A tensor with every element equal to `value`.",
                   example: "full([2, 2], 0.5)") { args in
                .object(TensorObject(try Tensor(shape: try args.shape(0), repeating: try args.number(1))))
            },
            define("eye(n)", category, "The n x n identity matrix.", example: "eye(2)") { args in
                let n = try args.integer(0)
                guard n >= 0 else { throw args.error("eye() needs a size of at least 0, got \(n)", argument: 0) }
                return .object(TensorObject(try Tensor.identity(n)))
            },
            define("arange(start, stop: nil, step: 1)", category,
                   "Numbers from start up to (not including) stop by step, as a tensor; arange(n) is 0 to n-1.",
                   example: "arange(0, 1, 0.25)") { args in
                let first = try args.number(0)
                let (start, stop) = args[1].isNil ? (0, first) : (first, try args.number(1))
                return .object(TensorObject(try Tensor.arange(start: start, stop: stop, step: try args.number(2))))
            },
            define("linspace(start, stop, n)", category, "n evenly spaced numbers from start to stop, both included.",
                   example: "linspace(0, 1, 5)") { args in
                .object(TensorObject(try Tensor.linspace(from: try args.number(0), to: try args.number(1), count: try args.integer(2))))
            },
            define("rand(shape)", category, "Uniform random numbers in [0, 1), from the session's seeded generator.",
                   example: "rand([2])") { args in
                .object(TensorObject(try Tensor.uniform(shape: try args.shape(0), generator: &args.ip.random)))
            },
            define("randn(shape)", category, "Standard normal random numbers, from the session's seeded generator.",
                   example: "randn([2])") { args in
                .object(TensorObject(try Tensor.normal(shape: try args.shape(0), generator: &args.ip.random)))
            },
            define("randint(low, high, shape)", category, "Random whole numbers from low up to (not including) high.",
                   example: "randint(0, 10, [5])") { args in
                .object(TensorObject(try Tensor.integers(low: try args.integer(0), high: try args.integer(1),
                                                         shape: try args.shape(2), generator: &args.ip.random)))
            },
            define("seed(n)", category,
                   "Restarts the random numbers from seed n: the same sequence on every platform and every run.",
                   example: "seed(42)") { args in
                let n = try args.integer(0)
                guard n >= 0 else { throw args.error("seed() needs a whole number of at least 0, got \(n)", argument: 0) }
                args.ip.random = args.ip.generator(seed: UInt64(n))
                return .nil
            },
            define("shape(t)", category, "The sizes of a tensor's dimensions, as a list.", example: "shape(zeros([2, 3]))") { args in
                shapeValue(try args.tensor(0).shape)
            },
            define("numel(t)", category, "The number of elements of a tensor.", example: "numel(zeros([2, 3]))") { args in
                .number(Double(try args.tensor(0).count))
            },
            define("ndim(t)", category, "The number of dimensions of a tensor.", example: "ndim(zeros([2, 3]))") { args in
                .number(Double(try args.tensor(0).rank))
            },
            define("item(t)", category, "The number inside a one-element tensor.", example: "item(tensor([3.5]))") { args in
                let t = try args.tensor(0)
                guard let value = t.scalarValue else {
                    throw args.error("item() needs a tensor with one element, got shape \(describe(t.shape))", argument: 0)
                }
                return .number(value)
            },
            define("tolist(t)", category, "A tensor as nested lists of numbers.", example: "tolist(eye(2))") { args in
                nestedList(try args.tensor(0))
            },
            define("detach(t)", category, "The same values, seen by grad() as a constant (PyTorch's detach, JAX's stop_gradient).",
                   example: "detach(tensor([1, 2]))") { args in .object(TensorObject(try args.tensor(0).detached)) },
            define("reshape(t, shape)", category, "The same elements in a new shape; one size may be -1.",
                   example: "reshape(arange(6), [2, -1])") { args in
                let shape = try signedShape(args, 1)
                return tensorValue(try args.tensor(0).reshaped(shape))
            },
            define("flatten(t)", category, "The elements as a vector.", example: "flatten(eye(2))") { args in
                tensorValue(try args.tensor(0).flattened())
            },
            define("squeeze(t, axis: nil)", category, "Without size-1 dimensions (or only the one at `axis`).",
                   example: "shape(squeeze(zeros([1, 3, 1])))") { args in
                let axis: Int? = args[1].isNil ? nil : try args.integer(1)
                return tensorValue(try args.tensor(0).squeezed(axis: axis))
            },
            define("unsqueeze(t, axis)", category, "With a new size-1 dimension at `axis`.",
                   example: "shape(unsqueeze(zeros([3]), 0))") { args in
                tensorValue(try args.tensor(0).unsqueezed(axis: try args.integer(1)))
            },
            define("transpose(t, dims: nil)", category,
                   "The dimensions reordered by the permutation `dims` (reversed when omitted, like t.T).",
                   example: "transpose(tensor([[1, 2], [3, 4]]))") { args in
                let t = try args.tensor(0)
                guard let order = try args.axes(1) else { return tensorValue(t.transposed) }
                return tensorValue(try t.permuted(order))
            },
            define("concat(tensors, axis: 0)", category, "Tensors joined along an existing dimension.",
                   example: "concat([ones(2), zeros(1)])") { args in
                tensorValue(try Tensor.concat(try tensorList(args, 0), axis: try args.integer(1)))
            },
            define("stack(tensors, axis: 0)", category, "Tensors of one shape joined along a new dimension.",
                   example: "stack([ones(2), zeros(2)])") { args in
                tensorValue(try Tensor.stack(try tensorList(args, 0), axis: try args.integer(1)))
            },
            define("where(condition, a, b)", category, "Element-wise `a` where the condition is nonzero, else `b` (broadcast).",
                   example: "where(tensor([1, 0]), 10, -10)") { args in
                tensorValue(try Tensor.select(try args.tensor(0), try args.tensor(1), try args.tensor(2)))
            },
        ]
    }

    static var tensorMath: [BuiltinFunction] {
        let category = "Tensor math"
        func reduction(_ signature: String, _ summary: String, example: String,
                       _ body: @escaping (Tensor, [Int]?, Bool) throws -> Tensor) -> BuiltinFunction {
            define(signature, category, summary, example: example) { args in
                tensorValue(try body(try args.tensor(0), try args.axes(1), args[2].isTruthy))
            }
        }
        return [
            math("sigmoid", "The logistic function 1 / (1 + e^-x), element-wise.", category: category, example: "sigmoid(0)",
                 tensor: .sigmoid, DescentTensor.sigmoid),
            math("relu", "max(x, 0), element-wise.", category: category, example: "relu(tensor([-1, 2]))", tensor: .relu) { x in
                x > 0 || x.isNaN ? x : 0
            },
            math("softplus", "log(1 + e^x), element-wise and without overflow (x itself above 20, as in PyTorch).",
                 category: category, example: "softplus(0)", tensor: .softplus, DescentTensor.softplus),
            math("log1p", "log(1 + x), accurate for small x.", category: category, example: "log1p(1e-10)", tensor: .log1p) { Glibc.log1p($0) },
            define("clip(x, low, high)", category, "Each element limited to [low, high] (torch.clamp).",
                   example: "clip(tensor([-2, 0.5, 3]), 0, 1)") { args in
                let low = args[1].isNil ? -Double.infinity : try args.number(1)
                let high = args[2].isNil ? Double.infinity : try args.number(2)
                if case .number(let x) = args[0] { return .number(x.isNaN ? x : Swift.min(Swift.max(x, low), high)) }
                return tensorValue(try args.tensor(0).clipped(lower: low, upper: high))
            },
            define("maximum(a, b)", category, "The larger of a and b, element by element (broadcast); NaN wins.",
                   example: "maximum(tensor([1, 5]), 3)") { args in
                tensorValue(try Tensor.binary(.maximum, try args.tensor(0), try args.tensor(1)))
            },
            define("minimum(a, b)", category, "The smaller of a and b, element by element (broadcast); NaN wins.",
                   example: "minimum(tensor([1, 5]), 3)") { args in
                tensorValue(try Tensor.binary(.minimum, try args.tensor(0), try args.tensor(1)))
            },
            reduction("mean(t, axis: nil, keepdims: false)", "The mean of all elements, or along `axis` (a number or a list).",
                      example: "mean(tensor([[1, 2], [3, 4]]), axis: 0)") { try $0.mean(axes: $1, keepdims: $2) },
            reduction("prod(t, axis: nil, keepdims: false)", "The product of all elements, or along `axis`.",
                      example: "prod(tensor([1, 2, 3, 4]))") { try $0.product(axes: $1, keepdims: $2) },
            reduction("norm(t, axis: nil, keepdims: false)", "The Euclidean norm (Frobenius for a matrix), or along `axis`.",
                      example: "norm(tensor([3, 4]))") { try $0.norm(axes: $1, keepdims: $2) },
            reduction("logsumexp(t, axis: nil, keepdims: false)", "log(sum(exp(t))), computed without overflow.",
                      example: "logsumexp(tensor([1000, 1000]))") { try $0.logSumExp(axes: $1, keepdims: $2) },
            define("var(t, axis: nil, correction: 1, keepdims: false)", category,
                   "The variance, dividing by n - correction (PyTorch's default 1; NumPy's is 0).",
                   example: "var(tensor([1, 2, 3, 4]))") { args in
                tensorValue(try args.tensor(0).variance(axes: try args.axes(1), correction: try args.number(2), keepdims: args[3].isTruthy))
            },
            define("std(t, axis: nil, correction: 1, keepdims: false)", category,
                   "The standard deviation, dividing by n - correction (PyTorch's default 1).",
                   example: "std(tensor([1, 2, 3, 4]))") { args in
                tensorValue(try args.tensor(0).standardDeviation(axes: try args.axes(1), correction: try args.number(2), keepdims: args[3].isTruthy))
            },
            define("argmax(t, axis: nil, keepdims: false)", category,
                   "The position of the largest element (in the flattened tensor, or along `axis`); the first of ties.",
                   example: "argmax(tensor([3, 9, 2]))") { args in
                tensorValue(try args.tensor(0).argExtreme(largest: true, axis: try optionalInteger(args, 1), keepdims: args[2].isTruthy))
            },
            define("argmin(t, axis: nil, keepdims: false)", category,
                   "The position of the smallest element (in the flattened tensor, or along `axis`); the first of ties.",
                   example: "argmin(tensor([3, 9, 2]))") { args in
                tensorValue(try args.tensor(0).argExtreme(largest: false, axis: try optionalInteger(args, 1), keepdims: args[2].isTruthy))
            },
            define("softmax(t, axis: -1)", category, "exp(t) normalised to sum to 1 along `axis`.",
                   example: "softmax(tensor([1, 2, 3]))") { args in
                tensorValue(try args.tensor(0).softmax(axis: try args.integer(1)))
            },
            define("log_softmax(t, axis: -1)", category, "log(softmax(t)), computed stably.",
                   example: "log_softmax(tensor([1, 2, 3]))") { args in
                tensorValue(try args.tensor(0).logSoftmax(axis: try args.integer(1)))
            },
            define("cumsum(t, axis: nil)", category, "Running sums along `axis` (of the flattened tensor when omitted).",
                   example: "cumsum(tensor([1, 2, 3]))") { args in
                let t = try args.tensor(0)
                guard let axis = try optionalInteger(args, 1) else { return tensorValue(try t.flattened().cumulativeSum(axis: 0)) }
                return tensorValue(try t.cumulativeSum(axis: axis))
            },
        ]
    }

    static var linearAlgebra: [BuiltinFunction] {
        let category = "Linear algebra"
        return [
            define("matmul(a, b)", category, "The matrix product a @ b (vectors, matrices, batches).",
                   example: "matmul(eye(2), tensor([1, 2]))") { args in
                tensorValue(try Tensor.matmul(try args.tensor(0), try args.tensor(1)))
            },
            define("dot(a, b)", category, "The dot product of two vectors.", example: "dot(tensor([1, 2]), tensor([3, 4]))") { args in
                tensorValue(try Tensor.dot(try args.tensor(0), try args.tensor(1)))
            },
            define("outer(a, b)", category, "The outer product of two vectors.", example: "outer(tensor([1, 2]), tensor([1, 10]))") { args in
                tensorValue(try Tensor.outer(try args.tensor(0), try args.tensor(1)))
            },
            define("solve(A, b)", category, "x with A @ x = b (b a vector or a matrix of columns).",
                   example: "solve(tensor([[2, 0], [0, 4]]), tensor([2, 2]))") { args in
                tensorValue(try Tensor.solve(try args.tensor(0), try args.tensor(1)))
            },
            define("inv(A)", category, "The inverse of a square matrix.", example: "inv(tensor([[2, 0], [0, 4]]))") { args in
                tensorValue(try args.tensor(0).inverse())
            },
            define("det(A)", category, "The determinant of a square matrix.", example: "det(tensor([[1, 2], [3, 4]]))") { args in
                tensorValue(try args.tensor(0).determinant())
            },
            define("eigh(A)", category,
                   "[eigenvalues (ascending), eigenvectors (as columns)] of a symmetric matrix; read from its lower triangle.",
                   example: "eigh(tensor([[2, 0], [0, -1]]))[0]") { args in
                let (values, vectors) = try args.tensor(0).symmetricEigen()
                return .list([.object(TensorObject(values)), .object(TensorObject(vectors))])
            },
        ]
    }

    static var neuralNetworks: [BuiltinFunction] {
        let category = "Neural networks"
        return [
            define("mse(prediction, target)", category, "Mean squared error, as torch.nn.functional.mse_loss.",
                   example: "mse(tensor([1, 2]), tensor([1, 4]))") { args in
                tensorValue(try NeuralNetwork.meanSquaredError(try args.tensor(0), try args.tensor(1)))
            },
            define("cross_entropy(logits, labels)", category,
                   "Mean cross-entropy of integer class labels under softmax(logits), computed stably (logits [N, C], labels [N]).",
                   example: "cross_entropy(tensor([[2, 0], [0, 2]]), [0, 1])") { args in
                tensorValue(try NeuralNetwork.crossEntropy(try args.tensor(0), try args.tensor(1)))
            },
            define("binary_cross_entropy_with_logits(logits, targets)", category,
                   "Mean binary cross-entropy of 0/1 targets under sigmoid(logits), computed stably.",
                   example: "binary_cross_entropy_with_logits(tensor([0, 0]), tensor([0, 1]))") { args in
                tensorValue(try NeuralNetwork.binaryCrossEntropyWithLogits(try args.tensor(0), try args.tensor(1)))
            },
            define("linear_init(inputs, outputs, init: \"xavier\")", category,
                   "A layer's parameters {W: [inputs, outputs], b: zeros}: \"xavier\" (Glorot uniform, for tanh) or \"he\" (normal, for ReLU).",
                   example: "shape(linear_init(2, 3).W)") { args in
                let scheme = try choice(args, 2, NeuralNetwork.Initialization.self)
                let layer = try NeuralNetwork.linearLayer(inputs: try args.integer(0), outputs: try args.integer(1),
                                                          initialization: scheme, generator: &args.ip.random)
                return .record(RecordObject(["W": .object(TensorObject(layer.weights)), "b": .object(TensorObject(layer.bias))]))
            },
            define("mlp_init(sizes, activation: \"tanh\")", category,
                   "Parameters {W1, b1, W2, b2, ...} of a multilayer perceptron with these layer sizes, initialised for the activation.",
                   example: "keys(mlp_init([2, 16, 1]))") { args in
                let sizes = try args.shape(0)
                guard sizes.count >= 2 else { throw args.error("mlp_init() needs at least two sizes (inputs and outputs), got \(sizes.count)", argument: 0) }
                let activation = try choice(args, 1, NeuralNetwork.Activation.self)
                let record = RecordObject()
                for layer in 0..<(sizes.count - 1) {
                    let (weights, bias) = try NeuralNetwork.linearLayer(inputs: sizes[layer], outputs: sizes[layer + 1],
                                                                       initialization: activation.initialization, generator: &args.ip.random)
                    record.fields["W\(layer + 1)"] = .object(TensorObject(weights))
                    record.fields["b\(layer + 1)"] = .object(TensorObject(bias))
                }
                return .record(record)
            },
            define("mlp(params, x, activation: \"tanh\")", category,
                   "The perceptron's output for inputs x [N, inputs]: x @ W1 + b1, activation, ..., no activation after the last layer.",
                   example: "shape(mlp(mlp_init([2, 4, 1]), zeros([5, 2])))") { args in
                let params = try args.record(0)
                var layers: [(weights: Tensor, bias: Tensor)] = []
                while let weights = params.fields["W\(layers.count + 1)"], let bias = params.fields["b\(layers.count + 1)"] {
                    layers.append((try makeTensor(weights), try makeTensor(bias)))
                }
                guard !layers.isEmpty else { throw args.error("mlp() needs parameters W1, b1, W2, b2, ... as made by mlp_init()", argument: 0) }
                let activation = try choice(args, 2, NeuralNetwork.Activation.self)
                return tensorValue(try NeuralNetwork.perceptron(layers, try args.tensor(1), activation: activation))
            },
        ]
    }
}

/// A list of tensors (or of values convertible to tensors).
private func tensorList(_ args: Arguments, _ index: Int) throws -> [Tensor] {
    try args.list(index).items.map { item in
        do { return try makeTensor(item) } catch let error as TensorError {
            throw args.error("\(args.function.name)(): \(error.message)", argument: index)
        }
    }
}

/// A shape that may contain -1 (reshape).
private func signedShape(_ args: Arguments, _ index: Int) throws -> [Int] {
    guard let sizes = try args.axes(index) else { throw args.typeError(index, expected: "a shape (a list of sizes)") }
    return sizes
}

private func optionalInteger(_ args: Arguments, _ index: Int) throws -> Int? {
    args[index].isNil ? nil : try args.integer(index)
}

/// A string argument naming one case of `options`; the error names the argument and lists them all.
func choice<Option: RawRepresentable & CaseIterable>(_ args: Arguments, _ index: Int, _ options: Option.Type) throws -> Option
    where Option.RawValue == String {
    let text = try args.string(index)
    guard let option = Option(rawValue: text) else {
        let names = Option.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        throw args.error("\(args.function.name)(): \(args.function.parameters[index].name) must be one of \(names), got \"\(text)\"", argument: index)
    }
    return option
}
