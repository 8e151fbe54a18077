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

    /// Results past the streaming threshold (4 MiB) are written with non-temporal stores, from the
    /// first 64-byte boundary on: every element still equals the plain arithmetic.
    @Test func largeResultsAreStreamedWithTheSameValues() throws {
        let count = (1 << 19) + 13
        let a = try Self.random([count], seed: 5), b = try Self.random([count], seed: 6)
        let functions: [(BinaryFunction, (Double, Double) -> Double)] = [(.add, { $0 + $1 }), (.subtract, { $0 - $1 }),
                                                                     (.multiply, { $0 * $1 }), (.divide, { $0 / $1 })]
        for (function, apply) in functions {
            let both = try Tensor.binary(function, a, b)
            let right = try Tensor.binary(function, a, Tensor(scalar: 3))
            let left = try Tensor.binary(function, Tensor(scalar: 3), b)
            var inPlace = try Tensor.binary(.add, a, Tensor(scalar: 0))
            #expect(try Tensor.updateInPlace(function, &inPlace, b))
            for i in [0, 1, 7, 8, 63, 64, count / 2, count - 9, count - 1] {
                #expect(both[flat: i] == apply(a[flat: i], b[flat: i]), "\(function) at \(i)")
                #expect(right[flat: i] == apply(a[flat: i], 3))
                #expect(left[flat: i] == apply(3, b[flat: i]))
                #expect(inPlace[flat: i] == apply(a[flat: i], b[flat: i]))
            }
            #expect(both.elements == zip(a.elements, b.elements).map(apply))
        }
    }
}
