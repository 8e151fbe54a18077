import Foundation
import Testing
@testable import DescentLanguage

/// The numeric tier must be invisible: every program prints, returns, fails and leaves its globals
/// exactly as the evaluator alone would. These tests run programs both ways and compare.
struct Outcome: Equatable, CustomStringConvertible {
    var output: [String]
    var error: String?
    var globals: [String]
    /// How many of the functions the program defined ran as numeric code (not compared).
    var numericFunctions = 0

    static func == (a: Outcome, b: Outcome) -> Bool {
        (a.output, a.error, a.globals) == (b.output, b.error, b.globals)
    }

    var description: String {
        "output: \(output)\nerror: \(error ?? "none")\nglobals: \(globals.joined(separator: ", "))"
    }
}

/// Runs `source` in a fresh interpreter, the numeric tier on or off; the diagnostic is compared
/// whole (message, location and call trace) and so are the globals the program defined.
func runBothWays(_ source: String, name: String = "program.dsc", stepLimit: Int? = nil, maxCallDepth: Int = 10_000)
    -> (withTier: Outcome, without: Outcome) {
    func run(tier: Bool) -> Outcome {
        runOnLargeStack {
            var printed: [UInt8] = []
            let interpreter = Interpreter(output: Output { printed += $0 }, maxCallDepth: maxCallDepth)
            interpreter.dataDirectory = repositoryRoot + "/lessons/data"
            interpreter.usesNumericTier = tier
            interpreter.stepLimit = stepLimit
            interpreter.allowsFileWrites = false
            var error: String?
            do {
                _ = try interpreter.run(source, name: name)
            } catch let diagnostic as Diagnostic {
                let location = diagnostic.span.map { "\($0.file):\($0.start)-\($0.end)@\($0.point)" } ?? "nowhere"
                let trace = diagnostic.trace.map { "\($0.function)@\($0.span.start)" }.joined(separator: " < ")
                error = "\(diagnostic.message) at \(location) [\(trace)]"
            } catch {
                Issue.record("unexpected error \(error)")
            }
            interpreter.output.flush()
            let output = String(decoding: printed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let defined = interpreter.globals.defined.filter { entry in !interpreter.builtinNames.contains(entry.name) }
            let numericFunctions = defined.filter { entry in
                guard case .function(let function) = entry.value, let closure = function as? Closure,
                      case .compiled = closure.prototype.numericState else { return false }
                return true
            }.count
            return Outcome(output: output, error: error, globals: defined.map { "\($0.name) = \($0.value.reprString)" },
                           numericFunctions: numericFunctions)
        }
    }
    return (run(tier: true), run(tier: false))
}

/// Random programs made of what the numeric tier compiles (functions of numbers, loops over
/// number variables, recursion), salted with what makes it bail out: strings and tensors where a
/// number was, functions replaced between calls, runaway recursion and loops (stopped by the step
/// and depth limits).
struct NumericProgramGenerator: RandomChoices {
    var state: UInt64
    private var depth = 0
    private var functions: [(name: String, arity: Int)] = []
    /// Names readable where the next expression goes.
    private var scope: [String] = []
    private var inFunction = false
    private var loopDepth = 0

    init(seed: UInt64) { state = Self.initialState(seed: seed) }


    static let numbers = ["0", "1", "2", "3", "-1", "0.5", "-0", "7", "10", "1e300", "nan", "inf", "-2.5", "1e-300"]
    static let globals = ["g", "h", "total"]

    mutating func expression() -> String {
        depth += 1
        defer { depth -= 1 }
        if depth > 4 { return atom() }
        switch below(10) {
        case 0, 1: return atom()
        case 2, 3, 4: return "(\(expression()) \(pick(["+", "-", "*", "/", "//", "%", "**", "+", "-", "*"])) \(expression()))"
        case 5: return "-\(atom())"
        case 6: return "if \(condition()) { \(expression()) } else { \(expression()) }"
        default:
            guard !functions.isEmpty else { return atom() }
            let function = pick(functions)
            let arguments = (0..<function.arity).map { index in
                index == 0 && chance(80) ? "\(pick(scope.isEmpty ? ["3"] : scope)) - 1" : expression()
            }
            return "\(function.name)(\(arguments.joined(separator: ", ")))"
        }
    }

    private mutating func atom() -> String {
        if !scope.isEmpty && chance(55) { return pick(scope) }
        if chance(3) { return pick(["s", "t"]) }  // a string or a tensor global: the tier bails out
        return pick(Self.numbers)
    }

    mutating func condition() -> String {
        switch below(7) {
        case 0: return "\(expression()) \(pick(["<", "<=", ">", ">=", "==", "!="])) \(expression())"
        case 1: return "\(atom()) < \(atom()) <= \(atom())"
        case 2: return "\(condition()) \(pick(["and", "or"])) \(atom()) > 0"
        case 3: return "not \(atom())"
        case 4: return atom()
        default: return "\(atom()) \(pick(["<", ">", "==", "<="])) \(pick(Self.numbers))"
        }
    }

    /// Statements of a function body or a loop; `locals` are the names it may assign.
    mutating func statements(_ locals: [String], count: Int) -> String {
        (0..<count).map { _ in statement(locals) }.joined(separator: "\n")
    }

    mutating func statement(_ locals: [String]) -> String {
        depth += 1
        defer { depth -= 1 }
        let target = pick(locals)
        if inFunction && chance(8) { return "if \(condition()) { return \(expression()) }" }
        if loopDepth > 0 && chance(8) { return "if \(condition()) { \(pick(["break", "continue"])) }" }
        switch depth > 3 ? 0 : below(8) {
        case 0, 1: return "\(target) = \(expression())"
        case 2: return "\(target) \(pick(["+=", "-=", "*="])) \(expression())"
        case 3: return "if \(condition()) {\n\(statements(locals, count: 1 + below(2)))\n} else {\n\(statements(locals, count: 1))\n}"
        case 4:
            let counter = "k\(depth)\(below(100))"
            scope.append(counter)
            defer { scope.removeLast() }
            loopDepth += 1
            let body = statements(locals, count: 1 + below(2))
            loopDepth -= 1
            return "let \(counter) = 0\nwhile \(counter) < \(pick(["3", "5", "2", "\(target)"])) {\n\(counter) = \(counter) + 1\n\(body)\n}"
        case 5:
            let element = "e\(depth)\(below(100))"
            scope.append(element)
            defer { scope.removeLast() }
            let bounds = pick(["3", "\(target)", "1, 4", "5, 0, -2", "0, 1, 0.5", "\(atom())"])
            loopDepth += 1
            defer { loopDepth -= 1 }
            return "for \(element) in range(\(bounds)) {\n\(statements(locals, count: 1 + below(2)))\n}"
        case 6:
            // A temporary declared on one path only.
            let temporary = "w\(depth)\(below(100))"
            return "if \(condition()) {\nlet \(temporary) = \(expression())\n\(target) = \(temporary) * 2\n}"
        default: return "\(target) = \(expression())"
        }
    }

    mutating func function(_ name: String, arity: Int) -> String {
        let parameters = ["a", "b", "c"].prefix(arity).map { $0 }
        scope = parameters + ["g"]
        inFunction = true
        defer { inFunction = false }
        var body = ""
        if chance(60) {
            scope.append("v")
            body += "let v = \(expression())\n"
            body += statements(["v"] + parameters, count: below(3)) + "\n"
        }
        let base = parameters.first.map { "\($0) <= 0" } ?? "true"
        // Recursion ends when the first parameter reaches 0 (or runs into the limits when it never does).
        functions.append((name, arity))
        body += chance(70) ? "if \(base) { \(pick(["", "return "]))\(expression()) } else { \(expression()) }" : expression()
        scope = []
        return "fn \(name)(\(parameters.joined(separator: ", "))) {\n\(body)\n}"
    }

    mutating func program() -> String {
        var lines = ["let g = \(pick(["2", "0.5", "-1", "3"]))", "let h = 1", "let total = 0", "let s = \"text\"", "let t = tensor([1, 2])"]
        for index in 0..<(1 + below(3)) {
            lines.append(function("f\(index)", arity: below(4)))
        }
        scope = Self.globals
        for _ in 0..<(2 + below(4)) {
            switch below(7) {
            case 0, 1:
                let function = pick(functions)
                lines.append("print(\(function.name)(\((0..<function.arity).map { _ in expression() }.joined(separator: ", "))))")
            case 2:
                loopDepth += 1
                if chance(50) {
                    lines.append("let i = 0\nwhile i < \(pick(["3", "10", "100", "h"])) {\ni = i + 1\n\(statements(Self.globals, count: 1 + below(3)))\n}")
                } else {
                    lines.append("for i in range(\(pick(["3", "10", "100", "h", "g, 20"]))) {\n\(statements(Self.globals, count: 1 + below(3)))\n}")
                }
                loopDepth -= 1
            case 3:
                lines.append("\(pick(["g", "h"])) = \(pick(["2", "\"now text\"", "tensor([3])", "0.25", "nil"]))")
            case 4:
                let function = pick(functions)
                lines.append("\(function.name) = \(pick(["fn(a, b, c) => 1", "nil", "f0", "\(function.name)"]))")
            default:
                lines.append("print(\(expression()))")
            }
        }
        lines.append("print(g, h, total)")
        return lines.joined(separator: "\n") + "\n"
    }
}

@Suite struct NumericTierTests {
    @Test(arguments: GoldenScript.all)
    func goldenScriptsBehaveTheSameWithoutTheTier(_ script: GoldenScript) {
        var (withTier, without) = runBothWays(readText(script.path), name: script.path)
        // Globals are compared for the generated programs; a few scripts keep the time in one.
        (withTier.globals, without.globals) = ([], [])
        #expect(withTier == without, "\(script.testDescription)\nwith the tier:\n\(withTier)\nwithout:\n\(without)")
    }

    @Test func randomNumericProgramsBehaveTheSameWithoutTheTier() {
        let seeds = 1...2000
        var completed = 0, numeric = 0
        for seed in seeds {
            var generator = NumericProgramGenerator(seed: UInt64(seed))
            let source = generator.program()
            // Small limits, so that runaway recursions and loops stop inside numeric code too.
            let (withTier, without) = runBothWays(source, name: "numeric-\(seed).dsc", stepLimit: 3_000, maxCallDepth: 60)
            #expect(withTier == without, "program \(seed):\n\(source)\nwith the tier:\n\(withTier)\nwithout:\n\(without)")
            if withTier.error == nil { completed += 1 }
            if withTier.numericFunctions > 0 { numeric += 1 }
        }
        print("random numeric programs: \(seeds.count), \(completed) ran to the end, \(numeric) ran numeric functions")
        #expect(completed > 300, "the generator should make programs that run to the end (\(completed) did)")
        #expect(numeric > 500, "the generator should make programs the tier runs (\(numeric) did)")
    }

    /// What the tier covers: if it stopped compiling one of these, the tests above would still
    /// pass (the evaluator gives the same answers), only slower.
    @Test func numericCodeRunsInTheTier() throws {
        let interpreter = Interpreter(output: Output { _ in })
        _ = try interpreter.run("""
            fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
            fn fib_return(n) {
                if n < 2 { return n }
                return fib_return(n - 1) + fib_return(n - 2)
            }
            fn collatz(x) {
                let steps = 0
                while true {
                    if x == 1 { break }
                    if x % 2 == 0 { x = x // 2; steps += 1; continue }
                    x = 3 * x + 1
                    steps += 1
                }
                steps
            }
            fn triangle(n) {
                let s = 0
                for i in range(1, n + 1) { s += i }
                s
            }
            fn pick(a, b, c) { if a < b < c { a } else { if not (b > c) or a == 0 { b } else { -c } } }
            let results = [fib(20), fib_return(20), collatz(27), triangle(100), pick(1, 2, 3)]
            let total = 0
            let i = 0
            while i < 1000 { total += i * 0.5; i = i + 1 }
            """, name: "tier.dsc")
        for name in ["fib", "fib_return", "collatz", "triangle", "pick"] {
            guard case .function(let function)? = interpreter.globals[name], let closure = function as? Closure,
                  case .compiled = closure.prototype.numericState else {
                Issue.record("\(name) was not compiled to numeric code")
                continue
            }
        }
        #expect(interpreter.globals["results"]?.reprString == "[6765, 6765, 111, 5050, 1]")
        #expect(interpreter.globals["total"]?.reprString == "249750")
        #expect(interpreter.numeric.top == interpreter.numeric.stackStart, "numeric frames left behind")
    }

    /// A caller whose callee is redefined bails out once, is compiled again at its next call, and
    /// runs in the tier again; one whose global keeps changing type ends in the evaluator.
    @Test func aFunctionIsCompiledAgainAfterItsCalleeIsRedefined() throws {
        let interpreter = Interpreter(output: Output { _ in })
        func state(_ name: String) -> (compiled: Bool, retired: Int) {
            guard case .function(let value)? = interpreter.globals[name], let closure = value as? Closure else { return (false, -1) }
            if case .compiled(let function) = closure.prototype.numericState, function.usable {
                return (true, closure.prototype.retiredNumericForms.count)
            }
            return (false, closure.prototype.retiredNumericForms.count)
        }
        _ = try interpreter.run("""
            fn leaf(n) { n * 2 }
            fn sum_leaves(n) { let s = 0; for i in range(n) { s += leaf(i) }; s }
            let a = sum_leaves(4)
            fn leaf(n) { n * 3 }
            let b = sum_leaves(4)
            let c = sum_leaves(5)
            """, name: "redefine.dsc")
        #expect(interpreter.globals["a"]?.reprString == "12" && interpreter.globals["b"]?.reprString == "18")
        #expect(state("sum_leaves") == (true, 1), "sum_leaves: \(state("sum_leaves"))")

        _ = try interpreter.run("""
            let k = 1
            fn scaled(n) { let s = 0; for i in range(n) { s += i * k }; s }
            for round in range(8) { k = if round % 2 == 0 { tensor([1]) } else { 1 }; scaled(3) }
            """, name: "flip.dsc")
        #expect(state("scaled") == (false, NumericFunction.maximumCompilations), "scaled: \(state("scaled"))")
    }

    /// Compiled code holds its callees and its machine unretained, so nothing keeps a session
    /// alive once its owner lets it go, recursive functions included.
    @Test func compiledCodeIsFreedWithItsSession() throws {
        weak var machine: NumericMachine?
        weak var function: NumericFunction?
        do {
            let interpreter = Interpreter(output: Output { _ in })
            _ = try interpreter.run("""
                fn fib(n) { if n < 2 { return n }; fib(n - 1) + fib(n - 2) }
                let total = 0
                for i in range(10) { total += fib(i) }
                """, name: "free.dsc")
            machine = interpreter.numeric
            if case .function(let value)? = interpreter.globals["fib"], let closure = value as? Closure,
               case .compiled(let compiled) = closure.prototype.numericState {
                function = compiled
            }
        }
        // Compared here, not inside #expect, which would describe a leaked object by reflecting
        // over nodes that point at the freed machine.
        let functionFreed = function == nil, machineFreed = machine == nil
        #expect(functionFreed, "a compiled recursive function outlived its session")
        #expect(machineFreed, "the numeric machine outlived its session")
    }

    @Test func interruptingANumericLoopLeavesItsVariablesConsistent() throws {
        let flag = InterruptFlag()
        let interpreter = Interpreter(output: Output { _ in }, interrupt: flag)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.raise() }
        do {
            _ = try interpreter.run("let a = 0\nlet b = 0\nwhile true { a = a + 1; b = a * 2 }\n", name: "spin.dsc")
            Issue.record("the loop was not interrupted")
        } catch let diagnostic as Diagnostic {
            #expect(diagnostic.message == "interrupted")
        }
        guard case .number(let a)? = interpreter.globals["a"], case .number(let b)? = interpreter.globals["b"] else {
            Issue.record("a and b are not numbers")
            return
        }
        #expect(a > 1000 && b == 2 * a, "a = \(a), b = \(b): the loop stopped between iterations")
        #expect(interpreter.numeric.suspended == 0 && !interpreter.numeric.failed)
    }
}
