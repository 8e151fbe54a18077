#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mistake in the data handed to a statistic (too few values, lengths that differ).
public struct StatisticsError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Repeated measurements of one quantity (one per seed): their mean, spread and a Student-t
/// confidence interval for the mean, as `scipy.stats.t.interval(level, n - 1, loc: mean, scale: sem)`.
public struct SampleSummary: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    /// With Bessel's correction (ddof = 1), as `numpy.std(values, ddof=1)`; NaN for one value.
    public let standardDeviation: Double
    public let standardError: Double
    public let level: Double
    public let low: Double
    public let high: Double

    public init(_ values: [Double], level: Double = 0.95) throws(StatisticsError) {
        guard !values.isEmpty else { throw StatisticsError("no values to summarise") }
        guard level > 0, level < 1 else { throw StatisticsError("the confidence level must be between 0 and 1") }
        count = values.count
        mean = Samples.mean(values)
        standardDeviation = Samples.standardDeviation(values, mean: mean)
        standardError = standardDeviation / Double(count).squareRoot()
        self.level = level
        let half = Samples.halfWidth(standardError: standardError, degreesOfFreedom: Double(count - 1), level: level)
        low = mean - half
        high = mean + half
    }

    /// Half the interval's width: the "± 0.004" of "0.973 ± 0.004".
    public var halfWidth: Double { (high - low) / 2 }
}

/// A two-sided t-test of a difference in means, with the confidence interval of that difference:
/// paired (`scipy.stats.ttest_rel(a, b)`) or Welch's unequal-variance test
/// (`scipy.stats.ttest_ind(a, b, equal_var=False)`), including SciPy's answers when a spread is zero.
public struct TTest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case paired, welch }

    public let kind: Kind
    /// mean(a) - mean(b); for a paired test, the mean of the differences (the same number).
    public let meanDifference: Double
    public let statistic: Double
    public let degreesOfFreedom: Double
    /// Two-sided.
    public let pValue: Double
    public let level: Double
    public let low: Double
    public let high: Double

    public static func paired(_ a: [Double], _ b: [Double], level: Double = 0.95) throws(StatisticsError) -> TTest {
        guard a.count == b.count else {
            throw StatisticsError("a paired comparison needs as many values on each side: \(a.count) and \(b.count)")
        }
        guard a.count >= 2 else { throw StatisticsError("a comparison needs at least 2 values on each side, got \(a.count)") }
        let differences = zip(a, b).map { $0 - $1 }
        let mean = Samples.mean(differences)
        let error = Samples.standardDeviation(differences, mean: mean) / Double(differences.count).squareRoot()
        return try TTest(kind: .paired, difference: mean, standardError: error, degreesOfFreedom: Double(a.count - 1), level: level)
    }

    public static func welch(_ a: [Double], _ b: [Double], level: Double = 0.95) throws(StatisticsError) -> TTest {
        guard a.count >= 2, b.count >= 2 else {
            throw StatisticsError("a comparison needs at least 2 values on each side, got \(a.count) and \(b.count)")
        }
        let meanA = Samples.mean(a), meanB = Samples.mean(b)
        let shareA = Samples.variance(a, mean: meanA) / Double(a.count)
        let shareB = Samples.variance(b, mean: meanB) / Double(b.count)
        var freedom = (shareA + shareB) * (shareA + shareB)
            / (shareA * shareA / Double(a.count - 1) + shareB * shareB / Double(b.count - 1))
        if freedom.isNaN { freedom = 1 }  // both spreads zero: SciPy's convention
        return try TTest(kind: .welch, difference: meanA - meanB, standardError: (shareA + shareB).squareRoot(),
                         degreesOfFreedom: freedom, level: level)
    }

    private init(kind: Kind, difference: Double, standardError: Double, degreesOfFreedom: Double, level: Double) throws(StatisticsError) {
        guard level > 0, level < 1 else { throw StatisticsError("the confidence level must be between 0 and 1") }
        self.kind = kind
        meanDifference = difference
        statistic = difference / standardError
        self.degreesOfFreedom = degreesOfFreedom
        pValue = statistic.isNaN ? .nan : 2 * StudentT(degreesOfFreedom: degreesOfFreedom).survival(Swift.abs(statistic))
        self.level = level
        let half = Samples.halfWidth(standardError: standardError, degreesOfFreedom: degreesOfFreedom, level: level)
        low = difference - half
        high = difference + half
    }
}

/// The elementary statistics, computed in two passes (a mean, then squared deviations from it).
public enum Samples {
    public static func mean(_ values: [Double]) -> Double {
        values.reduce(0, +) / Double(values.count)
    }

    /// Sample variance with Bessel's correction; NaN for fewer than two values.
    public static func variance(_ values: [Double], mean: Double) -> Double {
        guard values.count >= 2 else { return .nan }
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }

    public static func standardDeviation(_ values: [Double], mean: Double) -> Double {
        variance(values, mean: mean).squareRoot()
    }

    /// t quantile times the standard error; zero when the error is zero (SciPy's interval collapses to the point).
    static func halfWidth(standardError: Double, degreesOfFreedom: Double, level: Double) -> Double {
        if standardError == 0 { return 0 }
        return StudentT(degreesOfFreedom: degreesOfFreedom).quantile(0.5 + level / 2) * standardError
    }
}
