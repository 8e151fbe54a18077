/// One piece of source text the interpreter has seen: a script file, a REPL cell, an `-e` argument.
public final class SourceFile: Sendable {
    public let name: String
    public let text: String
    /// The line number of the text's first line: a chunk of a longer stream (piped input) keeps
    /// the stream's numbering.
    public let firstLine: Int
    let bytes: [UInt8]
    private let lineStarts: [Int]

    public init(name: String, text: String, firstLine: Int = 1) {
        self.name = name
        self.text = text
        self.firstLine = firstLine
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    /// 1-based line and column of a byte offset; the column counts characters, not bytes.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let line = lineIndex(of: offset)
        let start = lineStarts[line]
        let prefix = bytes[start..<min(max(offset, start), bytes.count)]
        return (line + firstLine, String(decoding: prefix, as: UTF8.self).count + 1)
    }

    /// The source text a span covers.
    public func text(of span: SourceSpan) -> String {
        let start = min(max(Int(span.start), 0), bytes.count), end = min(max(Int(span.end), start), bytes.count)
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The text of line number `line` (as `lineAndColumn` counts), without its newline.
    public func lineText(_ numberedLine: Int) -> String {
        let line = numberedLine - firstLine + 1
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    private func lineIndex(of offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }
}

/// Where a piece of syntax sits: byte offsets into one source file, and the point the caret marks.
public struct SourceSpan: Sendable, Equatable {
    public var file: Int32
    public var start: Int32
    public var end: Int32
    public var point: Int32

    public init(file: Int, start: Int, end: Int, point: Int? = nil) {
        self.file = Int32(file)
        self.start = Int32(start)
        self.end = Int32(max(start, end))
        self.point = Int32(point ?? start)
    }

    /// The span from the start of `self` to the end of `other`, with the caret at `point`.
    func through(_ other: SourceSpan, point: Int32? = nil) -> SourceSpan {
        var span = self
        span.end = max(self.end, other.end)
        span.point = point ?? self.point
        return span
    }

    func withPoint(_ point: Int32) -> SourceSpan {
        var span = self
        span.point = point
        return span
    }
}

/// Every source the interpreter has run, so that a span found in a function defined long ago
/// (an earlier REPL cell, a loaded file) can still be shown with its line.
public final class SourceRegistry {
    public private(set) var files: [SourceFile] = []

    public init() {}

    public func add(_ file: SourceFile) -> Int {
        files.append(file)
        return files.count - 1
    }

    public func file(_ id: Int32) -> SourceFile? {
        let index = Int(id)
        return index >= 0 && index < files.count ? files[index] : nil
    }
}
