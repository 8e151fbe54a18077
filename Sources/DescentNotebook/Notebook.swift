import DescentLanguage
import Foundation
import Ink

/// A notebook in the "percent" format that Jupytext, VS Code and Spyder understand: `# %%` starts
/// a code cell, `# %% [markdown]` a prose cell whose lines are `# `-prefixed Markdown. The file
/// is also a plain script: `descent run` ignores the markers, which are comments.
public struct Notebook {
    public enum Kind: Sendable { case code, markdown }

    public struct Cell: Sendable {
        public let kind: Kind
        /// The cell's text: code as written, Markdown without its `# ` prefixes.
        public let source: String
        /// The line of the file where the cell's text starts.
        public let firstLine: Int

        public init(kind: Kind, source: String, firstLine: Int) { self.kind = kind; self.source = source; self.firstLine = firstLine }
    }

    public let name: String
    public let cells: [Cell]

    public init(name: String, cells: [Cell]) { self.name = name; self.cells = cells }

    public init(parsing text: String, name: String) {
        self.name = name
        var cells: [Cell] = []
        var kind = Kind.code
        var lines: [String] = []
        var start = 1
        func close() {
            while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
            var leading = 0
            while leading < lines.count && lines[leading].trimmingCharacters(in: .whitespaces).isEmpty { leading += 1 }
            let body = Array(lines[leading...])
            if !body.isEmpty {
                let source = kind == .markdown
                    ? body.map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : ($0.hasPrefix("#") ? String($0.dropFirst()) : $0) }.joined(separator: "\n")
                    : body.joined(separator: "\n")
                cells.append(Cell(kind: kind, source: source, firstLine: start + leading))
            }
            lines = []
        }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# %%") {
                close()
                kind = trimmed.contains("[markdown]") || trimmed.contains("[md]") ? .markdown : .code
                start = index + 2
                continue
            }
            lines.append(String(line))
        }
        close()
        self.cells = cells
    }

    /// The title: the first Markdown heading, else the file name.
    public var title: String {
        for cell in cells where cell.kind == .markdown {
            if let heading = cell.source.split(separator: "\n").first(where: { $0.hasPrefix("#") }) {
                return heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            }
        }
        return (name as NSString).lastPathComponent
    }

    /// The notebook written back in the percent format.
    public var text: String {
        cells.map { cell in
            switch cell.kind {
            case .code: "# %%\n" + cell.source
            case .markdown: "# %% [markdown]\n" + cell.source.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "#" : "# " + $0 }.joined(separator: "\n")
            }
        }.joined(separator: "\n\n") + "\n"
    }
}

/// What one code cell produced.
public struct CellResult {
    public var printed: String = ""
    /// The cell's value as the REPL shows it (nil for nil).
    public var value: String?
    /// The SVG of a plot the cell showed as its value.
    public var svg: String?
    /// The diagnostic, rendered without colour, when the cell failed.
    public var error: String?
    /// Ctrl-C (or a time limit) stopped the cell; the cells after it were not run.
    public var interrupted = false
}

/// Runs a notebook's code cells in order in one session, capturing each cell's output.
public final class NotebookRunner {
    public let interpreter: Interpreter
    private final class Capture { var bytes: [UInt8] = [] }
    private let capture = Capture()

    /// `interrupt` is the flag Ctrl-C raises, so that a long cell can be stopped.
    public init(interrupt: InterruptFlag = InterruptFlag(), configure: (Interpreter) -> Void = { _ in }) {
        let capture = self.capture
        interpreter = Interpreter(output: Output { capture.bytes += $0 }, interrupt: interrupt)
        configure(interpreter)
    }

    public func run(_ cell: Notebook.Cell, name: String) -> CellResult {
        var result = CellResult()
        do {
            let value = try interpreter.run(cell.source, name: name, firstLine: cell.firstLine)
            interpreter.output.flush()
            if !value.isNil {
                result.value = value.reprString
                if case .object(let object) = value, case .string(let svg)? = object.field("svg") { result.svg = svg.value }
            }
        } catch let diagnostic as Diagnostic {
            interpreter.output.flush()
            result.error = DiagnosticRenderer(sources: interpreter.sources, color: false).render(diagnostic)
            result.interrupted = diagnostic.kind == .interrupted || diagnostic.kind == .timedOut
        } catch {
            result.error = "error: \(error)"
        }
        result.printed = String(decoding: capture.bytes, as: UTF8.self)
        capture.bytes = []
        return result
    }

    /// Every cell's result (nil for Markdown cells, and for cells after one that was interrupted).
    public func runAll(_ notebook: Notebook) -> [CellResult?] {
        var results: [CellResult?] = []
        var stopped = false
        for cell in notebook.cells {
            guard cell.kind == .code, !stopped else { results.append(nil); continue }
            let result = run(cell, name: notebook.name)
            stopped = result.interrupted
            results.append(result)
        }
        return results
    }
}

/// Writes a run notebook as one HTML page, Markdown with SVG files, or an nbformat 4 notebook.
public enum NotebookExport {
    public static func html(_ notebook: Notebook, _ results: [CellResult?]) -> String {
        let parser = MarkdownParser()
        var body = ""
        var count = 0
        for (cell, result) in zip(notebook.cells, results) {
            switch cell.kind {
            case .markdown:
                body += "<section class=\"markdown\">\n\(parser.html(from: cell.source))\n</section>\n"
            case .code:
                count += 1
                body += "<section class=\"code\">\n<div class=\"prompt\">In [\(count)]:</div>\n<pre class=\"source\"><code>\(highlight(cell.source))</code></pre>\n"
                if let result {
                    if !result.printed.isEmpty { body += "<pre class=\"output\">\(escape(result.printed))</pre>\n" }
                    if let svg = result.svg {
                        body += "<div class=\"plot\">\(svg.replacingOccurrences(of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", with: ""))</div>\n"
                    } else if let value = result.value {
                        body += "<pre class=\"output value\"><span class=\"prompt\">Out[\(count)]:</span> \(escape(value))</pre>\n"
                    }
                    if let error = result.error { body += "<pre class=\"error\">\(escape(error))</pre>\n" }
                }
                body += "</section>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(notebook.title))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
        pre { background: #f6f8fa; padding: 0.6rem 0.8rem; overflow-x: auto; border-radius: 4px; font-size: 0.9rem; }
        pre.output { background: #fff; border-left: 3px solid #ddd; }
        pre.error { background: #fff0f0; border-left: 3px solid #d62728; color: #900; }
        .prompt { color: #888; font-family: monospace; font-size: 0.8rem; }
        .kw { color: #a626a4; } .str { color: #50a14f; } .num { color: #986801; } .com { color: #a0a1a7; font-style: italic; }
        .plot svg { max-width: 100%; height: auto; }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    public static func markdown(_ notebook: Notebook, _ results: [CellResult?], svgName: (Int) -> String) -> (text: String, files: [(String, String)]) {
        var out = "", files: [(String, String)] = []
        for (cell, result) in zip(notebook.cells, results) {
            switch cell.kind {
            case .markdown: out += cell.source + "\n\n"
            case .code:
                out += "```descent\n\(cell.source)\n```\n\n"
                guard let result else { continue }
                if !result.printed.isEmpty { out += "```\n\(result.printed.hasSuffix("\n") ? String(result.printed.dropLast()) : result.printed)\n```\n\n" }
                if let svg = result.svg {
                    let file = svgName(files.count + 1)
                    files.append((file, svg))
                    out += "![plot \(files.count)](\(file))\n\n"
                } else if let value = result.value {
                    out += "```\n\(value)\n```\n\n"
                }
                if let error = result.error { out += "```\n\(error.hasSuffix("\n") ? String(error.dropLast()) : error)\n```\n\n" }
            }
        }
        return (out, files)
    }

    /// nbformat 4.5: cells with ids, sources and outputs as lists of lines.
    public static func ipynb(_ notebook: Notebook, _ results: [CellResult?]) throws -> String {
        func lines(_ text: String) -> [String] {
            var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
            if let last = parts.last { parts[parts.count - 1] = String(last.dropLast()) }
            if parts.last == "" { parts.removeLast() }
            return parts
        }
        var cells: [[String: Any]] = []
        var count = 0
        for (index, (cell, result)) in zip(notebook.cells, results).enumerated() {
            let id = "cell-\(index + 1)"
            switch cell.kind {
            case .markdown:
                cells.append(["cell_type": "markdown", "id": id, "metadata": [String: Any](), "source": lines(cell.source)])
            case .code:
                count += 1
                var outputs: [[String: Any]] = []
                if let result {
                    if !result.printed.isEmpty { outputs.append(["output_type": "stream", "name": "stdout", "text": lines(result.printed)]) }
                    if let value = result.value {
                        var data: [String: Any] = ["text/plain": lines(value)]
                        if let svg = result.svg { data["image/svg+xml"] = lines(svg) }
                        outputs.append(["output_type": "execute_result", "execution_count": count, "data": data, "metadata": [String: Any]()])
                    }
                    if let error = result.error {
                        let message = error.split(separator: "\n").first.map(String.init) ?? error
                        outputs.append(["output_type": "error", "ename": "DescentError", "evalue": message, "traceback": lines(error)])
                    }
                }
                cells.append(["cell_type": "code", "id": id, "metadata": [String: Any](), "execution_count": count,
                              "source": lines(cell.source), "outputs": outputs])
            }
        }
        let document: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5,
            "metadata": ["kernelspec": ["name": "descent", "display_name": "Descent", "language": "descent"],
                         "language_info": ["name": "descent", "file_extension": ".dsc", "mimetype": "text/x-descent"]],
            "cells": cells,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Descent code with keywords, strings, numbers and comments in spans.
    static func highlight(_ code: String) -> String {
        let keywords: Set<String> = ["let", "fn", "if", "else", "while", "for", "in", "return", "break", "continue", "and", "or", "not", "true", "false", "nil"]
        var out = "", index = code.startIndex
        while index < code.endIndex {
            let character = code[index]
            if character == "#" {
                let end = code[index...].firstIndex(of: "\n") ?? code.endIndex
                out += "<span class=\"com\">\(escape(String(code[index..<end])))</span>"
                index = end
            } else if character == "\"" || character == "'" {
                var end = code.index(after: index)
                while end < code.endIndex && code[end] != character && code[end] != "\n" {
                    if code[end] == "\\" && code.index(after: end) < code.endIndex { end = code.index(after: end) }
                    end = code.index(after: end)
                }
                if end < code.endIndex && code[end] == character { end = code.index(after: end) }
                out += "<span class=\"str\">\(escape(String(code[index..<end])))</span>"
                index = end
            } else if character.isNumber {
                var end = index
                while end < code.endIndex && (code[end].isNumber || code[end] == "." || code[end] == "e") { end = code.index(after: end) }
                out += "<span class=\"num\">\(escape(String(code[index..<end])))</span>"
                index = end
            } else if character.isLetter || character == "_" {
                var end = index
                while end < code.endIndex && (code[end].isLetter || code[end].isNumber || code[end] == "_") { end = code.index(after: end) }
                let word = String(code[index..<end])
                out += keywords.contains(word) ? "<span class=\"kw\">\(word)</span>" : word
                index = end
            } else {
                out += escape(String(character))
                index = code.index(after: index)
            }
        }
        return out
    }
}
