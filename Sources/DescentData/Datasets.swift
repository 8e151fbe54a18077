import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Synthetic data sets as scikit-learn and CS231n make them, from our seeded generator, and the
/// index arithmetic of mini-batches. Knows nothing of the language.
public enum Datasets {
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    static func requireSamples(_ n: Int, _ name: String) throws {
        guard n > 0 else { throw Failure("\(name)() needs at least one sample, got \(n)") }
    }

    /// scikit-learn's make_moons: two interleaving half circles, labels 0 and 1.
    public static func moons(_ n: Int, noise: Double, generator: inout RandomGenerator) throws -> (Tensor, Tensor) {
        try requireSamples(n, "make_moons")
        let outer = n / 2, inner = n - outer
        var points: [Double] = [], labels: [Double] = []
        for i in 0..<outer {
            let angle = outer > 1 ? Double.pi * Double(i) / Double(outer - 1) : 0
            points += [cos(angle), sin(angle)]
            labels.append(0)
        }
        for i in 0..<inner {
            let angle = inner > 1 ? Double.pi * Double(i) / Double(inner - 1) : 0
            points += [1 - cos(angle), 1 - sin(angle) - 0.5]
            labels.append(1)
        }
        for i in points.indices { points[i] += noise * generator.normal() }
        return try shuffled(Tensor(shape: [n, 2], elements: points), Tensor(shape: [n], elements: labels), generator: &generator)
    }

    /// The CS231n spiral: `classes` arms of n / classes points each, angle noise `noise`.
    public static func spirals(_ n: Int, classes: Int, noise: Double, generator: inout RandomGenerator) throws -> (Tensor, Tensor) {
        try requireSamples(n, "make_spirals")
        guard classes >= 1 else { throw Failure("make_spirals() needs at least one class, got \(classes)") }
        var points: [Double] = [], labels: [Double] = []
        for k in 0..<classes {
            let count = n / classes + (k < n % classes ? 1 : 0)
            for i in 0..<count {
                let fraction = count > 1 ? Double(i) / Double(count - 1) : 0
                let angle = 4 * (Double(k) + fraction) + noise * generator.normal()
                points += [fraction * sin(angle), fraction * cos(angle)]
                labels.append(Double(k))
            }
        }
        return try shuffled(Tensor(shape: [n, 2], elements: points), Tensor(shape: [n], elements: labels), generator: &generator)
    }

    /// scikit-learn's make_blobs: Gaussian clusters of standard deviation `spread` around centres
    /// drawn uniformly from [-10, 10]^features (or the centres given).
    public static func blobs(_ n: Int, centers: Tensor?, count: Int, features: Int, spread: Double,
                             generator: inout RandomGenerator) throws -> (Tensor, Tensor) {
        try requireSamples(n, "make_blobs")
        let centres = try centers ?? Tensor.uniform(shape: [count, features], low: -10, high: 10, generator: &generator)
        guard centres.rank == 2, centres.shape[0] > 0 else {
            throw Failure("make_blobs() needs centers as a [k, features] tensor, got shape \(describe(centres.shape))")
        }
        let k = centres.shape[0], d = centres.shape[1]
        var points: [Double] = [], labels: [Double] = []
        for cluster in 0..<k {
            let size = n / k + (cluster < n % k ? 1 : 0)
            for _ in 0..<size {
                for j in 0..<d { points.append(centres[flat: cluster * d + j] + spread * generator.normal()) }
                labels.append(Double(cluster))
            }
        }
        return try shuffled(Tensor(shape: [n, d], elements: points), Tensor(shape: [n], elements: labels), generator: &generator)
    }

    /// y = X w + b + noise, with X standard normal; w drawn standard normal when not given.
    public static func linear(_ n: Int, weights: Tensor?, features: Int, bias: Double, noise: Double,
                              generator: inout RandomGenerator) throws -> (Tensor, Tensor, Tensor) {
        try requireSamples(n, "make_linear")
        let w = try weights.map { try $0.reshaped([$0.count, 1]) } ?? Tensor.normal(shape: [features, 1], generator: &generator)
        let x = try Tensor.normal(shape: [n, w.shape[0]], generator: &generator)
        let clean = try Tensor.binary(.add, Tensor.matmul(x, w), Tensor(scalar: bias))
        let y = try Tensor.binary(.add, clean, Tensor.normal(shape: [n, 1], std: noise, generator: &generator))
        return (x, y, w)
    }

    /// The same permutation applied to the rows of both tensors.
    public static func shuffled(_ x: Tensor, _ y: Tensor, generator: inout RandomGenerator) throws -> (Tensor, Tensor) {
        let order = generator.permutation(x.shape[0])
        return (try x.rows(order), try y.rows(order))
    }

    /// The index lists of one epoch's mini-batches, as PyTorch's DataLoader forms them:
    /// consecutive chunks of `size` (of a fresh permutation when shuffling), the last one smaller
    /// unless `dropLast`.
    public static func batchIndices(count: Int, size: Int, shuffle: Bool, dropLast: Bool, generator: inout RandomGenerator) -> [[Int]] {
        let order = shuffle ? generator.permutation(count) : Array(0..<count)
        var batches: [[Int]] = []
        var start = 0
        while start < count {
            let end = Swift.min(start + size, count)
            if end - start < size && dropLast { break }
            batches.append(Array(order[start..<end]))
            start = end
        }
        return batches
    }
}
