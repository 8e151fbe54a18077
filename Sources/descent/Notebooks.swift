#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import DescentCourse
import DescentLanguage
import DescentNotebook
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Run a notebook and write it with every cell's output.",
        discussion: "HTML is one self-contained page (plots inline as SVG); Markdown gets its plots as SVG files beside it; ipynb is an nbformat 4 notebook that opens in Jupyter. A failing cell is shown with its diagnostic, the export goes on, and the exit status is 1."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, ipynb }

    @Argument(help: ArgumentHelp("The notebook (a .dsc file in the percent format).", valueName: "FILE"))
    var file: String

    @Option(name: .customLong("to"), help: "The format: html, md or ipynb.")
    var format: Format

    @Option(name: .customShort("o"), help: ArgumentHelp("Where to write (default: FILE with the format's extension).", valueName: "OUT"))
    var output: String?

    @OptionGroup var seed: SeedOption

    func execute() -> Int32 {
        seed.apply()
        let text: String
        do { text = try Files.read(file) } catch {
            Terminal.write(2, "error: \(error.message)\n")
            return 2
        }
        let notebook = Notebook(parsing: text, name: file)
        installInterruptHandler(restart: true)
        let runner = NotebookRunner(interrupt: interruptFlag) { configureForExport($0) }
        let results = runner.runAll(notebook)
        if results.contains(where: { $0?.interrupted == true }) {
            Terminal.write(2, "interrupted; nothing was written\n")
            return 130
        }
        let base = file.hasSuffix(".dsc") ? String(file.dropLast(4)) : file
        let destination = output ?? base + "." + format.rawValue
        do {
            switch format {
            case .html:
                try Files.writeAtomically(destination, NotebookExport.html(notebook, results))
            case .ipynb:
                try Files.writeAtomically(destination, try NotebookExport.ipynb(notebook, results))
            case .md:
                let stem = destination.hasSuffix(".md") ? String(destination.dropLast(3)) : destination
                let name = (stem as NSString).lastPathComponent
                let directory = (destination as NSString).deletingLastPathComponent
                let (markdown, files) = NotebookExport.markdown(notebook, results) { "\(name)-plot-\($0).svg" }
                for (file, svg) in files {
                    try Files.writeAtomically(directory.isEmpty ? file : directory + "/" + file, svg)
                }
                try Files.writeAtomically(destination, markdown)
            }
        } catch let failure as Files.Failure {
            Terminal.write(2, "error: \(failure.message)\n")
            return 1
        } catch {
            Terminal.write(2, "error: \(error)\n")
            return 1
        }
        let failed = results.compactMap { $0?.error }
        for error in failed { Terminal.write(2, error) }
        Terminal.write(1, "wrote \(destination)\(failed.isEmpty ? "" : " (\(describeCount(failed.count, "cell")) failed)")\n")
        return failed.isEmpty ? 0 : 1
    }
}

/// Exports draw plots 80 columns wide without colour and read data from the checkout.
private func configureForExport(_ interpreter: Interpreter) {
    interpreter.dataDirectory = dataDirectory()
    interpreter.defaultWorkers = coreCount()
    interpreter.runSeed = runSeed
}

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "List the lessons, or walk through one cell by cell.",
        discussion: "Keys while walking: Enter runs the next cell, r reruns the last one, e opens a REPL in the lesson's state (Ctrl-D comes back), q quits."
    )

    @Argument(help: ArgumentHelp("A lesson's number, or a notebook's path.", valueName: "LESSON"))
    var target: String?

    @OptionGroup var seed: SeedOption

    func execute() -> Int32 {
        seed.apply()
        let lessons = lessonFiles()
        guard let target else {
            guard !lessons.isEmpty else {
                Terminal.write(1, "No lessons found (looked in \(lessonsDirectory() ?? "lessons/")).\n")
                return 0
            }
            let progress = CourseProgress.load().progress
            for path in lessons {
                let notebook = (try? Files.read(path)).map { Notebook(parsing: $0, name: path) }
                let total = notebook?.cells.count ?? 0
                let reached = min(progress.reached(path), total)
                let status = reached == 0 ? "not started" : reached >= total ? "done" : "\(reached)/\(total) cells"
                Terminal.write(1, "  \(lessonNumber(path).map(String.init) ?? "-")  \(notebook?.title ?? path)  (\(status))\n")
            }
            Terminal.write(1, "Run 'descent lesson N' to start one.\n")
            return 0
        }
        // A number names the lesson whose file starts with it (lesson 1 is 01-...).
        let path = Int(target).flatMap { number in lessons.first { lessonNumber($0) == number } } ?? target
        if let number = Int(target), path == target {
            let available = lessons.compactMap(lessonNumber).map(String.init).joined(separator: ", ")
            Terminal.write(2, "error: there is no lesson \(number)\(available.isEmpty ? "" : "; the lessons are \(available)") ('descent lesson' lists them)\n")
            return 2
        }
        let text: String
        do { text = try Files.read(path) } catch {
            Terminal.write(2, "error: \(error.message)\n")
            return 2
        }
        installInterruptHandler(restart: false)
        return LessonWalk(notebook: Notebook(parsing: text, name: path), path: path).run()
    }
}

func lessonsDirectory() -> String? {
    dataDirectory().map { ($0 as NSString).deletingLastPathComponent }
}

/// The number a lesson's file name starts with: 1 for 01-learning-rate-decay.dsc.
func lessonNumber(_ path: String) -> Int? {
    Int(String((path as NSString).lastPathComponent.prefix { $0.isNumber }))
}

/// The lessons, `lessons/*.dsc` in name order.
func lessonFiles() -> [String] {
    guard let directory = lessonsDirectory(),
          let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    return names.filter { $0.hasSuffix(".dsc") }.sorted().map { directory + "/" + $0 }
}

/// How far the learner got in each lesson: the `lessons` section of the progress file.
extension CourseProgress {
    func reached(_ lesson: String) -> Int { lessons[(lesson as NSString).lastPathComponent] ?? 0 }

    /// Records the cell reached and saves, rereading the file first so that grades written
    /// meanwhile by another command (a `descent watch` in another terminal) are kept. A progress
    /// file that cannot be written does not stop the lesson.
    mutating func record(_ lesson: String, cell: Int) {
        let key = (lesson as NSString).lastPathComponent
        guard cell > lessons[key] ?? 0 else { return }
        self = CourseProgress.load().progress
        lessons[key] = max(lessons[key] ?? 0, cell)
        try? save()
    }
}

/// Walking through a lesson in the terminal.
struct LessonWalk {
    let notebook: Notebook
    let path: String
    let interpreter = makeInterpreter()
    let color = Terminal.wantsColor(1)

    func run() -> Int32 {
        var progress = CourseProgress.load().progress
        Terminal.write(1, paint(notebook.title, "1") + "  (\(describeCount(notebook.cells.count, "cell")); Enter runs the next cell, r reruns, e explores in a REPL, q quits)\n\n")
        var lastCode: Notebook.Cell?
        var index = 0
        while index < notebook.cells.count {
            let cell = notebook.cells[index]
            switch cell.kind {
            case .markdown:
                Terminal.write(1, renderMarkdown(cell.source, color: color) + "\n\n")
                index += 1
                progress.record(path, cell: index)
            case .code:
                Terminal.write(1, paint("[\(index + 1)/\(notebook.cells.count)]", "2") + "\n" + paint(cell.source, "36") + "\n")
                var advance = false
                while !advance {
                    Terminal.write(1, paint("▶ ", "2"))
                    switch readKey() {
                    case "\n", "\r", " ":
                        Terminal.write(1, "\n")
                        runCell(cell)
                        lastCode = cell
                        advance = true
                    case "r":
                        Terminal.write(1, "\n")
                        if let lastCode { runCell(lastCode) } else { Terminal.write(1, "(no cell has run yet)\n") }
                    case "e":
                        Terminal.write(1, "\n")
                        _ = REPL(interpreter: interpreter).run()
                        installInterruptHandler(restart: false)
                        Terminal.write(1, paint("back in the lesson", "2") + "\n" + paint(cell.source, "36") + "\n")
                    case "q", nil:
                        Terminal.write(1, "\n")
                        return 0
                    default:
                        Terminal.write(1, "\r")
                    }
                }
                index += 1
                progress.record(path, cell: index)
                Terminal.write(1, "\n")
            }
        }
        Terminal.write(1, paint("End of the lesson.", "1") + "\n")
        return 0
    }

    private func runCell(_ cell: Notebook.Cell) {
        do {
            let value = try interpreter.run(cell.source, name: path, firstLine: cell.firstLine)
            interpreter.output.flush()
            if !value.isNil { Terminal.write(1, value.reprString + "\n") }
        } catch let diagnostic as Diagnostic {
            report(diagnostic, interpreter)
        } catch {
            Terminal.write(2, "error: \(error)\n")
        }
        interpreter.output.flush()
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private func readKey() -> Character? {
        if case .key(let key) = Terminal.readKey() { return key }
        return nil
    }
}

/// Markdown for the terminal: headings bold, emphasis, inline code, bullets, code blocks indented.
func renderMarkdown(_ text: String, color: Bool) -> String {
    func style(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func inline(_ line: String) -> String {
        var out = "", rest = Substring(line)
        while let first = rest.first {
            if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                out += style(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound]), "1")
                rest = rest[end.upperBound...]
            } else if first == "`", let end = rest.dropFirst().firstIndex(of: "`") {
                out += style(String(rest[rest.index(after: rest.startIndex)..<end]), "36")
                rest = rest[rest.index(after: end)...]
            } else if first == "*" || first == "_", let end = rest.dropFirst().firstIndex(of: first), end > rest.index(after: rest.startIndex) {
                out += style(String(rest[rest.index(after: rest.startIndex)..<end]), "3")
                rest = rest[rest.index(after: end)...]
            } else {
                out.append(first)
                rest = rest.dropFirst()
            }
        }
        return out
    }
    var lines: [String] = []
    var inCode = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("```") { inCode.toggle(); continue }
        if inCode { lines.append("    " + style(line, "36")); continue }
        if line.hasPrefix("#") {
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            lines.append(style(title, line.hasPrefix("# ") ? "1;4" : "1"))
        } else if line.hasPrefix("- ") || line.hasPrefix("* ") {
            lines.append("  • " + inline(String(line.dropFirst(2))))
        } else {
            lines.append(inline(line))
        }
    }
    return lines.joined(separator: "\n")
}
