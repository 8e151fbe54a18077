/// A mistake found in a program, located in its source: the one thing learners see most.
public struct Diagnostic: Error, Sendable {
    public enum Kind: Sendable { case error, interrupted, timedOut, checkFailed }

    /// One function the error passed through on its way out, innermost first.
    public struct Frame: Sendable {
        public var function: String
        public var span: SourceSpan
    }

    public var kind: Kind
    public var message: String
    public var span: SourceSpan?
    public var trace: [Frame] = []
    /// Set while the error is travelling outwards: where the innermost frame not yet traced stood.
    var pendingSpan: SourceSpan?
    /// Parse errors that happened at the end of input: the REPL reads another line instead of reporting.
    public var isAtEndOfInput = false

    public init(_ message: String, at span: SourceSpan?, kind: Kind = .error) {
        self.kind = kind
        self.message = message
        self.span = span
        self.pendingSpan = span
    }
}

/// Turns diagnostics into clang-style text: `file:line:col: error: message`, the line, a caret.
public struct DiagnosticRenderer {
    public var sources: SourceRegistry
    public var color: Bool

    public init(sources: SourceRegistry, color: Bool) {
        self.sources = sources
        self.color = color
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        let label: String
        switch diagnostic.kind {
        case .error, .timedOut: label = paint("error:", "1;31")
        case .checkFailed: label = paint("check failed:", "1;31")
        case .interrupted: label = paint("interrupted", "1;33")
        }
        let message = diagnostic.kind == .interrupted ? "" : " " + paint(diagnostic.message, "1")
        if let span = diagnostic.span, let file = sources.file(span.file) {
            let (line, column) = file.lineAndColumn(of: Int(span.point))
            out += paint("\(file.name):\(line):\(column):", "1") + " " + label + message + "\n"
            out += excerpt(file: file, span: span)
        } else {
            out += label + message + "\n"
        }
        out += renderTrace(diagnostic.trace)
        return out
    }

    private func excerpt(file: SourceFile, span: SourceSpan) -> String {
        let (line, _) = file.lineAndColumn(of: Int(span.point))
        let text = file.lineText(line).replacingTabs()
        guard !text.allSatisfy({ $0 == " " }) else { return "" }
        let (startLine, startColumn) = file.lineAndColumn(of: Int(span.start))
        let (endLine, endColumn) = file.lineAndColumn(of: Int(span.end))
        let pointColumn = file.lineAndColumn(of: Int(span.point)).column
        let first = startLine == line ? startColumn : 1
        let last = endLine == line ? max(endColumn, pointColumn + 1) : text.count + 1
        // The line is shown without its own indentation, under a fixed four-space gutter.
        let indentation = min(text.prefix { $0 == " " }.count, max(0, min(first, pointColumn) - 1))
        var marks = ""
        for column in (1 + indentation)..<max(last, pointColumn + 1) {
            if column < first { marks += " " }
            else if column == pointColumn { marks += "^" }
            else { marks += "~" }
        }
        var shown = String(text.dropFirst(indentation))
        // A very long line (generated code, a pasted data row) is cut to a window around the caret.
        let window = 160
        let characters = Array(shown)
        if characters.count > window {
            let point = max(0, pointColumn - 1 - indentation)
            let start = max(0, min(point - window / 2, characters.count - window))
            let end = min(characters.count, start + window)
            let lead = start > 0 ? "..." : ""
            shown = lead + String(characters[start..<end]) + (end < characters.count ? "..." : "")
            marks = String(repeating: " ", count: lead.count) + String(Array(marks).dropFirst(start).prefix(end - start))
        }
        while marks.hasSuffix(" ") { marks.removeLast() }
        return "    " + shown + "\n" + "    " + paint(marks, "1;32") + "\n"
    }

    private func renderTrace(_ trace: [Diagnostic.Frame]) -> String {
        // Identical consecutive frames (deep recursion) are folded, the way Python folds them.
        var lines: [String] = []
        var previous: String?
        var repeats = 0
        func flush() {
            if repeats > 0 { lines.append("  ... \(repeats) more identical frame\(repeats == 1 ? "" : "s")") }
            repeats = 0
        }
        for frame in trace {
            var line = "  in \(frame.function)()"
            if let file = sources.file(frame.span.file) {
                line += " at \(file.name):\(file.lineAndColumn(of: Int(frame.span.point)).line)"
            }
            if line == previous { repeats += 1; continue }
            flush()
            lines.append(line)
            previous = line
        }
        flush()
        if lines.count > 24 {
            let hidden = lines.count - 20
            lines = Array(lines.prefix(10)) + ["  ... \(hidden) more frames"] + Array(lines.suffix(10))
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

extension String {
    func replacingTabs() -> String {
        var result = ""
        for character in self {
            if character == "\t" { result += " " } else { result.append(character) }
        }
        return result
    }
}
