import ArgumentParser
import Foundation
import DescentLanguage
import DescentTensor

let descentVersion = "0.1.0"

struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "A notebook-style REPL for learning how neural networks learn.",
        usage: """
        descent                      start the REPL
          descent -e CODE              run CODE and print the value of its last expression
          descent run FILE [ARGS...]   run a script; ARGS are in the list `args`
          descent lesson [N]           list the lessons, or walk through lesson N
          descent init | exercises | grade [ID] | hint ID | watch | reset ID | solution ID | quiz [N]
        """,
        discussion: """
        With no arguments Descent starts the REPL; when standard input is not a terminal it reads it line by line instead and prints each value without decoration.

        Exit status: 0 ok, 1 script error, 2 usage error, 124 time limit (run --timeout), 130 interrupted.

        In the REPL, :help lists the commands and help() the built-in functions.
        """,
        version: "descent \(descentVersion)",
        subcommands: [RunCommand.self, LessonCommand.self, ExportCommand.self, InitCommand.self, ExercisesCommand.self,
                      GradeCommand.self, HintCommand.self, WatchCommand.self, ResetCommand.self, SolutionCommand.self, QuizCommand.self]
    )

    @Option(name: .customShort("e"), parsing: .unconditional, help: ArgumentHelp("Run CODE and print the value of its last expression.", valueName: "CODE"))
    var code: String?

    @Flag(name: .customLong("builtins-markdown"), help: .hidden)
    var builtinsMarkdown = false

    @OptionGroup var limits: Limits

    @OptionGroup var seed: SeedOption

    func execute() -> Int32 {
        Limits.apply(maxTensorMemory: limits.maxTensorMemory, maxOutput: limits.maxOutput)
        seed.apply()
        if builtinsMarkdown {
            Terminal.write(1, Interpreter.builtinsMarkdown(dataDirectory: dataDirectory()))
            return 0
        }
        if let code { return runCode(code, name: "-e", arguments: [], showValue: true) }
        if Terminal.isTTY(0) {
            installInterruptHandler(restart: false)
            return REPL(interpreter: makeInterpreter()).run()
        }
        installInterruptHandler(restart: true)
        return runPiped(makeInterpreter())
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Descent script.",
        discussion: "The arguments after FILE are in the list `args`, as strings."
    )

    @Argument(help: ArgumentHelp("The script to run.", valueName: "FILE"))
    var file: String

    // Declared here rather than through an option group: the root command has the same option,
    // and ArgumentParser's passthrough capture of ARGS does not see a shared group.
    @Option(name: .customLong("max-tensor-memory"), help: Limits.maxTensorMemoryHelp, transform: parseByteSize)
    var maxTensorMemory: Int?

    @Option(name: .customLong("max-output"), help: Limits.maxOutputHelp, transform: parseByteSize)
    var maxOutput: Int?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Stop the script after SECONDS (exit status 124).", valueName: "SECONDS"))
    var timeout: Double?

    @Option(name: .customLong("seed"), parsing: .unconditional, help: SeedOption.help, transform: SeedOption.parse)
    var seed: UInt64?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script.", valueName: "ARGS"))
    var arguments: [String] = []

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout < 1e9) { throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)") }
    }

    func execute() -> Int32 {
        Limits.apply(maxTensorMemory: maxTensorMemory, maxOutput: maxOutput)
        SeedOption(seed: seed).apply()
        if let timeout { startTimeLimit(seconds: timeout) }
        let text: String
        do { text = try Files.read(file) } catch {
            Terminal.write(2, "error: \(error.message)\n")
            return 2
        }
        return runCode(text, name: file, arguments: arguments, showValue: false)
    }
}

/// Limits that protect the machine from a runaway script.
struct Limits: ParsableArguments {
    static let maxTensorMemoryHelp = ArgumentHelp(
        "Refuse to create a tensor larger than SIZE: bytes, or with a K, M or G suffix (default 2G).", valueName: "SIZE")

    @Option(name: .customLong("max-tensor-memory"), help: maxTensorMemoryHelp, transform: parseByteSize)
    var maxTensorMemory: Int?

    static let maxOutputHelp = ArgumentHelp(
        "Stop a run that prints more than SIZE: bytes, or with a K, M or G suffix (default 256M).", valueName: "SIZE")

    @Option(name: .customLong("max-output"), help: maxOutputHelp, transform: parseByteSize)
    var maxOutput: Int?

    static func apply(maxTensorMemory: Int?, maxOutput: Int?) {
        if let maxTensorMemory { TensorMemoryLimit.maxBytes = maxTensorMemory }
        if let maxOutput { outputLimit = maxOutput }
    }
}

/// `--seed N`: reruns a program on independent random numbers (Interpreter.runSeed).
struct SeedOption: ParsableArguments {
    static let help = ArgumentHelp(
        "Mix N into every random stream, explicit seed(k) calls and seed: arguments included: 0 (the default) gives the usual results, any other N an independent rerun of the same experiment.",
        valueName: "N")

    @Option(name: .customLong("seed"), parsing: .unconditional, help: help, transform: parse)
    var seed: UInt64?

    /// Negative numbers are read as values (not options), to be refused with this message.
    static func parse(_ text: String) throws -> UInt64 {
        guard let n = UInt64(text) else { throw ValidationError("it must be a whole number of at least 0") }
        return n
    }

    init() {}
    init(seed: UInt64?) { self.seed = seed }

    func apply() { if let seed { runSeed = seed } }
}

/// `512M`, `2G`, `100000`: a size in bytes.
func parseByteSize(_ text: String) throws -> Int {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var digits = text.uppercased()
    if digits.hasSuffix("B") { digits.removeLast() }
    var scale = 1
    if let unit = digits.last, let factor = units[unit] {
        scale = factor
        digits.removeLast()
    }
    guard let value = Double(digits), value > 0, value * Double(scale) < 9e18 else {
        throw ValidationError("'\(text)' is not a size; write bytes or a number with K, M or G, as in 512M or 4G")
    }
    return Int(value * Double(scale))
}

/// After `seconds` running code stops at its next check with "the time limit was reached"; a
/// built-in that does not return within two more seconds (a huge matrix product) ends the process.
private func startTimeLimit(seconds: Double) {
    timeLimit = seconds
    let thread = Thread {
        Thread.sleep(forTimeInterval: seconds)
        interruptFlag.expire()
        Thread.sleep(forTimeInterval: 2)
        Terminal.write(2, "error: stopped: the time limit of \(formatNumber(seconds)) s was reached\n")
        _exit(124)
    }
    thread.start()
}

/// The time limit in force, shown in the diagnostic that ends the program.
nonisolated(unsafe) private var timeLimit: Double?

private func runCode(_ code: String, name: String, arguments: [String], showValue: Bool) -> Int32 {
    installInterruptHandler(restart: true)
    let interpreter = makeInterpreter()
    interpreter.timeLimit = timeLimit
    interpreter.globals["args"] = .list(arguments.map { .str($0) })
    interpreter.onCheck = { result in if !result.passed { report(result.diagnostic, interpreter) } }
    do {
        let value = try interpreter.run(code, name: name)
        if showValue, !value.isNil { interpreter.output.write(value.reprString + "\n") }
        interpreter.output.flush()
        let failed = interpreter.checkResults.filter { !$0.passed }.count
        if failed > 0 {
            Terminal.write(2, "\(failed) of \(describeCount(interpreter.checkResults.count, "check")) failed\n")
            return 1
        }
        return 0
    } catch let diagnostic as Diagnostic {
        report(diagnostic, interpreter)
        switch diagnostic.kind {
        case .interrupted: return 130
        case .timedOut: return 124
        default: return 1
        }
    } catch {
        Terminal.write(2, "error: \(error)\n")
        return 1
    }
}

/// Input from a pipe or file: REPL semantics without any decoration. Each complete statement is
/// run as it arrives and a non-nil value is printed; errors are reported and the rest still runs.
func runPiped(_ interpreter: Interpreter) -> Int32 {
    var status: Int32 = 0
    var pending = ""
    var pendingFirstLine = 1
    var linesRead = 0
    func flushCell() -> Bool {
        defer { pending = ""; pendingFirstLine = linesRead + 1 }
        guard !pending.allSatisfy({ $0.isWhitespace }) else { return true }
        do {
            let value = try interpreter.run(pending, name: "<stdin>", firstLine: pendingFirstLine)
            if !value.isNil {
                interpreter.globals["_"] = value
                interpreter.output.write(value.reprString + "\n")
            }
        } catch let diagnostic as Diagnostic {
            report(diagnostic, interpreter)
            if diagnostic.kind == .interrupted { status = 130; return false }
            status = 1
        } catch {
            status = 1
        }
        return true
    }
    while let line = readLine(strippingNewline: false) {
        linesRead += 1
        pending += line
        // Unlike the REPL, a blank line does not end an unfinished statement: piped scripts have
        // blank lines inside functions. The end of input does.
        if interpreter.isIncomplete(pending) { continue }
        if !flushCell() { break }
    }
    if status != 130 { _ = flushCell() }
    interpreter.output.flush()
    return status
}
