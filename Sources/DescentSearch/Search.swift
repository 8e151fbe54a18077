import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The mathematics of hyperparameter search, knowing nothing of the language: search spaces and
/// their unit-cube coordinates, the budgets of successive halving and Hyperband (Li et al. 2018),
/// and Bayesian optimisation with a Gaussian process and expected improvement.

/// One hyperparameter's range.
public enum Dimension: Sendable {
    case uniform(Double, Double)
    case logUniform(Double, Double)
    /// Whole numbers from low to high, both included.
    case integer(Int, Int)
    /// One of `count` choices, by position.
    case choice(Int)

    /// A point of [0, 1) mapped into the range.
    public func value(at unit: Double) -> Double {
        switch self {
        case .uniform(let low, let high): low + (high - low) * unit
        case .logUniform(let low, let high): exp(log(low) + (log(high) - log(low)) * unit)
        case .integer(let low, let high): Double(Swift.min(high, low + Int((Double(high - low + 1) * unit).rounded(.down))))
        case .choice(let count): Double(Swift.min(count - 1, Int((Double(count) * unit).rounded(.down))))
        }
    }

    /// Where a value sits in [0, 1], for the Gaussian process.
    public func unit(of value: Double) -> Double {
        switch self {
        case .uniform(let low, let high): high == low ? 0.5 : (value - low) / (high - low)
        case .logUniform(let low, let high): high == low ? 0.5 : (log(value) - log(low)) / (log(high) - log(low))
        case .integer(let low, let high): (value - Double(low) + 0.5) / Double(high - low + 1)
        case .choice(let count): (value + 0.5) / Double(count)
        }
    }
}

/// Successive halving and Hyperband budgets, exactly as Li et al.'s Algorithm 1 states them.
public enum Hyperband {
    public struct Rung: Equatable, Sendable {
        public let configurations: Int
        public let budget: Double
    }

    /// One successive-halving bracket: n configurations at budget r, keeping 1/eta each rung
    /// while the budget grows by eta, for s + 1 rungs: n_i = floor(n eta^-i), r_i = r eta^i.
    /// (Divisions rather than negative powers, and a hair of tolerance, keep whole results exact.)
    public static func bracket(configurations n: Int, budget r: Double, rungs s: Int, eta: Double) -> [Rung] {
        (0...s).map { i in
            Rung(configurations: Int((Double(n) / pow(eta, Double(i)) + 1e-9).rounded(.down)), budget: r * pow(eta, Double(i)))
        }
    }

    /// s_max = floor(log_eta(R / r_min)), computed without the rounding error of a logarithm
    /// (stopping at `limit + 1`: callers refuse more rungs than that).
    public static func maxBracket(maxBudget: Double, minBudget: Double, eta: Double, limit: Int = 64) -> Int {
        var s = 0
        while s <= limit && minBudget * pow(eta, Double(s + 1)) <= maxBudget * (1 + 1e-12) { s += 1 }
        return s
    }

    /// The trials Hyperband would run, without building its brackets.
    public static func trialCount(maxBudget: Double, minBudget: Double, eta: Double) -> Double {
        let sMax = maxBracket(maxBudget: maxBudget, minBudget: minBudget, eta: eta)
        var total = 0.0
        for s in 0...sMax {
            let n = (Double(sMax + 1) * pow(eta, Double(s)) / Double(s + 1) - 1e-9).rounded(.up)
            for i in 0...s { total += (n / pow(eta, Double(i)) + 1e-9).rounded(.down) }
        }
        return total
    }

    /// All brackets, from the most exploratory (s = s_max) to plain random search (s = 0):
    /// n = ceil((s_max + 1) / (s + 1) eta^s), r = R eta^-s.
    public static func brackets(maxBudget: Double, minBudget: Double, eta: Double) -> [[Rung]] {
        let sMax = maxBracket(maxBudget: maxBudget, minBudget: minBudget, eta: eta)
        return stride(from: sMax, through: 0, by: -1).map { s in
            let n = Int((Double(sMax + 1) * pow(eta, Double(s)) / Double(s + 1) - 1e-9).rounded(.up))
            return bracket(configurations: n, budget: maxBudget / pow(eta, Double(s)), rungs: s, eta: eta)
        }
    }
}

/// A Gaussian process on [0, 1]^d with a squared-exponential kernel, its length scale chosen by
/// marginal likelihood from a small grid, and expected improvement for minimisation.
public struct GaussianProcess {
    let points: [[Double]]
    let alpha: [Double]
    let cholesky: [[Double]]
    let lengthScale: Double
    let mean: Double
    let scale: Double
    let noise = 1e-6

    public init(points: [[Double]], values: [Double]) {
        let mean = values.reduce(0, +) / Double(values.count)
        let spread = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let scale = spread > 0 ? spread : 1
        let centred = values.map { ($0 - mean) / scale }
        var best: (Double, [[Double]], [Double], Double)?
        for lengthScale in [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0] {
            guard let (l, a, logLikelihood) = GaussianProcess.fit(points, centred, lengthScale, noise: 1e-6) else { continue }
            if best.map({ logLikelihood > $0.3 }) ?? true { best = (lengthScale, l, a, logLikelihood) }
        }
        let chosen = best ?? (0.5, GaussianProcess.fit(points, centred, 0.5, noise: 1e-3)?.0 ?? [], [], 0)
        self.points = points; self.mean = mean; self.scale = scale
        lengthScale = chosen.0; cholesky = chosen.1; alpha = chosen.2
    }

    static func kernel(_ a: [Double], _ b: [Double], _ lengthScale: Double) -> Double {
        var distance = 0.0
        for (x, y) in zip(a, b) { distance += (x - y) * (x - y) }
        return exp(-0.5 * distance / (lengthScale * lengthScale))
    }

    /// Cholesky factor, weights and log marginal likelihood, or nil when not positive definite.
    static func fit(_ points: [[Double]], _ values: [Double], _ lengthScale: Double, noise: Double) -> ([[Double]], [Double], Double)? {
        let n = points.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = kernel(points[i], points[j], lengthScale) + (i == j ? noise : 0)
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        let z = forward(l, values)
        let alpha = backward(l, z)
        let logLikelihood = -0.5 * zip(values, alpha).map(*).reduce(0, +) - (0..<n).map { log(l[$0][$0]) }.reduce(0, +)
        return (l, alpha, logLikelihood)
    }

    static func forward(_ l: [[Double]], _ b: [Double]) -> [Double] {
        var x = b
        for i in 0..<b.count {
            for k in 0..<i { x[i] -= l[i][k] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }

    static func backward(_ l: [[Double]], _ b: [Double]) -> [Double] {
        var x = b
        for i in stride(from: b.count - 1, through: 0, by: -1) {
            for k in (i + 1)..<b.count { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }

    /// Posterior mean and standard deviation at `x`, in the values' units.
    public func predict(_ x: [Double]) -> (mean: Double, std: Double) {
        guard !alpha.isEmpty else { return (mean, scale) }
        let k = points.map { GaussianProcess.kernel($0, x, lengthScale) }
        let mu = zip(k, alpha).map(*).reduce(0, +)
        let v = GaussianProcess.forward(cholesky, k)
        let variance = Swift.max(1 - v.map { $0 * $0 }.reduce(0, +), 1e-12)
        return (mean + scale * mu, scale * variance.squareRoot())
    }

    /// Expected improvement below `best` (minimisation).
    public func expectedImprovement(_ x: [Double], best: Double) -> Double {
        let (mu, sigma) = predict(x)
        let z = (best - mu) / sigma
        let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
        let pdf = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
        return (best - mu) * cdf + sigma * pdf
    }

    /// The candidate (of `count` random points in the unit cube, plus small moves around the best
    /// point seen) with the highest expected improvement.
    public func proposal(dimensions: Int, best: Double, incumbent: [Double], count: Int, generator: inout RandomGenerator) -> [Double] {
        var chosen = incumbent, chosenValue = -Double.infinity
        for i in 0..<count {
            let candidate: [Double] = i % 4 == 3
                ? incumbent.map { Swift.min(Swift.max($0 + 0.05 * generator.normal(), 0), 0.999999) }
                : (0..<dimensions).map { _ in generator.uniform() }
            let value = expectedImprovement(candidate, best: best)
            if value > chosenValue { chosen = candidate; chosenValue = value }
        }
        return chosen
    }
}
