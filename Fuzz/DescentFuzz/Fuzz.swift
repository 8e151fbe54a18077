#if canImport(Glibc)
import Glibc
#endif
import DescentLanguage
import DescentTensor

/// libFuzzer's entry point: one input is one program, compiled and (unless DESCENT_FUZZ_MODE is
/// `parser`) run in a sandbox: a step budget, small memory limits, no file writes, no worker
/// processes. Any input must end in a value or a diagnostic; a crash, a hang (libFuzzer's
/// -timeout) or a leak is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TensorMemoryLimit.maxBytes = 64 << 20
    GrowthLimit.stringBytes = 10_000_000
    GrowthLimit.listLength = 1_000_000
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let interpreter = Interpreter(output: Output { _ in })
    interpreter.stepLimit = 20_000
    interpreter.allowsFileWrites = false
    if parserOnly {
        _ = try? interpreter.compile(text, name: "fuzz.dsc")
    } else {
        _ = try? interpreter.run(text, name: "fuzz.dsc")
    }
    return 0
}

private let parserOnly: Bool = {
    guard let mode = getenv("DESCENT_FUZZ_MODE") else { return false }
    return String(cString: mode) == "parser"
}()
