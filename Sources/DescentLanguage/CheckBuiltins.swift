import DescentTensor

/// One `check`, `check_close` or `check_less` as it ran. Exercises are graded by these: an
/// exercise passes when its script runs to the end and every check it reached passed.
public struct CheckResult: Sendable {
    public var passed: Bool
    /// What was expected and, for a failure, what was obtained.
    public var message: String
    public var span: SourceSpan

    /// The failure as a located diagnostic, for rendering like an error.
    public var diagnostic: Diagnostic { Diagnostic(message, at: span, kind: .checkFailed) }
}

extension Builtins {
    static var checks: [BuiltinFunction] {
        let category = "Checks"
        return [
            define("check(condition, expected)", category,
                   "An exercise check: passes when condition is true; otherwise reports `expected` at this line. Returns whether it passed; the program goes on either way.",
                   example: "check(2 + 2 == 4, \"2 + 2 is 4\")") { args in
                let passed = try args[0].truth(at: args.span(ofArgument: 0))
                let expected = args[1].displayString
                return record(&args, passed: passed, passed ? expected : "\(expected) (the condition is false)")
            },
            define("check_close(actual, expected, tol: 1e-6, message: nil)", category,
                   "An exercise check: passes when the number or tensor actual is within tol of expected (relative to |expected| above 1). A failure shows both values.",
                   example: "check_close(0.1 * 0.9 ** 10, 0.0348678, tol: 1e-6)") { args in
                let tolerance = try args.number(2)
                guard tolerance >= 0 else { throw args.error("check_close(): tol must be at least 0, got \(formatNumber(tolerance))", argument: 2) }
                let expected = try comparable(&args, 1, role: "expected")
                let prefix = args[3].isNil ? "" : args[3].displayString + ": "
                guard let actual = try? comparable(&args, 0, role: "actual") else {
                    return record(&args, passed: false, prefix + "expected \(args[1].reprString), got \(describeActual(args[0]))")
                }
                guard actual.shape == expected.shape else {
                    return record(&args, passed: false, prefix + "expected shape \(describe(expected.shape)), got shape \(describe(actual.shape)): \(describeActual(args[0]))")
                }
                var worst = 0.0
                var close = true
                for (a, e) in zip(actual.elements, expected.elements) {
                    let gap = Swift.abs(a - e)
                    if !(gap <= tolerance * Swift.max(1, Swift.abs(e))) || a.isNaN != e.isNaN { close = false }
                    if gap.isNaN || gap > worst { worst = gap }
                }
                let within = "within \(formatNumber(tolerance))"
                if close { return record(&args, passed: true, prefix + "\(args[1].reprString) \(within)") }
                let gap = actual.elements.count > 1 ? " (largest difference \(formatNumber(worst)))" : ""
                return record(&args, passed: false, prefix + "expected \(args[1].reprString) (\(within)), got \(args[0].reprString)\(gap)")
            },
            define("check_less(actual, bound, message: nil)", category,
                   "An exercise check: passes when the number actual is below bound. A failure shows both.",
                   example: "check_less(0.05, 0.1)") { args in
                let bound = try args.number(1)
                let prefix = args[2].isNil ? "" : args[2].displayString + ": "
                guard let actual = try? args.number(0) else {
                    return record(&args, passed: false, prefix + "expected a number below \(formatNumber(bound)), got \(describeActual(args[0]))")
                }
                let passed = actual < bound
                return record(&args, passed: passed, prefix + "expected a number below \(formatNumber(bound))\(passed ? "" : ", got \(formatNumber(actual))")")
            },
        ]
    }

    private static func record(_ args: inout Arguments, passed: Bool, _ message: String) -> Value {
        let result = CheckResult(passed: passed, message: message, span: args.span)
        args.ip.checkResults.append(result)
        args.ip.onCheck?(result)
        return .bool(passed)
    }

    /// A number, a list of numbers or a tensor, as a tensor to compare element by element.
    private static func comparable(_ args: inout Arguments, _ index: Int, role: String) throws -> Tensor {
        if case .number(let x) = args[index] { return Tensor(scalar: x) }
        guard args.isTensorLike(index) else { throw args.typeError(index, expected: "a number, a list of numbers or a tensor") }
        return try args.tensor(index)
    }

    /// A value that is not what a check compares, said plainly: nil is usually an unfinished TODO.
    private static func describeActual(_ value: Value) -> String {
        value.isNil ? "nil (is there a TODO left?)" : value.reprString
    }
}
