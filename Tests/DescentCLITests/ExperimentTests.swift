import Foundation
import Testing

/// Replicated experiments through the binary: `--seed`, and `replicate` and the searches on
/// several worker processes (forking is safe in the single-threaded CLI, not in this test process).
@Suite struct ExperimentTests {
    /// Every kind of random stream a script can draw from.
    static let draws = """
        print(rand([2]))
        seed(3)
        print(randn([2]))
        print(split(arange(6), seed: 1)[1])
        print(list(batches(arange(4), size: 4, seed: 2))[0])
        print(make_moons(2, noise: 0.1, seed: 5)[0])
        print(random_search(fn(c) => c.x, {x: uniform(0, 1)}, trials: 2, seed: 4, workers: 1).best.x)
        print(replicate(fn(s) => rand([1])[0], seeds: 2, workers: 1).values)
        """

    @Test func seedZeroIsTheDefaultAndOtherSeedsRerunEveryStream() throws {
        let path = try Descent.script(ExperimentTests.draws)
        let plain = try Descent.run(["run", path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try Descent.run(["run", "--seed", "0", path]).stdout == plain.stdout)
        let one = try Descent.run(["run", "--seed", "1", path])
        let two = try Descent.run(["run", "--seed", "2", path])
        #expect(one.status == 0 && two.status == 0)
        #expect(try Descent.run(["run", "--seed", "1", path]).stdout == one.stdout, "a run seed reproduces its run")
        for (line, (a, (b, c))) in zip(plain.stdout.split(separator: "\n"), zip(one.stdout.split(separator: "\n"), two.stdout.split(separator: "\n"))).enumerated() {
            #expect(a != b && b != c && a != c, "line \(line + 1) of the draws did not change with the run seed: \(a) / \(b) / \(c)")
        }
        let dashE = try Descent.run(["--seed", "1", "-e", "rand([2])"])
        #expect(dashE.stdout == one.stdout.split(separator: "\n")[0] + "\n")
    }

    @Test func seedOptionIsValidated() throws {
        for bad in ["-1", "x", "1.5"] {
            let result = try Descent.run(["run", "--seed", bad, "nothing.dsc"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("The value '\(bad)' is invalid for '--seed <N>': it must be a whole number of at least 0"))
        }
    }

    @Test func exportTakesASeed() throws {
        let notebook = try Descent.script("# %%\nprint(rand([3]))\n")
        let first = NSTemporaryDirectory() + "descent-seed-\(UUID().uuidString).md"
        let second = NSTemporaryDirectory() + "descent-seed-\(UUID().uuidString).md"
        #expect(try Descent.run(["export", notebook, "--to", "md", "-o", first]).status == 0)
        #expect(try Descent.run(["export", notebook, "--to", "md", "--seed", "9", "-o", second]).status == 0)
        let plain = try String(contentsOfFile: first, encoding: .utf8), seeded = try String(contentsOfFile: second, encoding: .utf8)
        #expect(plain.contains(try Descent.run(["-e", "print(rand([3]))"]).stdout.trimmingCharacters(in: .newlines)))
        #expect(seeded.contains(try Descent.run(["--seed", "9", "-e", "print(rand([3]))"]).stdout.trimmingCharacters(in: .newlines)))
        #expect(plain != seeded)
    }

    /// The same values, the same printed lines in seed order, and the same session stream after
    /// it, whether one process or several run the seeds.
    @Test func replicateIsTheSameForAnyNumberOfWorkers() throws {
        func run(workers: Int) throws -> CLIResult {
            try Descent.run(["-e", """
                let X, y = make_moons(200, noise: 0.2, seed: 1)
                fn trial(s) {
                    let p = mlp_init([2, 8, 2])
                    train(fn(p, X, y) => cross_entropy(mlp(p, X), y), p, [X, y], opt: "adam", lr: 0.05, epochs: 3, verbose: false)
                    print("seed", s, "trained")
                    {accuracy: mean(argmax(mlp(p, X), axis: 1) == y), curve: tensor([s, s * s])}
                }
                let r = replicate(trial, seeds: [4, 0, 3, 1, 2, 6], workers: \(workers))
                print(r.accuracy.values, r.curve.mean)
                print(r.accuracy)
                rand([1])
                """])
        }
        let one = try run(workers: 1)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("seed 4 trained\nseed 0 trained\nseed 3 trained\nseed 1 trained\nseed 2 trained\nseed 6 trained\n"))
        for workers in [2, 3, 8] {
            #expect(try run(workers: workers).stdout == one.stdout, "\(workers) workers")
        }
    }

    @Test func searchesAreTheSameForAnyNumberOfWorkers() throws {
        func run(workers: Int) throws -> String {
            try Descent.run(["-e", """
                let space = {x: uniform(-2, 2), y: log_uniform(0.01, 1)}
                fn f(c, b) { (c.x - 0.3) ** 2 + c.y / b + randn([1])[0] * 0.01 }
                let h = hyperband(f, space, max_budget: 9, seed: 2, workers: \(workers))
                print(map(h.trials, fn(t) => [t.score, t.budget]))
                print(random_search(fn(c) => f(c, 1), space, trials: 7, seed: 3, workers: \(workers)).best)
                """]).stdout
        }
        let one = try run(workers: 1)
        #expect(one.hasPrefix("[["))
        #expect(try run(workers: 2) == one)
        #expect(try run(workers: 4) == one)
    }

    @Test func aFailingSeedIsReportedWhereItFailed() throws {
        let path = try Descent.script("""
            fn f(s) {
                if s == 3 { [1] + 1 }
                s
            }
            replicate(f, seeds: 6, workers: 3)
            """)
        let result = try Descent.run(["run", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(":2:21: error: cannot add list and number (in f(3), run by replicate)"), "\(result.stderr)")
        #expect(result.stderr.contains("in f() at"))
    }

    @Test func aTimeLimitStopsEveryWorker() throws {
        let path = try Descent.script("""
            fn spin(s) {
                let x = 0
                while true { x += 1 }
                x
            }
            replicate(spin, seeds: 4, workers: 2)
            """)
        let started = Date()
        let result = try Descent.run(["run", "--timeout", "1", path])
        #expect(result.status == 124)
        #expect(result.stderr.contains("the time limit of 1 s was reached"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func ctrlCStopsAReplicate() throws {
        let result = try Descent.run(["-e", "replicate(fn(s) { while true {} }, seeds: 4, workers: 2)"], interruptAfter: 1)
        #expect(result.status == 130)
        #expect(result.stderr.contains("interrupted"))
    }
}
