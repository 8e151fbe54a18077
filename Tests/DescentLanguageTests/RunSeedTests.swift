import Foundation
import Testing
@testable import DescentLanguage

/// The run seed (`--seed N`) reaches every random stream: a built-in that takes `seed:` must draw
/// other numbers under another run seed, and the same numbers under run seed 0 as without one.
@Suite struct RunSeedTests {
    /// One call per built-in with a `seed:` parameter, printing what its seed decides.
    static let draws: [String: String] = [
        "batches": "print(list(batches(arange(8), size: 8, seed: 1))[0])",
        "shuffle": "print(shuffle(arange(8), seed: 1))",
        "split": "print(split(arange(8), seed: 1)[0])",
        "make_moons": "print(make_moons(3, noise: 0.1, seed: 1)[0])",
        "make_spirals": "print(make_spirals(9, seed: 1)[0][-3:])",
        "make_blobs": "print(make_blobs(3, seed: 1)[0])",
        "make_regression": "print(make_regression(3, seed: 1)[0])",
        "make_linear": "print(make_linear(3, noise: 1, seed: 1)[1])",
        "random_search": "print(random_search(fn(c) => c.x, {x: uniform(0, 1)}, trials: 3, seed: 1).best.x)",
        "successive_halving": "print(successive_halving(fn(c, b) => c.x, {x: uniform(0, 1)}, trials: 3, max_budget: 3, seed: 1).best.x)",
        "hyperband": "print(hyperband(fn(c, b) => c.x, {x: uniform(0, 1)}, max_budget: 3, seed: 1).best.x)",
        "bayes_search": "print(bayes_search(fn(c) => c.x, {x: uniform(0, 1)}, trials: 4, init: 2, seed: 1).best.x)",
        "train": """
            let p = {w: zeros([1])}
            let h = train(fn(p, X, y) => mean((X * p.w - y) ** 2), p, [arange(8), arange(8)], opt: "sgd", lr: 0.001, epochs: 1, batch_size: 3, seed: 1, verbose: false)
            print(h.loss)
            """,
        "noise_scale": "print(noise_scale(fn(p, X, y) => mean((X * p.w - y) ** 2), {w: ones([1])}, arange(8), arange(8) * 0.3, size: 2, seed: 1))",
        "seed": "seed(1)\nprint(rand([2]))",
        "replicate": "print(replicate(fn(s) => rand([1])[0], seeds: [1, 2]).values)",
    ]

    func output(_ code: String, runSeed: UInt64?) throws -> String {
        var printed: [UInt8] = []
        let interpreter = Interpreter(output: Output { printed += $0 })
        if let runSeed { interpreter.runSeed = runSeed }
        _ = try interpreter.run(code, name: "draw.dsc")
        interpreter.output.flush()
        return String(decoding: printed, as: UTF8.self)
    }

    @Test func everySeededBuiltinIsCovered() {
        let seeded = Builtins.all.filter { $0.parameters.contains { $0.name == "seed" || $0.name == "seeds" } }.map(\.name)
        #expect(!seeded.isEmpty)
        for name in seeded { #expect(RunSeedTests.draws[name] != nil, "\(name)() takes a seed but the run-seed test does not draw from it") }
    }

    @Test(arguments: RunSeedTests.draws.keys.sorted())
    func runSeedChangesTheDraws(_ name: String) throws {
        // trap-ok: the argument comes from the table's keys
        let code = RunSeedTests.draws[name]!
        let plain = try output(code, runSeed: nil)
        #expect(try output(code, runSeed: 0) == plain)
        let one = try output(code, runSeed: 1), two = try output(code, runSeed: 2)
        #expect(one != plain && two != plain && one != two, "\(name): \(plain) / \(one) / \(two)")
        #expect(try output(code, runSeed: 1) == one)
    }

    /// The session's stream itself (mlp_init, rand without seed) follows the run seed.
    @Test func theSessionStreamFollowsTheRunSeed() throws {
        let code = "print(rand([3]), mlp_init([2, 2]).W1)"
        #expect(try output(code, runSeed: 5) != output(code, runSeed: nil))
        let interpreter = Interpreter(output: Output { _ in })
        interpreter.runSeed = 5
        let first = interpreter.random.next()
        interpreter.runSeed = 5  // setting it again restarts the stream
        #expect(interpreter.random.next() == first)
    }
}
