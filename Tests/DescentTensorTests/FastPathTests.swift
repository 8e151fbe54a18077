import Testing
@testable import DescentTensor

/// The shortcuts taken for common shapes give exactly what the general paths give.
@Suite struct FastPathTests {
    static func random(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return try Tensor.normal(shape: shape, std: 1, generator: &generator)
    }

    /// `[..., rows, m] op [m]` and friends against the element-by-element definition.
    @Test(arguments: [([32, 10], [10]), ([10], [32, 10]), ([4, 3, 2], [1, 3, 2]), ([4, 3, 2], [2]), ([3, 2], [1, 1, 2])])
    func repeatedRowsBroadcastLikeNumPy(_ shapes: ([Int], [Int])) throws {
        let a = try Self.random(shapes.0, seed: 1), b = try Self.random(shapes.1, seed: 2)
        for (function, apply) in [(BinaryFunction.add, { (x: Double, y: Double) in x + y }), (.subtract, { $0 - $1 }),
                                  (.multiply, { $0 * $1 }), (.divide, { $0 / $1 })] {
            let result = try Tensor.binary(function, a, b)
            #expect(result.shape == broadcastShape(a.shape, b.shape))
            for i in 0..<result.count {
                let x = a.count == result.count ? a[flat: i] : a[flat: i % a.count]
                let y = b.count == result.count ? b[flat: i] : b[flat: i % b.count]
                #expect(result[flat: i] == apply(x, y), "\(function) at \(i)")
            }
        }
    }

    @Test func leadingAxisSumsAddRowsInOrder() throws {
        let x = try Self.random([5, 3, 4], seed: 3)
        let summed = try x.sum(axes: [0, 1])
        for j in 0..<4 {
            var expected = 0.0
            for i in 0..<15 { expected += x[flat: i * 4 + j] }
            #expect(summed[flat: j] == expected)
        }
        #expect(try x.sum(axes: [0], keepdims: true).shape == [1, 3, 4])
    }

    @Test func rowsGatherLikeIndexing() throws {
        let x = try Self.random([6, 2, 3], seed: 4)
        let order = [5, 0, 0, 3]
        let gathered = try x.rows(order)
        let indexed = try x.indexed([.positions(try Tensor(shape: [4], elements: order.map(Double.init)))])
        #expect(gathered.shape == [4, 2, 3])
        #expect(gathered.elements == indexed.elements)
        #expect(try x.rows([]).shape == [0, 2, 3])
        #expect(throws: TensorError.self) { try x.rows([6]) }
    }
}
