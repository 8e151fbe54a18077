import Foundation
import Testing

/// End-to-end tests of the built `descent` binary: exit codes, -e, run, piped stdin, usage errors.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Descent {
    /// The binary sits next to the test bundle in SwiftPM's build directory.
    static let path: String = {
        if let override = ProcessInfo.processInfo.environment["DESCENT_BIN"] { return override }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("descent").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "descent"
    }()

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    interruptAfter: Double? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe(), errors = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        if let interruptAfter {
            Thread.sleep(forTimeInterval: interruptAfter)
            kill(process.processIdentifier, SIGINT)
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self))
    }

    static func script(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "descent-cli-\(UUID().uuidString).dsc"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct CLITests {
    @Test func evaluatesExpressionAndPrintsItsValue() throws {
        let result = try Descent.run(["-e", "1 + 1"])
        #expect(result.status == 0)
        #expect(result.stdout == "2\n")
        #expect(result.stderr.isEmpty)
    }

    /// OpenBLAS is loaded the first time a product needs it, not at every start (LD_DEBUG=files
    /// makes the dynamic loader list every library it opens, on stderr).
    @Test func openBLASIsLoadedOnlyWhenAProductNeedsIt() throws {
        let plain = try Descent.run(["-e", "1 + 1"], environment: ["LD_DEBUG": "files"])
        #expect(plain.stdout == "2\n")
        #expect(!plain.stderr.contains("libopenblas"), "OpenBLAS was loaded at start-up")
        let product = try Descent.run(["-e", "sum(ones([300, 300]) @ ones([300, 300]))"], environment: ["LD_DEBUG": "files"])
        #expect(product.stdout == "27000000\n")
        #expect(product.stderr.contains("libopenblas"), "a 300 x 300 product did not use OpenBLAS")
        #expect(try Descent.run(["-e", "det(eye(3) * 2)"]).stdout == "8\n")
    }

    @Test func dashEPrintsNothingForNilAndAcceptsLeadingMinus() throws {
        #expect(try Descent.run(["-e", "print(\"hi\")"]).stdout == "hi\n")
        #expect(try Descent.run(["-e", "-2**2"]).stdout == "-4\n")
        #expect(try Descent.run(["-e", "\"s\""]).stdout == "\"s\"\n")
    }

    @Test func scriptErrorExitsOneWithALocatedDiagnosticOnStderr() throws {
        let path = try Descent.script("let xs = [1, 2]\nprint(\"before\")\nlet y = xs + 1\n")
        let result = try Descent.run(["run", path])
        #expect(result.status == 1)
        #expect(result.stdout == "before\n")
        #expect(result.stderr == "\(path):3:12: error: cannot add list and number\n    let y = xs + 1\n            ~~~^~~\n")
    }

    @Test func runPassesArgumentsToTheScript() throws {
        let path = try Descent.script("print(args.len(), args)\n")
        let result = try Descent.run(["run", path, "--lr", "0.1"])
        #expect(result.status == 0)
        #expect(result.stdout == "2 [\"--lr\", \"0.1\"]\n")
    }

    @Test func tensorMemoryLimitIsConfigurable() throws {
        let refused = try Descent.run(["--max-tensor-memory", "1K", "-e", "zeros(200)"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error: a tensor of shape [200] would need 1.6 KiB, over the limit of 1 KiB"))
        let path = try Descent.script("print(numel(zeros([1000, 1000])))\n")
        #expect(try Descent.run(["run", "--max-tensor-memory", "4M", path]).status == 1)
        #expect(try Descent.run(["run", "--max-tensor-memory", "16M", path]).stdout == "1000000\n")
        let invalid = try Descent.run(["--max-tensor-memory", "lots", "-e", "1"])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("'lots' is not a size"))
    }

    @Test func searchesGiveTheSameTrialsForAnyNumberOfWorkers() throws {
        let path = try Descent.script("""
            let space = {lr: log_uniform(1e-4, 1), width: int_uniform(4, 64)}
            fn objective(c, b) { (log10(c.lr) + 2) ** 2 + c.width / 100 + 0.01 * randn([1])[0] / b }
            fn scores(workers) {
                let r = hyperband(objective, space, max_budget: 9, seed: 3, workers: workers)
                let s = random_search(fn(c) => objective(c, 1), space, trials: 7, seed: 3, workers: workers)
                [map(r.trials, fn(t) => [t.config, t.score, t.budget]), map(s.trials, fn(t) => t.score)]
            }
            let one = scores(1)
            print(one == scores(2), one == scores(3), one == scores(nil), len(one[0]))
            """)
        let result = try Descent.run(["run", path])
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout == "true true true 22\n")
    }

    @Test func plotsSaveAsSVGFiles() throws {
        let path = NSTemporaryDirectory() + "descent-plot-\(UUID().uuidString).svg"
        let result = try Descent.run(["-e", "let p = plot([1, 4, 9], title: \"squares\", save: \"\(path)\")\np.save(\"\(path).2.svg\")"])
        #expect(result.status == 0, "\(result.stderr)")
        let saved = try String(contentsOfFile: path, encoding: .utf8)
        #expect(saved.hasPrefix("<?xml") && saved.contains("squares") && saved.hasSuffix("</svg>\n"))
        #expect(FileManager.default.fileExists(atPath: path + ".2.svg"))
        let refused = try Descent.run(["-e", "plot([1], save: \"/nonexistent-dir/p.svg\")"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot write '/nonexistent-dir/p.svg'"))
    }

    @Test func missingScriptIsAUsageError() throws {
        let result = try Descent.run(["run", "/nonexistent/lesson.dsc"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot read '/nonexistent/lesson.dsc'"))
    }

    @Test func usageErrorsExitTwoAndPointToHelp() throws {
        for arguments in [["--bogus"], ["run"], ["frobnicate"], ["-e"]] {
            let result = try Descent.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("Error:"), "\(arguments)")
            #expect(result.stderr.contains("--help"), "\(arguments)")
        }
    }

    @Test func helpAndVersion() throws {
        let help = try Descent.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: descent"))
        #expect(help.stdout.contains("run"))
        let version = try Descent.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("descent "))
    }

    @Test func pipedStdinRunsLineByLineWithoutDecoration() throws {
        let result = try Descent.run([], stdin: "1+2\nlet x = 5\nfn f(y) {\n\n  y * x\n}\nf(2)\nprint(\"done\")\n")
        #expect(result.status == 0)
        #expect(result.stdout == "3\n10\ndone\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func pipedStdinReportsAnUnfinishedStatementAtTheEnd() throws {
        let result = try Descent.run([], stdin: "1\nprint(2,\n")
        #expect(result.status == 1)
        #expect(result.stdout == "1\n")
        #expect(result.stderr.hasPrefix("<stdin>:2:9: error: unexpected end of input"), "\(result.stderr)")
    }

    @Test func pipedStdinReportsErrorsAndKeepsGoing() throws {
        let result = try Descent.run([], stdin: "nil + 1\n40 + 2\n\nlet x = [\n  1]\nx + nil\n")
        #expect(result.status == 1)
        #expect(result.stdout == "42\n")
        #expect(result.stderr.hasPrefix("<stdin>:1:5: error: cannot add nil and number"))
        #expect(result.stderr.contains("<stdin>:6:3: error: cannot add list and nil\n    x + nil\n"), "\(result.stderr)")
    }

    @Test func noColourWhenNotATerminal() throws {
        let result = try Descent.run(["-e", "undefined_name"])
        #expect(result.status == 1)
        #expect(!result.stderr.contains("\u{1B}["))
        #expect(result.stderr.contains("undefined variable 'undefined_name'"))
    }

    @Test func interruptExitsWith130AndSaysWhere() throws {
        let path = try Descent.script("let i = 0\nwhile true {\n    i += 1\n}\n")
        let result = try Descent.run(["run", path], interruptAfter: 0.5)
        #expect(result.status == 130)
        #expect(result.stderr.contains("\(path):2:1: interrupted"))
    }

    @Test func timeoutStopsARunWith124AndSaysWhere() throws {
        let path = try Descent.script("let i = 0\nwhile true {\n    i += 1\n}\n")
        let started = Date()
        let result = try Descent.run(["run", "--timeout", "0.5", path])
        #expect(result.status == 124)
        #expect(result.stderr.contains("\(path):2:1: error: stopped: the time limit of 0.5 s was reached"))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try Descent.run(["run", "--timeout", "0", path]).status == 2)
    }

    @Test func aTimeLimitEndsTrainingThatWouldReturnEarlyOnCtrlC() throws {
        let path = try Descent.script("""
            let p = {w: zeros([1, 1])}
            let h = train(fn(p, X, Y) => mse(X @ p.w, Y), p, [ones([50000, 1]), ones([50000, 1])], opt: "sgd", lr: 0.01, epochs: 1000, batch_size: 1)
            print("after training")
            """)
        let result = try Descent.run(["run", "--timeout", "0.5", path])
        #expect(result.status == 124)
        #expect(!result.stdout.contains("after training"))
    }

    /// Printed lines reach a pipe while the program keeps running, not only when it ends.
    @Test func pipedOutputAppearsWhileTheRunContinues() throws {
        let path = try Descent.script("print(\"first\")\nlet t = time()\nwhile time() - t < 0.3 { }\nprint(\"second\")\nwhile true { }\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Descent.path)
        process.arguments = ["run", "--timeout", "20", path]  // ends the run (and the pipe) if lines never come
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        var seen = ""
        while !seen.contains("second") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(seen.contains("first\nsecond"))
        #expect(stillRunning, "the lines arrived only when the run ended")
    }

    @Test func outputLimitStopsARunawayPrint() throws {
        let result = try Descent.run(["--max-output", "10K", "-e", "while true { print(\"spam\") }"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: output limit reached: this run printed over 10240 bytes (raise it with --max-output)"))
        #expect(result.stdout.utf8.count == 10240)
    }

    @Test func deepRecursionIsADiagnosticNotACrash() throws {
        let result = try Descent.run(["-e", "fn f(n) { f(n + 1) }; f(0)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: stack overflow (call depth 10000)"))
    }

    @Test func deeplyNestedBracketsAreADiagnostic() throws {
        let code = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let result = try Descent.run(["-e", code])
        #expect(result.status == 1)
        #expect(result.stderr.contains("nested too deeply"))
    }

    @Test func builtinsMarkdownOptionMatchesTheDocs() throws {
        let result = try Descent.run(["--builtins-markdown"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("# Built-in functions"))
    }
}
