import DescentLanguage

/// The outcome of running one exercise: its checks, and the error that stopped it if any.
public struct Grade: Sendable {
    public var checks: [CheckResult]
    public var error: Diagnostic?

    public init(checks: [CheckResult], error: Diagnostic?) {
        self.checks = checks
        self.error = error
    }

    /// Passed: the script ran to its end, reached at least one check, and every check passed.
    public var passed: Bool { error == nil && !checks.isEmpty && checks.allSatisfy(\.passed) }
    public var failedChecks: [CheckResult] { checks.filter { !$0.passed } }
    public var interrupted: Bool { error?.kind == .interrupted }

    /// One line for listings: "3 of 3 checks passed", "1 of 3 checks failed", "stopped by an error".
    public var summary: String {
        if let error { return error.kind == .interrupted ? "interrupted" : "stopped by an error before its checks finished" }
        if checks.isEmpty { return "ran no checks" }
        let failed = failedChecks.count
        return failed == 0 ? "all \(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed"
    }
}

/// Runs exercise scripts in a fresh interpreter each time, so one attempt cannot leak into the next.
public struct Grader {
    /// Makes the interpreter a run uses: the command line's, wired to its output and data.
    public var makeInterpreter: () -> Interpreter

    public init(makeInterpreter: @escaping () -> Interpreter) { self.makeInterpreter = makeInterpreter }

    /// Grades `text` (named `name` in diagnostics); `onCheck` sees each check as it runs.
    public func grade(_ text: String, name: String, onCheck: ((CheckResult, Interpreter) -> Void)? = nil) -> (Grade, Interpreter) {
        let interpreter = makeInterpreter()
        if let onCheck { interpreter.onCheck = { onCheck($0, interpreter) } }
        var failure: Diagnostic?
        do { _ = try interpreter.run(text, name: name) } catch let diagnostic as Diagnostic {
            failure = diagnostic
        } catch {
            failure = Diagnostic("\(error)", at: nil)
        }
        interpreter.output.flush()
        return (Grade(checks: interpreter.checkResults, error: failure), interpreter)
    }
}
