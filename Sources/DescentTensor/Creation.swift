#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xoshiro256** seeded through SplitMix64: the same numbers on every platform and every run.
/// Normal numbers come from Marsaglia's polar method, which needs only `log` and `sqrt`.
public struct RandomGenerator: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var mix = seed
        func splitMix() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let scale = (-2 * Glibc.log(s) / s).squareRoot()
                spareNormal = v * scale
                return u * scale
            }
        }
    }

    /// Uniform over 0..<bound without modulo bias (Lemire's method).
    public mutating func integer(below bound: UInt64) -> UInt64 {
        // trap-ok: callers pass i + 1 or a span checked positive
        precondition(bound > 0)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    /// A random order of 0..<count (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(integer(below: UInt64(i + 1))))
        }
        return order
    }
}

extension Tensor {
    public static func identity(_ n: Int) throws -> Tensor {
        var out = try Tensor(shape: [n, n], repeating: 0)
        for i in 0..<n { out.storage.pointer[i * n + i] = 1 }
        out.isMask = false
        return out
    }

    /// start, start + step, ... up to but excluding stop, as numpy.arange.
    public static func arange(start: Double, stop: Double, step: Double) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TensorError("arange() needs finite bounds and a nonzero step, got \(describe(start)), \(describe(stop)), \(describe(step))")
        }
        let steps = ((stop - start) / step).rounded(.up)
        let count = steps > 0 ? steps : 0
        guard count < Double(Int.max / 16) else { throw TensorError("arange() would make \(describe(count)) elements") }
        let out = try Tensor(uninitializedShape: [Int(count)])
        for i in 0..<out.count { out.storage.pointer[i] = start + Double(i) * step }
        return out
    }

    /// `count` evenly spaced numbers from a to b inclusive, as torch.linspace.
    public static func linspace(from a: Double, to b: Double, count: Int) throws -> Tensor {
        guard count >= 0 else { throw TensorError("linspace() needs a count of at least 0, got \(count)") }
        let out = try Tensor(uninitializedShape: [count])
        let step = count > 1 ? (b - a) / Double(count - 1) : 0
        // PyTorch fills the second half backwards from b, so both ends are exact.
        let half = count / 2
        for i in 0..<count {
            out.storage.pointer[i] = i < half ? a + step * Double(i) : b - step * Double(count - 1 - i)
        }
        return out
    }

    public static func uniform(shape: [Int], low: Double = 0, high: Double = 1, generator: inout RandomGenerator) throws -> Tensor {
        let out = try Tensor(uninitializedShape: shape)
        for i in 0..<out.count { out.storage.pointer[i] = low + (high - low) * generator.uniform() }
        return out
    }

    public static func normal(shape: [Int], mean: Double = 0, std: Double = 1, generator: inout RandomGenerator) throws -> Tensor {
        let out = try Tensor(uninitializedShape: shape)
        for i in 0..<out.count { out.storage.pointer[i] = mean + std * generator.normal() }
        return out
    }

    /// Whole numbers uniform in [low, high), as torch.randint.
    public static func integers(low: Int, high: Int, shape: [Int], generator: inout RandomGenerator) throws -> Tensor {
        guard high > low else { throw TensorError("randint() needs low < high, got \(low) and \(high)") }
        let out = try Tensor(uninitializedShape: shape)
        let span = UInt64(high - low)
        for i in 0..<out.count { out.storage.pointer[i] = Double(low + Int(generator.integer(below: span))) }
        return out
    }
}
