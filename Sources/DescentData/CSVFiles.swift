import Foundation
import SwiftCSV

/// Reading CSV text through SwiftCSV, and files through Foundation.
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
    /// first; a ragged row is an error naming its line.
    public static func parse(_ text: String, header hasHeader: Bool, name: String) throws -> (header: [String]?, rows: [[String]]) {
        let csv: EnumeratedCSV
        do {
            csv = try EnumeratedCSV(string: text, delimiter: .comma, loadColumns: false)
        } catch CSVParseError.quotation(let message), CSVParseError.generic(let message) {
            throw Datasets.Failure("\(name): malformed CSV: \(message)")
        }
        var rows = csv.rows
        if !hasHeader { rows.insert(csv.header, at: 0) }
        let width = hasHeader ? csv.header.count : (rows.first?.count ?? 0)
        for (index, row) in rows.enumerated() where row.count != width {
            throw Datasets.Failure("\(name):\(index + (hasHeader ? 2 : 1)): expected \(width) values, found \(row.count)")
        }
        return (hasHeader ? csv.header : nil, rows)
    }
}
