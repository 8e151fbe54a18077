#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine
import DescentLanguage
import DescentNotebook
import Foundation

/// The interactive REPL: libedit line editing, history and completion, numbered cells like a
/// notebook (`In [3]:` / `Out[3]:`), continuation lines while brackets are open, `:commands`.
final class REPL {
    private var interpreter: Interpreter
    private var cellNumber = 1
    private var editor: OpaquePointer?
    private var history: OpaquePointer?
    private var prompt: UnsafeMutablePointer<CChar>?
    private let historyPath: String?
    /// Cells that ran without error, for `:save`.
    private var completedCells: [String] = []
    private let color = Terminal.wantsColor(1)
    static let historySize: Int32 = 1000

    static let commands: [(name: String, usage: String, summary: String)] = [
        (":help", ":help [name]", "list the commands and built-ins, or describe one function"),
        (":vars", ":vars", "show your variables with their types and values"),
        (":load", ":load FILE", "run a script into this session"),
        (":save", ":save FILE", "write the cells that ran without error as a notebook (a runnable script)"),
        (":time", ":time CODE", "run CODE and report how long it took"),
        (":reset", ":reset", "forget every variable and start afresh"),
        (":seed", ":seed [N]", "show the run seed, or rerun the session's random numbers with run seed N (as --seed N)"),
        (":quit", ":quit", "leave (Ctrl-D does the same)"),
    ]

    init(interpreter: Interpreter) {
        self.interpreter = interpreter
        historyPath = getenv("HOME").map { String(cString: $0) + "/.descent_history" }
    }

    func run() -> Int32 {
        setUpEditor()
        defer { tearDownEditor() }
        Terminal.write(1, "Descent \(descentVersion): :help for commands, help() for functions, Ctrl-D to quit.\n")
        while readCell() {}
        Terminal.write(1, "\n")
        return 0
    }

    // MARK: Reading

    private enum Line {
        case text(String)
        case interrupted
        case endOfInput
    }

    /// Reads and runs one cell; false when the session ends.
    private func readCell() -> Bool {
        var cell = ""
        while true {
            setPrompt(continuation: !cell.isEmpty)
            switch readLine() {
            case .endOfInput:
                if cell.isEmpty { return false }
                Terminal.write(1, "\n")
                return true
            case .interrupted:
                Terminal.write(1, "^C\n")
                return true
            case .text(let line):
                let blank = line.allSatisfy { $0.isWhitespace }
                if !blank { remember(line) }
                if cell.isEmpty {
                    if blank { return true }
                    if line.trimmingLeadingSpaces().hasPrefix(":") { return command(line.trimmingLeadingSpaces()) }
                }
                cell += line + "\n"
                if blank || !interpreter.isIncomplete(cell) {
                    execute(cell)
                    return true
                }
            }
        }
    }

    private func readLine() -> Line {
        var count: Int32 = 0
        interruptFlag.clear()
        pendingInterrupts.clear()
        guard let editor, let pointer = el_gets(editor, &count) else {
            return count == -1 && errno == EINTR ? .interrupted : .endOfInput
        }
        if count == -1 {
            return errno == EINTR ? .interrupted : .endOfInput
        }
        if count == 0 { return .endOfInput }
        var line = String(cString: pointer)
        if line.hasSuffix("\n") { line.removeLast() }
        return .text(line)
    }

    // MARK: Running

    private func execute(_ source: String, timed: Bool = false) {
        let name = "In[\(cellNumber)]"
        cellNumber += 1
        let start = monotonicSeconds()
        do {
            let value = try interpreter.run(source, name: name)
            let elapsed = monotonicSeconds() - start
            completedCells.append(source)
            if !value.isNil {
                interpreter.globals["_"] = value
                // A multi-line value (a matrix) starts on its own line so that its columns align, as IPython does.
                let shown = value.reprString
                let separator = shown.contains("\n") ? "\n" : " "
                interpreter.output.write(paint("Out[\(cellNumber - 1)]:", "31") + separator + shown + "\n")
            }
            if timed { interpreter.output.write("time: \(formatDuration(elapsed))\n") }
            interpreter.output.flush()
        } catch let diagnostic as Diagnostic {
            // The terminal echoed ^C without a newline.
            if diagnostic.kind == .interrupted { Terminal.write(1, "\n") }
            report(diagnostic, interpreter)
        } catch {
            Terminal.write(2, "error: \(error)\n")
        }
    }

    private func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts[0]
        let argument = parts.count > 1 ? parts[1].trimmingLeadingSpaces() : ""
        switch name {
        case ":quit", ":q", ":exit":
            return false
        case ":help", ":h":
            if argument.isEmpty {
                let commandLines = REPL.commands.map { "  \(pad($0.usage, 14)) \($0.summary)" }
                Terminal.write(1, (["Commands:"] + commandLines + [interpreter.overview()]).joined(separator: "\n") + "\n")
            } else if let text = interpreter.helpText(forName: argument) {
                Terminal.write(1, text + "\n")
            } else {
                Terminal.write(2, "error: no help for '\(argument)'\n")
            }
        case ":vars":
            let variables = interpreter.userVariables.filter { $0.name != "_" }
            if variables.isEmpty { Terminal.write(1, "no variables yet\n") }
            let width = variables.map(\.name.count).max() ?? 0
            for (variableName, value) in variables {
                // One line per variable: a matrix's rows are joined.
                var shown = value.reprString.split(separator: "\n").map { $0.drop { $0 == " " } }.joined(separator: " ")
                if shown.count > 60 { shown = String(shown.prefix(57)) + "..." }
                Terminal.write(1, "  \(pad(variableName, width))  \(pad(value.typeName, 8))  \(shown)\n")
            }
        case ":load":
            guard !argument.isEmpty else { Terminal.write(2, "error: usage: :load FILE\n"); break }
            do {
                let text = try Files.read(argument)
                _ = try interpreter.run(text, name: argument)
                interpreter.output.flush()
                completedCells.append(text)
                Terminal.write(1, "loaded \(argument)\n")
            } catch let failure as Files.Failure {
                Terminal.write(2, "error: \(failure.message)\n")
            } catch let diagnostic as Diagnostic {
                report(diagnostic, interpreter)
            } catch {
                Terminal.write(2, "error: \(error)\n")
            }
        case ":save":
            guard !argument.isEmpty else { Terminal.write(2, "error: usage: :save FILE\n"); break }
            do {
                let cells = completedCells.map {
                    Notebook.Cell(kind: .code, source: $0.trimmingCharacters(in: .whitespacesAndNewlines), firstLine: 1)
                }
                try Files.writeAtomically(argument, Notebook(name: argument, cells: cells).text)
                Terminal.write(1, "saved \(describeCount(completedCells.count, "cell")) to \(argument)\n")
            } catch {
                Terminal.write(2, "error: \(error.message)\n")
            }
        case ":time":
            guard !argument.isEmpty else { Terminal.write(2, "error: usage: :time CODE\n"); break }
            execute(argument + "\n", timed: true)
        case ":seed":
            if argument.isEmpty {
                Terminal.write(1, "run seed \(interpreter.runSeed)\(interpreter.runSeed == 0 ? " (the default)" : "")\n")
            } else if let n = UInt64(argument) {
                runSeed = n
                interpreter.runSeed = n
                Terminal.write(1, "run seed \(n): seed(k), seed: arguments and the session's random numbers now mix in \(n)\n")
            } else {
                Terminal.write(2, "error: usage: :seed N, with N a whole number of at least 0, got '\(argument)'\n")
            }
        case ":reset":
            interpreter = makeInterpreter()
            completedCells = []
            Terminal.write(1, "session reset: every variable is gone\n")
        default:
            let hint = suggestion(for: name, among: REPL.commands.map(\.name))
            Terminal.write(2, "error: unknown command '\(name)'\(hint) (:help lists them)\n")
        }
        return true
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    // MARK: libedit

    private func setUpEditor() {
        configureLocale()
        editor = cel_init("descent")
        history = cel_history_init(REPL.historySize)
        guard let editor else { return }
        cel_set_editor(editor, "emacs")
        cel_set_history(editor, history)
        cel_set_clientdata(editor, Unmanaged.passUnretained(self).toOpaque())
        cel_set_prompt(editor, promptCallback)
        cel_add_function(editor, "descent-complete", "Complete the name before the cursor", completeCallback)
        cel_bind(editor, "^I", "descent-complete")
        el_source(editor, nil)
        if let historyPath, let history { cel_history_load(history, historyPath) }
    }

    private func tearDownEditor() {
        if let editor { el_end(editor) }
        if let history { history_end(history) }
        free(prompt)
    }

    /// Under the C locale libedit drops non-ASCII input, so insist on a UTF-8 one.
    private func configureLocale() {
        setlocale(LC_CTYPE, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        if codeset != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
    }

    private func setPrompt(continuation: Bool) {
        let label = "In [\(cellNumber)]:"
        let text = continuation ? String(repeating: " ", count: label.count - 4) + "...:" : label
        // \1 ... \1 brackets the invisible colour escapes (EL_PROMPT_ESC). The trailing space comes
        // after the reset: libedit drops an escape that ends the prompt, leaving the input coloured.
        let shown = (color ? "\u{1}\u{1B}[32m\u{1}\(text)\u{1}\u{1B}[0m\u{1}" : text) + " "
        free(prompt)
        prompt = strdup(shown)
    }

    fileprivate var currentPrompt: UnsafeMutablePointer<CChar>? { prompt }

    private func remember(_ line: String) {
        guard let history else { return }
        cel_history_enter(history, line)
        guard let historyPath else { return }
        let temporary = historyPath + ".tmp-\(getpid())"
        if cel_history_save(history, temporary) >= 0 { rename(temporary, historyPath) } else { unlink(temporary) }
    }

    fileprivate func complete(_ editor: OpaquePointer) -> UInt8 {
        var length: Int32 = 0
        guard let buffer = cel_line_before_cursor(editor, &length) else { return UInt8(CC_ERROR) }
        let text = String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(length)), as: UTF8.self)
        let word: String, candidates: [String]
        if text.hasPrefix(":") && !text.contains(" ") {
            (word, candidates) = (text, REPL.commands.map(\.name).filter { $0.hasPrefix(text) })
        } else if text.hasPrefix(":load ") || text.hasPrefix(":save ") {
            let partial = String(text.dropFirst(6).drop { $0 == " " })
            (word, candidates) = (partial, pathCompletions(partial))
        } else {
            let completions = interpreter.completions(before: text)
            (word, candidates) = (completions.word, completions.candidates)
        }
        guard let first = candidates.first else { return UInt8(CC_REFRESH_BEEP) }
        let common = candidates.dropFirst().reduce(first) { String(zip($0, $1).prefix { $0 == $1 }.map(\.0)) }
        if common.count > word.count {
            el_insertstr(editor, String(common.dropFirst(word.count)))
            return UInt8(CC_REFRESH)
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        Terminal.write(1, "\n" + columns(candidates) + "\n")
        return UInt8(CC_REDISPLAY)
    }

    /// Files and folders whose path starts with `partial`, folders with a trailing `/`.
    private func pathCompletions(_ partial: String) -> [String] {
        let slash = partial.lastIndex(of: "/")
        let directory = slash.map { String(partial[...$0]) } ?? ""
        let prefix = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
        guard let handle = opendir(directory.isEmpty ? "." : directory) else { return [] }
        defer { closedir(handle) }
        var matches: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), name != ".", name != "..", !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
            matches.append(directory + name + (entry.pointee.d_type == UInt8(DT_DIR) ? "/" : ""))
        }
        return matches.sorted()
    }

    private func columns(_ words: [String]) -> String {
        let width = (words.map(\.count).max() ?? 0) + 2
        var size = winsize()
        let terminalWidth = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        let perLine = max(1, terminalWidth / width)
        return stride(from: 0, to: words.count, by: perLine).map { start in
            words[start..<min(start + perLine, words.count)].map { pad($0, width) }.joined().trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

private let promptCallback: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>? = { editor in
    guard let editor, let data = cel_get_clientdata(editor) else { return nil }
    return Unmanaged<REPL>.fromOpaque(data).takeUnretainedValue().currentPrompt
}

private let completeCallback: @convention(c) (OpaquePointer?, Int32) -> UInt8 = { editor, _ in
    guard let editor, let data = cel_get_clientdata(editor) else { return UInt8(CC_ERROR) }
    return Unmanaged<REPL>.fromOpaque(data).takeUnretainedValue().complete(editor)
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func formatDuration(_ seconds: Double) -> String {
    if seconds < 1e-3 { return "\(Double(Int(seconds * 1e7)) / 10) µs" }
    if seconds < 1 { return "\(Double(Int(seconds * 1e5)) / 100) ms" }
    return "\(Double(Int(seconds * 1e3)) / 1000) s"
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " || $0 == "\t" }) }
    func trimmingTrailingSpaces() -> String { String(reversed().drop { $0 == " " }.reversed()) }
}
