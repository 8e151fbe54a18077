import Testing
@testable import DescentLanguage
#if canImport(Glibc)
import Glibc
#endif

/// Runs every script under Tests/Scripts and compares what it does with the expectations written
/// in the script itself, the way Crafting Interpreters tests clox:
///   `# expect: <line>`          the next line the script prints
///   `# expect error: <message>` the script stops with this diagnostic, located on this line
struct GoldenScript: CustomTestStringConvertible, Sendable {
    let path: String
    var testDescription: String { String(path.split(separator: "/").suffix(2).joined(separator: "/")) }

    static let directory: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(2)
        components.append("Scripts")
        return components.joined(separator: "/")
    }()

    static var all: [GoldenScript] {
        listFiles(directory).filter { $0.hasSuffix(".dsc") }.sorted().map(GoldenScript.init)
    }
}

func listFiles(_ directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var files: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasPrefix(".") { continue }
        let path = directory + "/" + name
        if entry.pointee.d_type == DT_DIR { files += listFiles(path) } else { files.append(path) }
    }
    return files
}

func readText(_ path: String) -> String {
    guard let file = fopen(path, "rb") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        bytes += buffer[0..<count]
        if count < buffer.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The checkout this test file is in.
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
}()

/// Runs `source` in a fresh interpreter on a large stack; returns printed lines and any diagnostic.
func runScript(_ source: String, name: String = "script.dsc") -> (output: [String], error: Diagnostic?, interpreter: Interpreter) {
    runOnLargeStack {
        var printed: [UInt8] = []
        let interpreter = Interpreter(output: Output { printed += $0 })
        interpreter.dataDirectory = repositoryRoot + "/lessons/data"
        var failure: Diagnostic?
        do {
            _ = try interpreter.run(source, name: name)
        } catch let diagnostic as Diagnostic {
            failure = diagnostic
        } catch {
            failure = Diagnostic("unexpected error \(error)", at: nil)
        }
        interpreter.output.flush()
        var lines = String(decoding: printed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return (lines, failure, interpreter)
    }
}

@Suite struct GoldenScriptTests {
    @Test func thereAreEnoughScripts() {
        #expect(GoldenScript.all.count >= 80, "found \(GoldenScript.all.count) scripts in \(GoldenScript.directory)")
    }

    @Test(arguments: GoldenScript.all)
    func script(_ script: GoldenScript) {
        let source = readText(script.path)
        var expectedOutput: [String] = []
        var expectedError: (message: String, line: Int)?
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let range = line.range(of: "# expect: ") {
                expectedOutput.append(String(line[range.upperBound...]))
            } else if let range = line.range(of: "# expect error: ") {
                expectedError = (String(line[range.upperBound...]), index + 1)
            }
        }
        #expect(!expectedOutput.isEmpty || expectedError != nil, "\(script.path) states no expectation")
        let (output, error, interpreter) = runScript(source, name: script.path)
        #expect(output == expectedOutput, "output of \(script.testDescription)")
        if let expectedError {
            #expect(error?.message == expectedError.message, "error of \(script.testDescription)")
            if let span = error?.span, let file = interpreter.sources.file(span.file) {
                #expect(file.lineAndColumn(of: Int(span.point)).line == expectedError.line,
                        "the error of \(script.testDescription) is reported on the wrong line")
            }
        } else {
            #expect(error == nil, "unexpected error in \(script.testDescription): \(error?.message ?? "")")
        }
    }
}
