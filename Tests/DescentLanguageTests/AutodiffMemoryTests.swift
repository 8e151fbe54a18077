import Foundation
import Testing
@testable import DescentLanguage

/// Training with `grad` must not accumulate memory: each gradient's tape is dropped when it
/// returns, and no tensor, closure or tape node keeps another alive in a cycle.
@Suite struct AutodiffMemoryTests {
    /// Resident memory in bytes, from /proc (Linux).
    private func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func residentMemoryStaysFlatOverManyTrainingSteps() throws {
        let interpreter = Interpreter(output: Output { _ in })
        _ = try interpreter.run("""
            seed(0)
            let X = randn([32, 2])
            let Y = randn([32, 1])
            let params = mlp_init([2, 16, 1])
            let step = value_and_grad(fn(p) => mse(mlp(p, X), Y))
            fn train(steps) {
                for i in range(steps) {
                    let loss, g = step(params)
                    for name in keys(params) { params[name] = params[name] - 0.01 * g[name] }
                }
            }
            train(2000)
            """, name: "train.dsc")
        // Other suites run in parallel in this process and move its resident size too, so growth is
        // measured over three windows and the quietest one counts: a leak shows in every window.
        var growths: [Int] = []
        for _ in 0..<3 {
            guard let before = residentBytes() else { return }  // not Linux: nothing to measure
            _ = try interpreter.run("train(7000)", name: "train.dsc")
            growths.append(try #require(residentBytes()) - before)
        }
        // A kept tape would hold ~30 small tensors per step: over 50 MB per window.
        #expect(growths.min()! < 4 << 20, "resident memory grew by \(growths) bytes over three windows of 7,000 steps")
    }
}
