import Foundation

/// Reading CSV text (our own RFC 4180 reader, which knows the line of every record), and files through Foundation.
public enum CSVFile {
    /// The file's text, or a message saying why it cannot be read.
    public static func readText(path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable UTF-8 text" : "no such file"
            throw Datasets.Failure("cannot read '\(path)': \(reason)")
        }
    }

    /// Writes `text` through a temporary file and a rename, so a failed write leaves any old file whole.
    public static func writeText(_ text: String, path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw Datasets.Failure("cannot write '\(path)': \((error as NSError).localizedDescription)")
        }
    }

    /// The header (when the first line is one) and the rows, every row with as many cells as the
    /// first. RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF
    /// ends a record; blank lines are skipped. A ragged row or an unterminated quote is an error
    /// naming its line.
    public static func parse(_ text: String, header hasHeader: Bool, name: String) throws -> (header: [String]?, rows: [[String]]) {
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = []
        var field: [Unicode.Scalar] = []
        var line = 1, recordLine = 1, quoteLine = 0
        var inQuotes = false, fieldWasQuoted = false, afterQuote = false
        func endField() {
            cells.append(String(String.UnicodeScalarView(field)))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
            afterQuote = false
        }
        func endRecord() {
            endField()
            if !(cells.count == 1 && cells[0].isEmpty) { records.append((recordLine, cells)) }
            cells = []
        }
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = scalars.next()
                    if next == "\"" { field.append("\"") } else { inQuotes = false; afterQuote = true; pending = next }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                endField()
            case "\r":
                let next = scalars.next()
                if next != "\n" { pending = next }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !fieldWasQuoted:
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            default:
                if afterQuote {
                    throw Datasets.Failure("\(name):\(line): text after a closing quote; write a quote inside a quoted field as \"\"")
                }
                field.append(scalar)
            }
        }
        if inQuotes { throw Datasets.Failure("\(name):\(quoteLine): a quoted field is never closed") }
        if !field.isEmpty || !cells.isEmpty || fieldWasQuoted { endRecord() }
        guard let first = records.first else { return (hasHeader ? [] : nil, []) }
        for record in records where record.cells.count != first.cells.count {
            throw Datasets.Failure("\(name):\(record.line): expected \(first.cells.count) values, found \(record.cells.count)")
        }
        let rows = records.dropFirst(hasHeader ? 1 : 0).map(\.cells)
        return (hasHeader ? first.cells : nil, Array(rows))
    }
}
