import Testing
@testable import DescentTensor

/// Gradients against central finite differences at random points near the fixtures' inputs:
/// an oracle independent of both PyTorch and our rules.
@Suite struct FiniteDifferenceTests {
    /// Operations that are smooth at generic points (kinks, ties and integer labels excluded).
    static let smooth = ["exp", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus",
                         "add", "subtract", "multiply", "divide", "power", "power_square", "sum_all", "sum_axis1",
                         "sum_axes02_keepdims", "mean_axis0", "prod_axis1", "var_all", "var_axis1_population", "std_axis0",
                         "norm_all", "norm_axis1", "logsumexp_axis1", "logsumexp_all", "cumsum_reverse_axis0", "softmax", "log_softmax_axis0", "cumsum_axis1",
                         "reshape", "transpose", "T", "concat_axis1", "stack_axis1", "expand", "index_row", "slice_steps",
                         "slice_negative_step", "gather_rows", "gather_pairs", "assign_slice", "matmul_2d", "matmul_large",
                         "matmul_vector_matrix", "matmul_batched_broadcast", "dot", "outer", "inv", "det", "solve_vector",
                         "solve_matrix", "mse", "mlp_loss"]

    @Test(arguments: smooth)
    func gradientMatchesFiniteDifferences(_ name: String) throws {
        let item = try #require(try reference().cases.first { $0.name == name })
        let operation = try #require(operations[name])
        var generator = RandomGenerator(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        // A nearby random point: the fixture's inputs, each element moved by up to 5%.
        let inputs = try item.inputs.map { array in
            try Tensor(shape: array.shape, elements: array.data.map { $0 * (1 + 0.1 * (generator.uniform() - 0.5)) })
        }
        let inputIndices = name == "matmul_large" ? [0] : Array(inputs.indices)
        let output = try operation(inputs)
        let weights = try Tensor.uniform(shape: output.shape, low: -1, high: 1, generator: &generator)
        let loss: ([Tensor]) throws -> Tensor = { try Tensor.binary(.multiply, operation($0), weights).sum() }
        let analytic = try GradientContext().valueAndGradients(at: inputs, of: loss).gradients
        let eps = 1e-6
        for input in inputIndices {
            // Large inputs are spot-checked on a few elements to keep the test fast.
            let positions = inputs[input].count > 40 ? [0, 7, inputs[input].count / 2, inputs[input].count - 1] : Array(0..<inputs[input].count)
            for position in positions {
                var above = inputs, below = inputs
                above[input].updateElements { $0[position] += eps }
                below[input].updateElements { $0[position] -= eps }
                let numeric = (try loss(above).scalarValue! - loss(below).scalarValue!) / (2 * eps)
                let exact = analytic[input][flat: position]
                let error = Swift.abs(numeric - exact) / Swift.max(Swift.abs(exact), Swift.abs(numeric), 1e-3)
                #expect(error < 1e-6, "\(name): d/d input \(input)[\(position)] is \(exact), finite differences give \(numeric)")
            }
        }
    }
}

@Suite struct TensorBehaviourTests {
    @Test func broadcastErrorNamesBothShapesAndTheOperation() throws {
        let a = try Tensor(shape: [3, 2], repeating: 1), b = try Tensor(shape: [3], repeating: 1)
        #expect(throws: TensorError.self) { try Tensor.binary(.add, a, b) }
        do {
            _ = try Tensor.binary(.add, a, b)
        } catch let error as TensorError {
            #expect(error.message == "cannot broadcast shapes [3, 2] and [3] in '+'")
        }
    }

    @Test func matmulErrorNamesBothShapes() throws {
        do {
            _ = try Tensor.matmul(Tensor(shape: [3, 2], repeating: 1), Tensor(shape: [3, 2], repeating: 1))
            Issue.record("expected an error")
        } catch let error as TensorError {
            #expect(error.message == "cannot multiply shapes [3, 2] and [3, 2] in '@': inner sizes 2 and 3 differ")
        }
    }

    @Test func tensorsBeyondTheMemoryLimitAreRefused() throws {
        do {
            _ = try Tensor(shape: [100_000, 100_000], repeating: 0)
            Issue.record("expected an error")
        } catch let error as TensorError {
            #expect(error.message == "a tensor of shape [100000, 100000] would need 74.5 GiB, over the limit of 2 GiB")
        }
    }

    @Test func copiesAreIndependentAfterAssignment() throws {
        let original = try Tensor(shape: [2, 2], elements: [1, 2, 3, 4])
        var changed = original
        try changed.assign([.single(0)], Tensor(scalar: 9))
        #expect(original.elements == [1, 2, 3, 4])
        #expect(changed.elements == [9, 9, 3, 4])
    }

    @Test func theTapeIsReleasedAfterEachGradient() throws {
        let context = GradientContext()
        let x = try Tensor(shape: [3], elements: [1, 2, 3])
        var leaked: Tensor?
        _ = try context.valueAndGradients(at: [x]) { leaves in
            let y = Tensor.unary(.tanh, leaves[0])
            leaked = y
            return try y.sum()
        }
        let escaped = try #require(leaked)
        #expect(!escaped.isTraced, "a tensor that outlives its gradient is a constant")
        #expect(escaped.trace?.tape.nodes.isEmpty ?? true, "the tape's nodes are freed")
    }

    @Test func nestedGradientsSeeOuterVariablesThroughClosures() throws {
        // d/dy [ d/dx (x * y) at x = 1 ] = d/dy [y] = 1, the classic perturbation-confusion test.
        let context = GradientContext()
        let outer = try context.valueAndGradients(at: [Tensor(scalar: 2)]) { ys in
            try context.valueAndGradients(at: [Tensor(scalar: 1)]) { xs in
                try Tensor.binary(.multiply, xs[0], ys[0])
            }.gradients[0]
        }
        #expect(outer.gradients[0].scalarValue == 1)
        #expect(outer.value.scalarValue == 2)
    }

    @Test func gradientOfAnUnrelatedOutputIsZero() throws {
        let gradients = try GradientContext().valueAndGradients(at: [Tensor(shape: [2], repeating: 1)]) { _ in Tensor(scalar: 3) }.gradients
        #expect(gradients[0].elements == [0, 0])
    }

    @Test func gradientNeedsOneNumber() throws {
        #expect(throws: TensorError.self) {
            try GradientContext().valueAndGradients(at: [Tensor(shape: [2], repeating: 1)]) { $0[0] }
        }
    }

    @Test func printsLikePyTorch() throws {
        #expect(try Tensor(shape: [2, 2], elements: [1, 2, 3, 4]).formatted() == "tensor([[1, 2],\n        [3, 4]])")
        #expect(try Tensor(shape: [3], elements: [0.5, -1.25, 2]).formatted() == "tensor([ 0.5000, -1.2500,  2.0000])")
        #expect(try Tensor(shape: [2], elements: [1e-5, 1]).formatted() == "tensor([1.0000e-05, 1.0000e+00])")
        #expect(Tensor(scalar: 3.5).formatted() == "tensor(3.5000)")
        #expect(try Tensor(shape: [0], repeating: 0).formatted() == "tensor([])")
        let long = try Tensor.arange(start: 0, stop: 2000, step: 1)
        #expect(long.formatted() == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])")
        let wide = try Tensor.arange(start: 0, stop: 30, step: 1)
        #expect(wide.formatted().split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test func randomNumbersHaveTheRightMoments() throws {
        var generator = RandomGenerator(seed: 7)
        let normals = try Tensor.normal(shape: [100_000], generator: &generator)
        let mean = try normals.mean().scalarValue!, variance = try normals.variance().scalarValue!
        #expect(Swift.abs(mean) < 0.01 && Swift.abs(variance - 1) < 0.02)
        let integers = try Tensor.integers(low: -2, high: 3, shape: [10_000], generator: &generator)
        #expect(Set(integers.elements) == [-2, -1, 0, 1, 2])
        var again = RandomGenerator(seed: 7)
        #expect(try Tensor.normal(shape: [5], generator: &again).elements == Array(normals.elements.prefix(5)))
    }

    @Test func linspaceAndArangeMatchNumPy() throws {
        #expect(try Tensor.linspace(from: 0, to: 1, count: 5).elements == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor.arange(start: 0, stop: 1, step: 0.3).elements == [0, 0.3, 0.6, 0.8999999999999999])
        #expect(try Tensor.arange(start: 5, stop: 0, step: 1).count == 0)
    }

    @Test func indexingFollowsNumPy() throws {
        let t = try Tensor.arange(start: 0, stop: 24, step: 1).reshaped([2, 3, 4])
        // Separated index tensors put their dimension first, as in NumPy.
        let picked = try t.indexed([.positions(try Tensor(shape: [2], elements: [0, 1])), .slice(start: nil, stop: nil, step: nil),
                                    .positions(try Tensor(shape: [2], elements: [1, 3]))])
        #expect(picked.shape == [2, 3])
        #expect(picked.elements == [1, 5, 9, 15, 19, 23])
        #expect(try t.indexed([.single(-1), .slice(start: nil, stop: nil, step: -2)]).elements == [20, 21, 22, 23, 12, 13, 14, 15])
        #expect(throws: TensorError.self) { try t.indexed([.single(2)]) }
        #expect(throws: TensorError.self) { try t.indexed([.single(0), .single(0), .single(0), .single(0)]) }
    }
}
