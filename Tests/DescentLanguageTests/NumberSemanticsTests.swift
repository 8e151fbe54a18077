import Foundation
import Testing
@testable import DescentLanguage

/// Descent's numbers print, round, format and divide as CPython's do; the reference values come
/// from CPython itself (Fixtures/generate_python_numbers.py writes Fixtures/python_numbers.json).
@Suite struct NumberSemanticsTests {
    struct Fixture {
        let cases: [[String: Any]]
        let pairs: [[String: Any]]
    }

    nonisolated(unsafe) static let fixture: Fixture = {
        let path = "\(#filePath)".split(separator: "/").dropLast().joined(separator: "/") + "/Fixtures/python_numbers.json"
        let data = FileManager.default.contents(atPath: "/" + path) ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Fixture(cases: object["cases"] as? [[String: Any]] ?? [], pairs: object["pairs"] as? [[String: Any]] ?? [])
    }()

    func evaluate(_ code: String) throws -> Value {
        try runOnLargeStack { Result { try Interpreter(output: Output(sink: { _ in })).run(code, name: "<test>") } }.get()
    }

    func literal(_ x: Double) -> String { "num(\"\(x)\")" }

    /// Every number in the fixture is Python's repr text, read back exactly by Swift's parser.
    func number(_ entry: [String: Any], _ key: String) throws -> Double {
        try #require((entry[key] as? String).flatMap(Double.init), "\(key) in \(entry)")
    }

    @Test func fixtureIsLoaded() {
        #expect(Self.fixture.cases.count > 100)
        #expect(Self.fixture.pairs.count >= 10)
    }

    @Test func printingMatchesPythonRepr() throws {
        for entry in Self.fixture.cases {
            let x = try number(entry, "x")
            #expect(formatNumber(x) == entry["repr"] as? String, "repr of \(x)")
        }
    }

    @Test func roundingMatchesPython() throws {
        for entry in Self.fixture.cases {
            let x = try number(entry, "x")
            for (digits, key) in [(0, "round0"), (2, "round2"), (-1, "round_neg1")] {
                let expected = try number(entry, key)
                #expect(roundToDigits(x, digits) == expected, "round(\(x), \(digits))")
            }
        }
    }

    @Test func formatSpecsMatchPython() throws {
        for entry in Self.fixture.cases {
            let x = try number(entry, "x")
            for (spec, key) in [(".3f", "format_3f"), (".2e", "format_2e"), (".4g", "format_g"), (".1%", "format_pct"), (">12.2f", "format_width")] {
                let value = try evaluate("format(\(literal(x)), \"\(spec)\")")
                #expect(value.displayString == entry[key] as? String, "format(\(x), \"\(spec)\")")
            }
        }
    }

    @Test func remainderFloorDivisionAndPowerMatchPython() throws {
        for entry in Self.fixture.pairs {
            let a = try number(entry, "a")
            let b = try number(entry, "b")
            for (op, key) in [("%", "mod"), ("//", "floordiv")] {
                let expected = try number(entry, key)
                let value = try evaluate("\(literal(a)) \(op) \(literal(b))")
                #expect(try value.isEqual(to: .number(expected)), "\(a) \(op) \(b)")
                if case .number(let x) = value { #expect(x.sign == expected.sign, "sign of \(a) \(op) \(b)") }
            }
            let squared = try number(entry, "pow")
            #expect(try evaluate("\(literal(a)) ** 2").isEqual(to: .number(squared)))
        }
    }
}
