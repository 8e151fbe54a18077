import Foundation
import Testing
@testable import DescentStats

/// Student's t, summaries and t-tests against SciPy, from Fixtures/scipy_reference.json
/// (written by Fixtures/generate_scipy_reference.py).
struct SciPyReference: Decodable, Sendable {
    struct Point: Decodable, Sendable { let df: Double; let t: Double; let cdf: Double; let sf: Double; let pdf: Double }
    struct Quantile: Decodable, Sendable { let df: Double; let p: Double; let t: Double }
    struct Test: Decodable, Sendable { let statistic: Double; let p: Double; let df: Double; let ci: [Double] }
    struct TestCase: Decodable, Sendable { let a: [Double]; let b: [Double]; let c: [Double]; let paired: Test; let welch: Test }
    struct Summary: Decodable, Sendable { let values: [Double]; let mean: Double; let std: Double; let stderr: Double; let ci: [Double] }
    let distribution: [Point]
    let quantiles: [Quantile]
    let tests: [TestCase]
    let summaries: [Summary]

    static let loaded: SciPyReference = {
        // trap-ok: the fixture ships with the tests
        let url = Bundle.module.url(forResource: "scipy_reference", withExtension: "json", subdirectory: "Fixtures")!
        // trap-ok: a malformed fixture is a broken test set-up
        return try! JSONDecoder().decode(SciPyReference.self, from: Data(contentsOf: url))
    }()
}

/// |actual - expected| within `relative` of |expected| (or below `absolute`); NaN matches NaN.
func close(_ actual: Double, _ expected: Double, relative: Double, absolute: Double = 0) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    return Swift.abs(actual - expected) <= Swift.max(relative * Swift.abs(expected), absolute)
}

/// The continued fraction loses about sqrt(df) ulps, so the tolerance is looser for huge degrees of
/// freedom (replicates have tens; 10^7 would take ten million seeds).
func tolerance(degreesOfFreedom: Double) -> Double { degreesOfFreedom <= 1000 ? 1e-13 : 1e-9 }

@Suite struct StudentTTests {
    @Test func distributionMatchesSciPy() {
        for point in SciPyReference.loaded.distribution {
            let t = StudentT(degreesOfFreedom: point.df)
            let relative = tolerance(degreesOfFreedom: point.df)
            #expect(close(t.cdf(point.t), point.cdf, relative: relative, absolute: 1e-300), "cdf(\(point.t); df \(point.df))")
            #expect(close(t.survival(point.t), point.sf, relative: relative, absolute: 1e-300), "sf(\(point.t); df \(point.df))")
            #expect(close(t.density(point.t), point.pdf, relative: 1e-12, absolute: 1e-300), "pdf(\(point.t); df \(point.df))")
        }
    }

    @Test func quantilesMatchSciPy() {
        for quantile in SciPyReference.loaded.quantiles {
            let t = StudentT(degreesOfFreedom: quantile.df).quantile(quantile.p)
            #expect(close(t, quantile.t, relative: tolerance(degreesOfFreedom: quantile.df), absolute: 1e-15), "ppf(\(quantile.p); df \(quantile.df)) = \(t), SciPy \(quantile.t)")
        }
    }

    @Test func quantileInvertsTheDistribution() {
        for df in [1.0, 2.2, 7, 40, 3000] {
            let t = StudentT(degreesOfFreedom: df)
            for p in [1e-200, 1e-30, 0.01, 0.3, 0.5, 0.77, 0.999] {
                #expect(close(t.cdf(t.quantile(p)), p, relative: 1e-12), "df \(df), p \(p)")
            }
            #expect(t.quantile(0) == -.infinity && t.quantile(1) == .infinity && t.quantile(1.5).isNaN)
        }
    }

    @Test func edgeCases() {
        #expect(StudentT(degreesOfFreedom: 3).cdf(.nan).isNaN)
        #expect(StudentT(degreesOfFreedom: 0).cdf(1).isNaN)
        #expect(StudentT(degreesOfFreedom: 3).survival(.infinity) == 0)
        #expect(StudentT(degreesOfFreedom: 3).cdf(-.infinity) == 0)
    }
}

@Suite struct SampleTests {
    @Test func summariesMatchSciPy() throws {
        for case_ in SciPyReference.loaded.summaries {
            let summary = try SampleSummary(case_.values)
            #expect(summary.count == case_.values.count)
            #expect(close(summary.mean, case_.mean, relative: 1e-13, absolute: 1e-300))
            #expect(close(summary.standardDeviation, case_.std, relative: 1e-12))
            #expect(close(summary.standardError, case_.stderr, relative: 1e-12))
            let scale = Swift.max(Swift.abs(case_.ci[0]), Swift.abs(case_.ci[1]))
            #expect(close(summary.low, case_.ci[0], relative: 1e-12, absolute: 1e-12 * scale), "\(case_.values)")
            #expect(close(summary.high, case_.ci[1], relative: 1e-12, absolute: 1e-12 * scale), "\(case_.values)")
        }
    }

    @Test func oneValueHasNoSpread() throws {
        let summary = try SampleSummary([0.5])
        #expect(summary.mean == 0.5 && summary.standardDeviation.isNaN && summary.low.isNaN && summary.high.isNaN)
        #expect(throws: StatisticsError.self) { try SampleSummary([]) }
    }

    @Test func testsMatchSciPy() throws {
        for case_ in SciPyReference.loaded.tests {
            for (test, expected) in [(try TTest.paired(case_.a, case_.b), case_.paired), (try TTest.welch(case_.a, case_.c), case_.welch)] {
                #expect(close(test.statistic, expected.statistic, relative: 1e-11), "\(test.kind) \(case_.a)")
                #expect(close(test.degreesOfFreedom, expected.df, relative: 1e-12))
                #expect(close(test.pValue, expected.p, relative: 1e-10, absolute: 1e-300), "\(test.kind) p \(test.pValue) vs \(expected.p)")
                let scale = Swift.max(Swift.abs(expected.ci[0]), Swift.abs(expected.ci[1]))
                #expect(close(test.low, expected.ci[0], relative: 1e-11, absolute: 1e-11 * scale), "\(test.kind) ci")
                #expect(close(test.high, expected.ci[1], relative: 1e-11, absolute: 1e-11 * scale), "\(test.kind) ci")
            }
        }
    }

    /// SciPy's answers when a side does not vary: a constant nonzero difference is certain (p = 0),
    /// no difference at all is undefined (NaN); Welch with both spreads zero takes 1 degree of freedom.
    @Test func degenerateSpreadsAsSciPy() throws {
        let certain = try TTest.paired([1, 2, 3], [2, 3, 4])
        #expect(certain.statistic == -.infinity && certain.pValue == 0 && certain.low == -1 && certain.high == -1)
        let nothing = try TTest.paired([1, 2, 3], [1, 2, 3])
        #expect(nothing.statistic.isNaN && nothing.pValue.isNaN && nothing.low == 0 && nothing.high == 0)
        let flat = try TTest.welch([1, 1, 1], [2, 2, 2])
        #expect(flat.statistic == -.infinity && flat.pValue == 0 && flat.degreesOfFreedom == 1 && flat.low == -1)
        #expect(throws: StatisticsError.self) { try TTest.paired([1, 2], [1, 2, 3]) }
        #expect(throws: StatisticsError.self) { try TTest.welch([1], [1, 2, 3]) }
    }
}
