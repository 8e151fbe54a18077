import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import DescentLanguage

@Suite struct DiagnosticTests {
    func failure(_ source: String, name: String = "lesson.dsc") -> (Diagnostic, SourceRegistry) {
        let (_, error, interpreter) = runScript(source, name: name)
        return (error ?? Diagnostic("no error", at: nil), interpreter.sources)
    }

    @Test func rendersLocationSourceLineAndCaret() {
        let (diagnostic, sources) = failure("let xs = [1, 2]\n\nlet y = xs + 1\n")
        let text = DiagnosticRenderer(sources: sources, color: false).render(diagnostic)
        #expect(text == """
        lesson.dsc:3:12: error: cannot add list and number
            let y = xs + 1
                    ~~~^~~

        """)
    }

    @Test func colourWrapsLabelsInEscapes() {
        let (diagnostic, sources) = failure("nil + 1")
        let text = DiagnosticRenderer(sources: sources, color: true).render(diagnostic)
        #expect(text.contains("\u{1B}[1;31merror:\u{1B}[0m"))
        #expect(text.contains("\u{1B}[1;32m~~~~^~~\u{1B}[0m"))
    }

    @Test func runtimeErrorsCarryACallTrace() {
        let source = "fn loss(w) {\n    w + \"x\"\n}\nfn train() {\n    loss(1)\n}\ntrain()\n"
        let (diagnostic, sources) = failure(source)
        let text = DiagnosticRenderer(sources: sources, color: false).render(diagnostic)
        #expect(text.hasSuffix("  in loss() at lesson.dsc:2\n  in train() at lesson.dsc:5\n"), "\(text)")
    }

    @Test func deepRecursionFoldsItsTrace() {
        let (diagnostic, sources) = failure("fn f(n) { f(n + 1) }\nf(0)\n")
        #expect(diagnostic.message == "stack overflow (call depth 10000)")
        let text = DiagnosticRenderer(sources: sources, color: false).render(diagnostic)
        #expect(text.contains("... 9999 more identical frames"))
        #expect(text.split(separator: "\n").count < 10)
    }

    @Test func tabsInSourceKeepTheCaretAligned() {
        let (diagnostic, sources) = failure("if true {\n\tnil + 1\n}\n")
        let lines = DiagnosticRenderer(sources: sources, color: false).render(diagnostic).split(separator: "\n")
        #expect(lines[1] == "    nil + 1")
        #expect(lines[2] == "    ~~~~^~~")
    }

    @Test func indentedLinesAreShownWithoutTheirIndentation() {
        let (diagnostic, sources) = failure("fn f(xs) {\n   let y = xs + 1\n}\nf([1])\n")
        let text = DiagnosticRenderer(sources: sources, color: false).render(diagnostic)
        #expect(text.hasPrefix("""
        lesson.dsc:2:15: error: cannot add list and number
            let y = xs + 1
                    ~~~^~~

        """), "\(text)")
    }

    @Test func suggestionsUseEditDistanceIncludingTranspositions() {
        #expect(suggestion(for: "pirnt", among: ["print", "sqrt"]) == "; did you mean 'print'?")
        #expect(suggestion(for: "lr", among: ["momentum"]) == "")
        #expect(suggestion(for: "i", among: ["e"]) == "")
        #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
    }
}

@Suite struct REPLSupportTests {
    let interpreter = Interpreter(output: Output(sink: { _ in }))

    @Test(arguments: ["fn f(x) {", "print(1,", "let x =", "[1, 2", "1 +", "if x { 1 } else", "{lr: 0.1,"])
    func unfinishedInputContinues(_ text: String) {
        #expect(interpreter.isIncomplete(text + "\n"))
    }

    @Test(arguments: ["1 + 2", "let x = 1", "fn f(x) { x }", "\"unterminated", "1 + )", "\"\\(\""])
    func completeOrBrokenInputDoesNot(_ text: String) {
        #expect(!interpreter.isIncomplete(text + "\n"))
    }

    @Test func stateSurvivesAnError() throws {
        _ = try interpreter.run("let kept = 41", name: "In[1]")
        #expect(throws: Diagnostic.self) { try self.interpreter.run("kept + nil", name: "In[2]") }
        #expect(try interpreter.run("kept + 1", name: "In[3]").isEqual(to: .number(42)))
    }

    @Test func completesBuiltinsVariablesAndKeywords() throws {
        _ = try interpreter.run("let learning_rate = 0.1", name: "In[1]")
        #expect(interpreter.completions(before: "sqr").candidates == ["sqrt"])
        #expect(interpreter.completions(before: "1 + learn").candidates == ["learning_rate"])
        #expect(interpreter.completions(before: "whi").candidates == ["while"])
    }

    @Test func completesRecordFieldsAfterADot() throws {
        _ = try interpreter.run("let cfg = {lr: 0.1, opt: {beta: 0.9, eps: 1e-8}}", name: "In[1]")
        #expect(interpreter.completions(before: "cfg.o").candidates.first == "opt")
        #expect(interpreter.completions(before: "cfg.opt.be") == .init(word: "be", candidates: ["beta"]))
    }

    @Test func completesTensorAndOptimizerFields() throws {
        _ = try interpreter.run("let w = zeros(2)\nlet opt = adam(w)", name: "In[1]")
        #expect(interpreter.completions(before: "w.sha").candidates.first == "shape")
        #expect(interpreter.completions(before: "opt.st").candidates.prefix(2) == ["state", "step"])
    }

    @Test func completesNamedArgumentsInsideACall() throws {
        _ = try interpreter.run("fn step(x, lr: 0.1, momentum: 0) { x }", name: "In[1]")
        #expect(interpreter.completions(before: "step(1, mo").candidates.first == "momentum:")
        #expect(interpreter.completions(before: "sorted([3, 1], rev").candidates.first == "reverse:")
    }

    @Test func interruptStopsALoopAndReportsWhere() throws {
        let flag = InterruptFlag()
        let interrupted = Interpreter(output: Output(sink: { _ in }), interrupt: flag)
        _ = try interrupted.run("let i = 0", name: "In[1]")
        let program = try interrupted.compile("while true { i += 1 }", name: "In[2]")
        let result: Result<Value, Error> = runOnLargeStack {
            let trigger = LargeStackTrigger(flag)
            trigger.start()
            return Result { try interrupted.execute(program) }
        }
        guard case .failure(let error as Diagnostic) = result else {
            Issue.record("the loop was not interrupted")
            return
        }
        #expect(error.kind == .interrupted)
        #expect(error.span?.start == 0)
        #expect(try interrupted.run("i > 0", name: "In[3]").isEqual(to: .bool(true)))
    }

    /// A large matrix product stops between blocks of rows when its own session is interrupted,
    /// and only then: sessions on other threads have flags of their own.
    @Test func interruptStopsALargeMatrixProductOfItsOwnSession() throws {
        let flag = InterruptFlag()
        let interrupted = Interpreter(output: Output(sink: { _ in }), interrupt: flag)
        let bystander = Interpreter(output: Output(sink: { _ in }))  // made later: must not take the flag over
        _ = try interrupted.run("let a = ones([2500, 2500])", name: "In[1]")
        let program = try interrupted.compile("let b = a @ a @ a @ a", name: "In[2]")
        let started = Date()
        let result: Result<Value, Error> = runOnLargeStack {
            LargeStackTrigger(flag).start()
            return Result { try interrupted.execute(program) }
        }
        guard case .failure(let error as Diagnostic) = result else {
            Issue.record("the product was not interrupted")
            return
        }
        #expect(error.kind == .interrupted)
        #expect(Date().timeIntervalSince(started) < 5, "the product ran on after Ctrl-C")
        #expect(try bystander.run("sum(ones([300, 300]) @ ones([300, 300]))", name: "In[1]").isEqual(to: .number(27_000_000)))
    }

    @Test func everyBuiltinHasHelpAndARunnableExample() {
        for builtin in interpreter.builtinFunctions {
            #expect(!builtin.summary.isEmpty && builtin.summary.hasSuffix("."), "\(builtin.name) summary")
            #expect(interpreter.helpText(forName: builtin.name)?.hasPrefix(builtin.signature) == true)
            let result = Interpreter.exampleResult(builtin.example, dataDirectory: repositoryRoot + "/lessons/data")
            if builtin.name == "error" {
                #expect(result.isEmpty, "the error() example should not fail: \(result)")
            } else {
                #expect(!result.hasPrefix("error:"), "example of \(builtin.name): \(result)")
            }
        }
    }

    @Test func requiredBuiltinsExist() {
        let required = ["print", "len", "range", "abs", "min", "max", "sqrt", "exp", "log", "floor", "round", "str",
                        "type", "json", "assert", "error", "time", "help", "map", "filter", "sum", "sorted", "append", "keys"]
        let names = Set(interpreter.builtinFunctions.map(\.name))
        for name in required { #expect(names.contains(name), "missing built-in \(name)") }
    }

    @Test func builtinsMarkdownIsUpToDate() {
        let path = "/" + "\(#filePath)".split(separator: "/").dropLast(3).joined(separator: "/") + "/docs/BUILTINS.md"
        #expect(readText(path) == Interpreter.builtinsMarkdown(dataDirectory: repositoryRoot + "/lessons/data"), "docs/BUILTINS.md is stale: run 'make docs'")
    }
}

/// Raises an interrupt flag from another thread after a short delay, as a signal handler would.
final class LargeStackTrigger: @unchecked Sendable {
    let flag: InterruptFlag
    init(_ flag: InterruptFlag) { self.flag = flag }
    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let trigger = Unmanaged<LargeStackTrigger>.fromOpaque(context!).takeRetainedValue()
            usleep(100_000)
            trigger.flag.raise()
            return nil
        }, context)
        pthread_detach(thread)
    }
}
