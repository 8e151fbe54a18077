import DescentLanguage
import Foundation
import Testing

/// Syntactically valid, semantically wild programs: every one must end in a value or a located
/// diagnostic within a step budget, never a crash or a hang.
/// The random choices of the program generators: an xorshift generator, seeded per program so
/// that a failing program can be regenerated from its number.
protocol RandomChoices {
    var state: UInt64 { get set }
}

extension RandomChoices {
    static func initialState(seed: UInt64) -> UInt64 { seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

struct ProgramGenerator: RandomChoices {
    var state: UInt64
    private var depth = 0
    private let builtins: [String]

    /// Tame programs stay mostly well typed, so that the generator also reaches deep into the
    /// evaluator and the tensor library instead of failing at the first statement.
    private let tame: Bool

    init(seed: UInt64, builtins: [String]) {
        state = Self.initialState(seed: seed)
        tame = seed % 2 == 0
        // Built-ins that write files or start processes are left out; the rest are fair game.
        self.builtins = builtins.filter { !["seed", "time"].contains($0) }
    }


    static let names = ["x", "y", "z", "f", "xs", "t", "r", "lr"]
    static let numbers = ["0", "1", "2", "-1", "0.5", "3", "1e12", "1e300", "-1e-300", "nan", "inf", "-inf", "7", "1e8", "-0", "2.5"]
    static let strings = ["\"\"", "\"adam\"", "\"x\"", "\"\\n\"", "\"é∑\"", "\"\\(1 + 1)\""]
    static let binary = ["+", "-", "*", "/", "%", "**", "@", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in"]
    static let options = ["lr", "axis", "keepdims", "steps", "size", "epochs", "momentum", "tol", "digits", "reverse", "key", "bins", "title", "shuffle", "trials"]

    mutating func expression() -> String {
        depth += 1
        defer { depth -= 1 }
        if depth > 6 { return atom() }
        if tame && chance(85) { return tameExpression() }
        switch below(16) {
        case 0, 1: return atom()
        case 2: return "(\(expression()) \(pick(Self.binary)) \(expression()))"
        case 3: return "\(pick(["-", "not "]))\(expression())"
        case 4: return "[\((0..<below(4)).map { _ in expression() }.joined(separator: ", "))]"
        case 5: return "{\((0..<below(3)).map { _ in "\(pick(Self.names)): \(expression())" }.joined(separator: ", "))}"
        case 6: return "\(pick(["zeros", "ones", "randn", "rand", "eye", "arange"]))(\(shape()))"
        case 7: return "tensor(\(expression()))"
        case 8: return "\(atom())[\(index())]"
        case 9: return "fn(\(pick(Self.names))) => \(expression())"
        case 10: return "if \(expression()) { \(expression()) } else { \(expression()) }"
        case 11: return "\(atom()).\(pick(["T", "shape", "lr", "x", "len()", "append(1)", "loss", "state()"]))"
        case 12: return "(\(expression()))(\(arguments()))"
        default: return "\(pick(builtins))(\(arguments()))"
        }
    }

    private mutating func tameExpression() -> String {
        depth += 1
        defer { depth -= 1 }
        if depth > 5 { return pick(["x", "t", "1", "2", "0.5", "y"]) }
        switch below(8) {
        case 0: return pick(["x", "t", "y", "1", "2", "0.5", "-3"])
        case 1, 2: return "(\(tameExpression()) \(pick(["+", "-", "*", "/", "**"])) \(tameExpression()))"
        case 3: return "\(pick(["sum", "mean", "tanh", "relu", "abs", "exp", "sqrt", "sigmoid", "str", "len", "max", "norm"]))(\(tameExpression()))"
        case 4: return "[\(tameExpression()), \(tameExpression())]"
        case 5: return "grad(fn(v) => sum(v ** 2))(t)"
        case 6: return "f(\(tameExpression()))"
        default: return "t[\(pick(["0", "-1", "1:", "::2"]))]"
        }
    }

    private mutating func atom() -> String {
        switch below(4) {
        case 0: return pick(Self.numbers)
        case 1: return pick(Self.strings)
        case 2: return pick(["true", "false", "nil", "pi", "e"])
        default: return pick(Self.names)
        }
    }

    private mutating func shape() -> String {
        chance(20) ? expression() : "[\((0..<below(4)).map { _ in pick(["0", "1", "2", "3", "5", "-1", "1e12", "2.5"]) }.joined(separator: ", "))]"
    }

    private mutating func index() -> String {
        pick([expression(), ":", "::-1", "1:", "-1", ":, 0", "\(expression()):\(expression())", "[0, 0]", "..."])
    }

    private mutating func arguments() -> String {
        var parts = (0..<below(4)).map { _ in expression() }
        if chance(40) { parts.append("\(pick(Self.options)): \(expression())") }
        return parts.joined(separator: ", ")
    }

    mutating func statement() -> String {
        depth += 1
        defer { depth -= 1 }
        if depth > 4 { return "let \(pick(Self.names)) = \(expression())" }
        if tame && chance(90) {
            switch below(4) {
            case 0: return "let \(pick(["a", "b", "c"])) = \(tameExpression())"
            case 1: return "x = \(tameExpression())"
            case 2: return "for i in range(3) { x = x + \(tameExpression()) }"
            default: return "print(\(tameExpression()))"
            }
        }
        switch below(10) {
        case 0, 1: return "let \(pick(Self.names)) = \(expression())"
        case 2: return "\(pick(Self.names)) \(pick(["=", "+=", "-=", "*="])) \(expression())"
        case 3: return "\(pick(Self.names))[\(index())] = \(expression())"
        case 4: return "for \(pick(Self.names)) in \(pick(["range(\(expression()))", expression(), "[1, 2, 3]"])) { \(block()) }"
        case 5: return "while \(expression()) { \(block()) }"
        case 6: return "fn \(pick(["f", "g"]))(\(pick(["", "a", "a, b: 2"]))) { \(block()) }"
        case 7: return "if \(expression()) { \(block()) } else { \(block()) }"
        case 8: return pick(["break", "continue", "return \(expression())"])
        default: return expression()
        }
    }

    private mutating func block() -> String { (0..<(1 + below(3))).map { _ in statement() }.joined(separator: "; ") }

    mutating func program() -> String {
        let prelude = "let x = 1; let y = tensor([[1, 2], [3, 4]]); let xs = [1, 2]; let r = {lr: 0.1}; let t = randn([3]); fn f(a) { a }"
        return prelude + "\n" + (0..<(2 + below(6))).map { _ in statement() }.joined(separator: "\n") + "\n"
    }
}

@Suite struct RandomProgramTests {
    @Test func wildProgramsEndInAValueOrADiagnostic() throws {
        let builtins = Interpreter(output: Output { _ in }).builtinNames
        var outcomes: [String: Int] = [:]
        let started = Date()
        for seed in 1...3000 {
            var generator = ProgramGenerator(seed: UInt64(seed), builtins: builtins)
            let source = generator.program()
            let interrupt = InterruptFlag()
            let interpreter = Interpreter(output: Output { _ in }, interrupt: interrupt)
            interpreter.stepLimit = 20_000
            interpreter.allowsFileWrites = false
            // A built-in that loops without checking would hang here; the watchdog turns that into a failure.
            let watchdog = DispatchWorkItem { interrupt.expire() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 10, execute: watchdog)
            do {
                _ = try interpreter.run(source, name: "random-\(seed).dsc")
                outcomes["value", default: 0] += 1
            } catch let diagnostic as Diagnostic {
                #expect(diagnostic.kind != .timedOut, "program \(seed) ran for over 10 s:\n\(source)")
                #expect(diagnostic.span != nil || diagnostic.message.contains("step limit"), "program \(seed): unlocated \(diagnostic.message)")
                outcomes[diagnostic.kind == .error ? "diagnostic" : "\(diagnostic.kind)", default: 0] += 1
            } catch {
                Issue.record("program \(seed) threw \(error), not a diagnostic:\n\(source)")
            }
            watchdog.cancel()
        }
        print("random programs: \(outcomes) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect((outcomes["value"] ?? 0) > 200, "the generator should also make programs that run to the end")
    }

    @Test func tenThousandNestedConstructsAreRefused() throws {
        let openers = ["(": ")", "[": "]", "{a: ": "}", "if true { ": " }", "fn() => ": "", "-": "", "not ": "", "2 ** ": "", "f(": ")", "xs[": "]"]
        for (open, close) in openers {
            let source = "fn f(a) { a }\nlet xs = [1]\nlet v = " + String(repeating: open, count: 10_000) + "1" + String(repeating: close, count: 10_000)
            let interpreter = Interpreter(output: Output { _ in })
            do {
                _ = try interpreter.run(source, name: "deep.dsc")
                Issue.record("\(open) x 10000 was accepted")
            } catch let diagnostic as Diagnostic {
                #expect(diagnostic.message.contains("nested too deeply"), "\(open): \(diagnostic.message)")
            }
        }
    }

    /// Walks over nested values stop when the stack runs short, not only at the fixed depth: a
    /// sanitizer build's frames are large enough to overflow 8 MiB first (found by the fuzzer).
    /// Dropping the 20,000-level values at the end must not recurse either.
    @Test func selfContainingValuesAreRefusedOnASmallStack() throws {
        let setup = """
            let a = [1]; a.append(a); let b = [1]; b.append(b)
            let deep = 0; let other_deep = 0; let chain = nil
            for i in range(20000) { deep = [deep]; other_deep = [other_deep]; chain = {next: chain} }

            """
        let messages: [String] = runOnLargeStack(bytes: 1 << 20) {
            ["a == b", "a < b", "json(deep)", "json(chain)", "deep == other_deep"].map { expression in
                let interpreter = Interpreter(output: Output { _ in })
                do {
                    _ = try interpreter.run(setup + expression, name: "deep.dsc")
                    return "\(expression) was accepted"
                } catch {
                    return "\(error)"
                }
            }
        }
        for message in messages { #expect(message.contains("nested too deeply"), "\(message)") }
        let shown = runOnLargeStack(bytes: 1 << 20) { () -> String in
            var deep = Value.number(1)
            for _ in 0..<20_000 { deep = .list(ListObject([deep])) }
            return deep.reprString
        }
        #expect(shown.contains("[...]") && shown.count < 40_000, "\(shown.count) characters")
    }
}
