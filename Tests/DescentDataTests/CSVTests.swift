import DescentData
import Testing

/// RFC 4180 reading, and malformed files reported with the line of the bad record.
@Suite struct CSVTests {
    func failure(_ text: String) -> String? {
        do {
            _ = try CSVFile.parse(text, header: true, name: "f.csv")
            return nil
        } catch let error as Datasets.Failure {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let (header, rows) = try CSVFile.parse("a,b\r\n1,\"x, \"\"y\"\"\nz\"\r\n\n3,\n", header: true, name: "f.csv")
        #expect(header == ["a", "b"])
        #expect(rows == [["1", "x, \"y\"\nz"], ["3", ""]])
    }

    @Test func withoutHeaderTheFirstRowIsData() throws {
        let (header, rows) = try CSVFile.parse("1,2\n3,4", header: false, name: "f.csv")
        #expect(header == nil)
        #expect(rows == [["1", "2"], ["3", "4"]])
    }

    @Test func raggedRowsNameTheirLine() {
        #expect(failure("a,b\n1,2\n3\n") == "f.csv:3: expected 2 values, found 1")
        #expect(failure("a,b\n1,2\n3,4,5\n") == "f.csv:3: expected 2 values, found 3")
        // A quoted line break does not shift the lines counted after it.
        #expect(failure("a,b\n1,\"x\ny\"\n3\n") == "f.csv:4: expected 2 values, found 1")
    }

    @Test func brokenQuotesNameTheirLine() {
        #expect(failure("a,b\n1,\"open\n2,3\n") == "f.csv:2: a quoted field is never closed")
        #expect(failure("a,b\n1,\"x\"y\n") == "f.csv:2: text after a closing quote; write a quote inside a quoted field as \"\"")
    }

    @Test func emptyInputHasNoRows() throws {
        #expect(try CSVFile.parse("", header: true, name: "f.csv").rows.isEmpty)
    }
}
