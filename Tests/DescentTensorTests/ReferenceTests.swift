import Foundation
import Testing
@testable import DescentTensor

/// Every operation's value and gradient against PyTorch (float64), from
/// Fixtures/torch_reference.json written by Fixtures/generate_torch_reference.py. The table below
/// names the same computations as the generator's.
let operations: [String: @Sendable ([Tensor]) throws -> Tensor] = [
    "negate": { Tensor.unary(.negate, $0[0]) },
    "exp": { Tensor.unary(.exp, $0[0]) },
    "log": { Tensor.unary(.log, $0[0]) },
    "log1p": { Tensor.unary(.log1p, $0[0]) },
    "log2": { Tensor.unary(.log2, $0[0]) },
    "log10": { Tensor.unary(.log10, $0[0]) },
    "sqrt": { Tensor.unary(.sqrt, $0[0]) },
    "sin": { Tensor.unary(.sin, $0[0]) },
    "cos": { Tensor.unary(.cos, $0[0]) },
    "tan": { Tensor.unary(.tan, $0[0]) },
    "tanh": { Tensor.unary(.tanh, $0[0]) },
    "sigmoid": { Tensor.unary(.sigmoid, $0[0]) },
    "relu": { Tensor.unary(.relu, $0[0]) },
    "softplus": { Tensor.unary(.softplus, $0[0]) },
    "abs": { Tensor.unary(.abs, $0[0]) },
    "sign": { Tensor.unary(.sign, $0[0]) },
    "floor": { Tensor.unary(.floor, $0[0]) },
    "round": { Tensor.unary(.round, $0[0]) },
    "add": { try Tensor.binary(.add, $0[0], $0[1]) },
    "subtract": { try Tensor.binary(.subtract, $0[0], $0[1]) },
    "multiply": { try Tensor.binary(.multiply, $0[0], $0[1]) },
    "divide": { try Tensor.binary(.divide, $0[0], $0[1]) },
    "power": { try Tensor.binary(.power, $0[0], $0[1]) },
    "power_square": { try Tensor.binary(.power, $0[0], Tensor(scalar: 2)) },
    "power_zero_base": { try Tensor.binary(.power, $0[0], $0[1]) },
    "remainder": { try Tensor.binary(.remainder, $0[0], $0[1]) },
    "maximum": { try Tensor.binary(.maximum, $0[0], $0[1]) },
    "minimum": { try Tensor.binary(.minimum, $0[0], $0[1]) },
    "where": { try Tensor.select($0[0], $0[1], $0[2]) },
    "clip": { $0[0].clipped(lower: -0.5, upper: 1) },
    "sum_all": { try $0[0].sum() },
    "sum_axis1": { try $0[0].sum(axes: [1]) },
    "sum_axes02_keepdims": { try $0[0].sum(axes: [0, 2], keepdims: true) },
    "mean_axis0": { try $0[0].mean(axes: [0]) },
    "mean_all": { try $0[0].mean() },
    "max_all_ties": { try $0[0].extreme(largest: true) },
    "max_axis1": { try $0[0].extreme(largest: true, axes: [1]) },
    "min_axis0_keepdims": { try $0[0].extreme(largest: false, axes: [0], keepdims: true) },
    "prod_axis1": { try $0[0].product(axes: [1]) },
    "prod_with_zero": { try $0[0].product() },
    "var_all": { try $0[0].variance() },
    "var_axis1_population": { try $0[0].variance(axes: [1], correction: 0) },
    "std_axis0": { try $0[0].standardDeviation(axes: [0]) },
    "norm_all": { try $0[0].norm() },
    "norm_axis1": { try $0[0].norm(axes: [1]) },
    "norm_zero": { try $0[0].norm() },
    "logsumexp_axis1": { try $0[0].logSumExp(axes: [1]) },
    "softmax": { try $0[0].softmax(axis: -1) },
    "log_softmax_axis0": { try $0[0].logSoftmax(axis: 0) },
    "cumsum_axis1": { try $0[0].cumulativeSum(axis: 1) },
    "argmax_all": { try $0[0].argExtreme(largest: true, axis: nil) },
    "argmax_axis1": { try $0[0].argExtreme(largest: true, axis: 1) },
    "argmin_axis0_keepdims": { try $0[0].argExtreme(largest: false, axis: 0, keepdims: true) },
    "floor_divide": { try Tensor.binary(.floorDivide, $0[0], $0[1]) },
    "ceil": { Tensor.unary(.ceil, $0[0]) },
    "trunc": { Tensor.unary(.trunc, $0[0]) },
    "comparisons": { inputs in
        let less = try Tensor.binary(.less, inputs[0], inputs[1])
        let equal = try Tensor.binary(.multiply, Tensor.binary(.equal, inputs[0], inputs[1]), Tensor(scalar: 2))
        let atLeast = try Tensor.binary(.multiply, Tensor.binary(.greaterEqual, inputs[0], inputs[1]), Tensor(scalar: 4))
        return try Tensor.binary(.add, Tensor.binary(.add, less, equal), atLeast)
    },
    "linspace": { _ in try Tensor.linspace(from: -1.5, to: 2.25, count: 7) },
    "arange": { _ in try Tensor.arange(start: 0.5, stop: 2, step: 0.3) },
    "logsumexp_all": { try $0[0].logSumExp() },
    "cumsum_reverse_axis0": { try $0[0].cumulativeSum(axis: 0, reverse: true) },
    "reshape": { try $0[0].reshaped([4, -1]) },
    "transpose": { try $0[0].permuted([2, 0, 1]) },
    "T": { $0[0].transposed },
    "unsqueeze_squeeze": { try $0[0].unsqueezed(axis: 1).squeezed() },
    "concat_axis1": { try Tensor.concat([$0[0], $0[1]], axis: 1) },
    "stack_axis1": { try Tensor.stack([$0[0], $0[1]], axis: 1) },
    "expand": { try $0[0].expanded(to: [3, 4]) },
    "index_row": { try $0[0].indexed([.single(1)]) },
    "index_negative": { try $0[0].indexed([.single(-1), .single(-2)]) },
    "slice_steps": { try $0[0].indexed([.slice(start: 1, stop: 3, step: nil), .slice(start: nil, stop: nil, step: 2)]) },
    "slice_negative_step": { try $0[0].indexed([.slice(start: nil, stop: nil, step: -1), .slice(start: 1, stop: nil, step: nil)]) },
    "gather_rows": { try $0[0].indexed([.positions(try Tensor(shape: [4], elements: [2, 0, 2, 1]))]) },
    "gather_column": { try $0[0].indexed([.slice(start: nil, stop: nil, step: nil), .positions(try Tensor(shape: [2], elements: [3, 0]))]) },
    "gather_pairs": { try $0[0].indexed([.positions(try Tensor(shape: [2], elements: [0, 2])), .positions(try Tensor(shape: [2], elements: [1, 3]))]) },
    "mask_select": { try $0[0].indexed([.positions(try Tensor.binary(.greater, $0[0].detached, Tensor(scalar: 0)))]) },
    "assign_slice": { inputs in
        var out = inputs[0]
        try out.assign([.single(1), .slice(start: 1, stop: 3, step: nil)], inputs[1])
        return out
    },
    "matmul_2d": { try Tensor.matmul($0[0], $0[1]) },
    "matmul_large": { try Tensor.matmul($0[0], $0[1]) },
    "matmul_vector_matrix": { try Tensor.matmul($0[0], $0[1]) },
    "matmul_matrix_vector": { try Tensor.matmul($0[0], $0[1]) },
    "matmul_vector_vector": { try Tensor.matmul($0[0], $0[1]) },
    "matmul_batched_broadcast": { try Tensor.matmul($0[0], $0[1]) },
    "dot": { try Tensor.dot($0[0], $0[1]) },
    "outer": { try Tensor.outer($0[0], $0[1]) },
    "inv": { try $0[0].inverse() },
    "det": { try $0[0].determinant() },
    "solve_vector": { try Tensor.solve($0[0], $0[1]) },
    "solve_matrix": { try Tensor.solve($0[0], $0[1]) },
    "mse": { try NeuralNetwork.meanSquaredError($0[0], $0[1]) },
    "cross_entropy": { try NeuralNetwork.crossEntropy($0[0], $0[1]) },
    "bce_with_logits": { try NeuralNetwork.binaryCrossEntropyWithLogits($0[0], $0[1]) },
    "mlp_loss": { inputs in
        let out = try NeuralNetwork.perceptron([(inputs[1], inputs[2]), (inputs[3], inputs[4])], inputs[0], activation: .tanh)
        return try Tensor.binary(.power, out, Tensor(scalar: 2)).mean()
    },
]

let hessianFunctions: [String: @Sendable (Tensor) throws -> Tensor] = [
    "saddle": { v in
        try Tensor.binary(.subtract, Tensor.binary(.power, v.indexed([.single(0)]), Tensor(scalar: 2)),
                          Tensor.binary(.power, v.indexed([.single(1)]), Tensor(scalar: 2)))
    },
    "monkey_saddle": { v in
        let x = try v.indexed([.single(0)]), y = try v.indexed([.single(1)])
        let xCubed = try Tensor.binary(.power, x, Tensor(scalar: 3))
        let cross = try Tensor.binary(.multiply, Tensor.binary(.multiply, x, Tensor(scalar: 3)), Tensor.binary(.power, y, Tensor(scalar: 2)))
        return try Tensor.binary(.subtract, xCubed, cross)
    },
    "tanh_sum": { v in try Tensor.binary(.power, Tensor.unary(.tanh, v), Tensor(scalar: 2)).sum() },
    "logsumexp": { v in try v.logSumExp(axes: [0]) },
    "quadratic_form": { v in
        let matrix = try reference().quadratic.tensor
        let form = try Tensor.matmul(Tensor.matmul(v, matrix), v)
        return try Tensor.binary(.add, form, Tensor.unary(.sin, v).product())
    },
    "softplus_norm": { v in try Tensor.binary(.multiply, Tensor.unary(.softplus, v).sum(), v.norm()) },
]

struct Fixture: Decodable, Sendable {
    struct Array: Decodable, Sendable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { get throws { try Tensor(shape: shape, elements: data) } }
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let inputs: [Array]
        let output: Array
        let cotangent: [Double]
        let gradients: [[Double]?]
        var testDescription: String { name }
    }
    struct Hessian: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let point: Array
        let hessian: [Double]
        var testDescription: String { name }
    }
    struct Eigen: Decodable, Sendable {
        let matrix: [Double]
        let values: [Double]
        let vectors: [Double]
    }
    struct Random: Decodable, Sendable {
        let seed: UInt64
        let uniforms: [Double]
        let normals_after_uniforms: [Double]
    }
    let cases: [Case]
    let hessians: [Hessian]
    /// The matrix of the quadratic_form Hessian case.
    let quadratic: Array
    let eigh: Eigen
    let random: Random
}

private let loadedFixture: Fixture? = {
    guard let url = Bundle.module.url(forResource: "torch_reference", withExtension: "json", subdirectory: "Fixtures"),
          let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(Fixture.self, from: data)
}()

func reference() throws -> Fixture {
    guard let loadedFixture else { throw TensorError("Fixtures/torch_reference.json is missing or malformed") }
    return loadedFixture
}

/// Relative tolerance 1e-10 (PyTorch sums in a different order), absolute 1e-12 near zero.
func expectClose(_ actual: [Double], _ expected: [Double], _ what: String, tolerance: Double = 1e-10,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let close = a == e || (a.isNaN && e.isNaN) || Swift.abs(a - e) <= tolerance * Swift.max(Swift.abs(a), Swift.abs(e)) + 1e-12
        #expect(close, "\(what)[\(i)] = \(a), PyTorch gives \(e)", sourceLocation: sourceLocation)
        if !close { return }
    }
}

@Suite struct ReferenceTests {
    static var cases: [Fixture.Case] { (try? reference().cases) ?? [] }
    static var hessians: [Fixture.Hessian] { (try? reference().hessians) ?? [] }

    @Test func fixtureLoadsAndEveryCaseHasAnOperation() throws {
        let fixture = try reference()
        #expect(fixture.cases.count >= 80)
        for item in fixture.cases { #expect(operations[item.name] != nil, "no operation for fixture case \(item.name)") }
        for item in fixture.hessians { #expect(hessianFunctions[item.name] != nil, "no function for Hessian case \(item.name)") }
    }

    @Test(arguments: cases)
    func valueAndGradientMatchPyTorch(_ item: Fixture.Case) throws {
        let operation = try #require(operations[item.name])
        let inputs = try item.inputs.map { try $0.tensor }
        let output = try operation(inputs)
        #expect(output.shape == item.output.shape, "shape \(output.shape), PyTorch gives \(item.output.shape)")
        expectClose(output.elements, item.output.data, "\(item.name) value")

        let cotangent = try Tensor(shape: item.output.shape, elements: item.cotangent)
        let wanted = item.gradients.indices.filter { item.gradients[$0] != nil }
        guard !wanted.isEmpty else { return }
        let gradients = try GradientContext().valueAndGradients(at: wanted.map { inputs[$0] }) { leaves in
            var arguments = inputs
            for (position, leaf) in zip(wanted, leaves) { arguments[position] = leaf }
            return try Tensor.binary(.multiply, operation(arguments), cotangent).sum()
        }.gradients
        for (position, gradient) in zip(wanted, gradients) {
            #expect(gradient.shape == inputs[position].shape)
            expectClose(gradient.elements, item.gradients[position]!, "\(item.name) gradient of input \(position)")
        }
    }

    @Test(arguments: hessians)
    func hessianMatchesPyTorch(_ item: Fixture.Hessian) throws {
        let function = try #require(hessianFunctions[item.name])
        let context = GradientContext()
        let hessian = try context.valueAndJacobians(at: [try item.point.tensor]) { outer in
            try context.valueAndGradients(at: outer) { try function($0[0]) }.gradients[0]
        }.jacobians[0]
        #expect(hessian.shape == item.point.shape + item.point.shape)
        expectClose(hessian.elements, item.hessian, "\(item.name) Hessian", tolerance: 1e-9)
    }

    @Test func symmetricEigenMatchesPyTorchUpToSign() throws {
        let eigen = try reference().eigh
        let (values, vectors) = try Tensor(shape: [4, 4], elements: eigen.matrix).symmetricEigen()
        expectClose(values.elements, eigen.values, "eigenvalues")
        // An eigenvector's sign is arbitrary: align each column with PyTorch's before comparing.
        for column in 0..<4 {
            let ours = (0..<4).map { vectors[flat: $0 * 4 + column] }
            let theirs = (0..<4).map { eigen.vectors[$0 * 4 + column] }
            let sign = zip(ours, theirs).map(*).reduce(0, +) < 0 ? -1.0 : 1.0
            expectClose(ours.map { $0 * sign }, theirs, "eigenvector \(column)")
        }
    }

    @Test func randomNumbersMatchAnIndependentImplementation() throws {
        let expected = try reference().random
        var generator = RandomGenerator(seed: expected.seed)
        #expect((0..<expected.uniforms.count).map { _ in generator.uniform() } == expected.uniforms)
        #expect((0..<expected.normals_after_uniforms.count).map { _ in generator.normal() } == expected.normals_after_uniforms)
    }
}
