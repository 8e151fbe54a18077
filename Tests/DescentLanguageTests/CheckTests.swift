import DescentLanguage
import Testing

/// Exercise checks record what was expected and what was obtained, and never stop the program.
@Suite struct CheckTests {
    func checks(_ source: String) -> [CheckResult] {
        let interpreter = Interpreter(output: Output(sink: { _ in }))
        var seen: [CheckResult] = []
        interpreter.onCheck = { seen.append($0) }
        #expect(throws: Never.self) { _ = try interpreter.run(source, name: "exercise.dsc") }
        #expect(seen.map(\.message) == interpreter.checkResults.map(\.message))
        return interpreter.checkResults
    }

    @Test func failuresSayWhatWasExpectedAndObtained() {
        let results = checks("""
        let answer = nil  # TODO
        check_close(answer, 0.1 * 0.9 ** 10, tol: 1e-9)
        check_close(0.5, 0.25)
        check_close(tensor([1, 2]), [1, 2.5], message: "weights")
        check_close(tensor([1, 2]), [1, 2, 3])
        check_less(3, 2)
        check(1 > 2, "one exceeds two")
        """)
        #expect(results.allSatisfy { !$0.passed })
        #expect(results[0].message == "expected 0.03486784401000001, got nil (is there a TODO left?)")
        #expect(results[1].message == "expected 0.25 (within 1e-06), got 0.5")
        #expect(results[2].message == "weights: expected [1, 2.5] (within 1e-06), got tensor([1, 2]) (largest difference 0.5)")
        #expect(results[3].message.contains("expected shape [3], got shape [2]"))
        #expect(results[4].message == "expected a number below 2, got 3")
        #expect(results[5].message == "one exceeds two (the condition is false)")
    }

    @Test func passesAndTolerances() {
        let results = checks("""
        check_close(0.0348678, 0.1 * 0.9 ** 10, tol: 1e-6)
        check_close(1000.0001, 1000, tol: 1e-6)
        check_close(tensor([1, 2]), tensor([1, 2]), tol: 0)
        check_less(0.05, 0.1)
        check(true, "fine")
        """)
        #expect(results.count == 5)
        #expect(results.allSatisfy { $0.passed })
    }

    @Test func nanNeverPasses() {
        let results = checks("check_close(nan, nan)\ncheck_less(nan, 1)\ncheck_close(tensor([1, nan]), [1, 2], tol: 10)")
        #expect(results.allSatisfy { !$0.passed })
    }

    @Test func failedChecksRenderAsLocatedDiagnostics() {
        let interpreter = Interpreter(output: Output(sink: { _ in }))
        _ = try? interpreter.run("let x = 1\ncheck_less(x, 0)\n", name: "ex.dsc")
        let text = DiagnosticRenderer(sources: interpreter.sources, color: false).render(interpreter.checkResults[0].diagnostic)
        #expect(text.hasPrefix("ex.dsc:2:1: check failed: expected a number below 0, got 1\n    check_less(x, 0)\n    ^~~~"))
    }
}
