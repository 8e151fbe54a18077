import Foundation
import Testing
@testable import DescentLanguage

/// `compare` and `replicate` as a learner calls them, against SciPy: the fixture of the statistics
/// library (Tests/DescentStatsTests/Fixtures/scipy_reference.json, written by its generator).
@Suite struct CompareTests {
    struct Reference: Decodable {
        struct Test: Decodable { let statistic: Double; let p: Double; let df: Double; let ci: [Double] }
        struct Case: Decodable { let a: [Double]; let b: [Double]; let c: [Double]; let paired: Test; let welch: Test }
        struct Summary: Decodable { let values: [Double]; let mean: Double; let std: Double; let stderr: Double; let ci: [Double] }
        let tests: [Case]
        let summaries: [Summary]
    }

    static let reference: Reference = {
        let path = repositoryRoot + "/Tests/DescentStatsTests/Fixtures/scipy_reference.json"
        // trap-ok: the fixture ships with the tests
        return try! JSONDecoder().decode(Reference.self, from: Data(readText(path).utf8))
    }()

    /// Numbers exactly as the language received them: `repr` of a Double round-trips.
    func literal(_ values: [Double]) -> String { "[" + values.map { formatNumber($0) }.joined(separator: ", ") + "]" }

    func numbers(_ code: String) throws -> [Double] {
        let interpreter = Interpreter(output: Output { _ in })
        guard case .list(let list) = try interpreter.run(code, name: "compare.dsc") else { return [] }
        return list.items.map { if case .number(let x) = $0 { x } else { .nan } }
    }

    func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
        Swift.abs(a - b) <= tolerance * Swift.max(Swift.abs(b), 1e-300)
    }

    @Test func compareMatchesSciPy() throws {
        for case_ in CompareTests.reference.tests {
            for (paired, other, expected) in [(true, case_.b, case_.paired), (false, case_.c, case_.welch)] {
                let result = try numbers("""
                    let c = compare(\(literal(case_.a)), \(literal(other)), paired: \(paired))
                    [c.t, c.p, c.df, c.ci[0], c.ci[1]]
                    """)
                #expect(close(result[0], expected.statistic, 1e-10))
                #expect(close(result[1], expected.p, 1e-9), "p \(result[1]) against SciPy's \(expected.p)")
                #expect(close(result[2], expected.df, 1e-10))
                let scale = Swift.max(Swift.abs(expected.ci[0]), Swift.abs(expected.ci[1]))
                #expect(Swift.abs(result[3] - expected.ci[0]) <= 1e-9 * scale && Swift.abs(result[4] - expected.ci[1]) <= 1e-9 * scale)
            }
        }
    }

    @Test func replicateSummariesMatchSciPy() throws {
        for summary in CompareTests.reference.summaries {
            let result = try numbers("""
                let values = \(literal(summary.values))
                let r = replicate(fn(s) => values[s], seeds: \(summary.values.count))
                [r.mean, r.std, r.stderr, r.ci[0], r.ci[1]]
                """)
            let scale = Swift.max(Swift.abs(summary.ci[0]), Swift.abs(summary.ci[1]))
            #expect(close(result[0], summary.mean, 1e-12) || Swift.abs(result[0] - summary.mean) < 1e-15 * scale)
            #expect(close(result[1], summary.std, 1e-12) && close(result[2], summary.stderr, 1e-12))
            #expect(Swift.abs(result[3] - summary.ci[0]) <= 1e-9 * scale && Swift.abs(result[4] - summary.ci[1]) <= 1e-9 * scale)
        }
    }
}
