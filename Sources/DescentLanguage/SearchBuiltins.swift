import DescentSearch
import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Hyperparameter search: spaces, grid, random, successive halving, Hyperband and Bayesian
// optimisation over a Descent objective. The budgets and the Gaussian process are DescentSearch's.

/// `log_uniform(1e-4, 1)` and friends: one dimension of a search space.
final class SpaceObject: NativeObject {
    let dimension: Dimension
    /// The values of a `choice`, by position.
    let choices: [Value]
    let text: String
    init(_ dimension: Dimension, choices: [Value] = [], text: String) { self.dimension = dimension; self.choices = choices; self.text = text }
    override var typeName: String { "space" }
    override func describe() -> String { text }

    func value(at unit: Double) -> Value {
        let x = dimension.value(at: unit)
        if case .choice = dimension { return choices[Int(x)] }
        return .number(x)
    }
}

/// One evaluated configuration.
struct Trial {
    let config: RecordObject
    let unit: [Double]
    var score: Double?
    var budget: Double
    var seconds: Double
    var error: String?
}

/// A finished (or interrupted) search: `best`, `best_score`, `trials`, `total_budget`; prints as
/// a ranked table.
final class SearchResultObject: NativeObject {
    let method: String
    let trials: [Trial]
    let maximize: Bool
    let interrupted: Bool

    init(method: String, trials: [Trial], maximize: Bool, interrupted: Bool) {
        self.method = method; self.trials = trials; self.maximize = maximize; self.interrupted = interrupted
    }

    override var typeName: String { "search result" }

    /// Successful trials, best first; among equal scores, the larger budget and then the earlier trial.
    var ranked: [Trial] {
        trials.filter { $0.score != nil }.enumerated().sorted { a, b in
            // trap-ok: filtered to scored trials above
            let x = a.element.score!, y = b.element.score!
            if x != y { return maximize ? x > y : x < y }
            if a.element.budget != b.element.budget { return a.element.budget > b.element.budget }
            return a.offset < b.offset
        }.map(\.element)
    }

    override var fieldNames: [String] { ["best", "best_score", "trials", "total_budget", "method", "interrupted"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "best": ranked.first.map { .record(RecordObject($0.config.fields)) } ?? .nil
        case "best_score": ranked.first?.score.map { .number($0) } ?? .nil
        case "total_budget": .number(trials.reduce(0) { $0 + $1.budget })
        case "method": .str(method)
        case "interrupted": .bool(interrupted)
        case "trials":
            .list(trials.map { trial in
                let record = RecordObject()
                record.fields["config"] = .record(RecordObject(trial.config.fields))
                record.fields["score"] = trial.score.map { .number($0) } ?? .nil
                record.fields["budget"] = .number(trial.budget)
                record.fields["time"] = .number(trial.seconds)
                record.fields["status"] = .str(trial.error == nil ? "ok" : "failed")
                if let error = trial.error { record.fields["error"] = .str(error) }
                return .record(record)
            })
        default: nil
        }
    }

    override func describe() -> String {
        let best = ranked
        let failed = trials.count - best.count
        var lines = ["\(method): \(trials.count) trials\(failed > 0 ? " (\(failed) failed)" : ""), total budget \(formatNumber(trials.reduce(0) { $0 + $1.budget }))\(interrupted ? ", interrupted" : "")"]
        let keys = trials.first.map { Array($0.config.fields.keys) } ?? []
        var rows = [["rank", "score", "budget"] + keys]
        for (i, trial) in best.prefix(10).enumerated() {
            // trap-ok: `ranked` holds scored trials only
            rows.append(["\(i + 1)", significant(trial.score!), formatNumber(trial.budget)]
                        + keys.map { key in
                            guard let value = trial.config.fields[key] else { return "" }
                            if case .number(let x) = value { return significant(x) }
                            return value.reprString
                        })
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ").trimmingTrailingSpaces())
        }
        if best.count > 10 { lines.append("... \(best.count - 10) more") }
        return lines.joined(separator: "\n")
    }
}

/// Four significant digits, for tables: 0.004266, 34, 1.238.
private func significant(_ x: Double) -> String {
    guard x.isFinite, x != x.rounded() else { return formatNumber(x) }
    let digits = 3 - Int(log10(Swift.abs(x)).rounded(.down))
    return formatNumber(roundToDigits(x, digits))
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// What every search shares: the space, the objective, the trials so far.
private struct SearchRun {
    let args: Arguments
    let objective: Value
    let names: [String]
    let dimensions: [SpaceObject]
    let maximize: Bool
    let usesBudget: Bool
    var trials: [Trial] = []
    var interrupted = false
    /// Processes that evaluate trials at once (the last argument of every search).
    let workers: Int
    /// Trial k runs with the session's random numbers seeded from seedBase + k, so that its
    /// result does not depend on which worker ran it, or on the trials before it.
    let seedBase: UInt64

    init(_ args: Arguments, space index: Int, maximize: Bool, usesBudget: Bool, seedArgument: Int) throws {
        self.args = args
        (workers, seedBase) = try SearchRun.parallelism(args, seedArgument: seedArgument)
        objective = try args.function(0)
        self.maximize = maximize
        self.usesBudget = usesBudget
        let space = try args.record(index)
        guard !space.fields.isEmpty else { throw args.error("\(args.function.name)() needs a space with at least one hyperparameter", argument: index) }
        names = Array(space.fields.keys)
        dimensions = try space.fields.map { name, value in
            guard case .object(let dimension as SpaceObject) = value else {
                throw args.error("\(args.function.name)(): the space's \(name) must be log_uniform(...), uniform(...), int_uniform(...) or choice([...]), got \(value.typeName)", argument: index)
            }
            return dimension
        }
    }

    func config(_ unit: [Double]) -> RecordObject {
        let record = RecordObject()
        for (name, (dimension, u)) in zip(names, zip(dimensions, unit)) { record.fields[name] = dimension.value(at: u) }
        return record
    }

    func sample(_ generator: inout RandomGenerator) -> [Double] { dimensions.map { _ in generator.uniform() } }

    static func parallelism(_ args: Arguments, seedArgument: Int?) throws -> (Int, UInt64) {
        let index = args.count - 1
        let workers: Int
        if args[index].isNil {
            workers = args.ip.defaultWorkers
        } else {
            workers = try args.integer(index)
            guard workers >= 1 else { throw args.error("\(args.function.name)(): workers must be at least 1, got \(workers)", argument: index) }
        }
        // From the search's own seed when it has one, so that the same seed gives the same trials.
        if let seedArgument, !args[seedArgument].isNil {
            var derived = args.ip.generator(seed: UInt64(max(0, try args.integer(seedArgument))) ^ 0xA5A5_5A5A_F00D_CAFE)
            return (workers, derived.next())
        }
        return (workers, args.ip.random.next())
    }

    /// Evaluates the configurations at `budget` (in parallel processes when there are several
    /// workers); results come back in order. A failing objective marks its trial.
    mutating func evaluate(_ units: [[Double]], budget: Double?) throws -> [Trial] {
        guard !interrupted, !units.isEmpty else { return [] }
        let first = trials.count
        var kept: [Trial] = []
        for trial in try runTrials(units, budget: budget, first: first) {
            if trial.error == SearchRun.interruptedMarker { interrupted = true; continue }
            kept.append(trial)
        }
        trials += kept
        args.ip.random = RandomGenerator(seed: seedBase &+ UInt64(trials.count) &+ 0x5EED)
        if args.ip.interrupt.isRaised {
            if args.ip.interrupt.hasExpired { try args.ip.checkInterrupt(at: args.span) }  // a time limit ends the program
            args.ip.interrupt.clear()
            interrupted = true
        }
        return kept
    }

    static let interruptedMarker = "\u{0}interrupted"

    /// One trial, in this process: the objective on the configuration, timed.
    func runTrial(_ unit: [Double], budget: Double?, index: Int) -> Trial {
        let config = config(unit)
        var trial = Trial(config: config, unit: unit, score: nil, budget: budget ?? 1, seconds: 0, error: nil)
        let start = monotonicSeconds()
        args.ip.random = RandomGenerator(seed: seedBase &+ UInt64(index))
        do {
            let arguments: [Value] = [.record(RecordObject(config.fields))] + (usesBudget ? [.number(budget ?? 1)] : [])
            let value = try args.call(objective, arguments)
            switch value {
            case .number(let x) where !x.isNaN: trial.score = x
            case .object(let object as TensorObject) where object.tensor.scalarValue.map({ !$0.isNaN }) ?? false:
                trial.score = object.tensor.scalarValue
            case .number: trial.error = "the objective returned nan"
            default: trial.error = "the objective returned \(value.typeName), not a number"
            }
        } catch let diagnostic as Diagnostic {
            trial.error = diagnostic.kind == .interrupted ? SearchRun.interruptedMarker : diagnostic.message
        } catch {
            trial.error = "\(error)"
        }
        trial.seconds = monotonicSeconds() - start
        return trial
    }

    /// Runs the trials on the session's worker processes. Each trial's random numbers come from
    /// its index and the results come back in trial order, so they are the same for any number
    /// of workers; a trial after an interrupted one never ran.
    func runTrials(_ units: [[Double]], budget: Double?, first: Int) throws -> [Trial] {
        args.ip.output.flush()
        let encoded: [[UInt8]?]
        do {
            encoded = try ProcessPool(workers: workers).run(count: units.count, childStarted: { [args] in args.ip.defaultWorkers = 1 }, task: { position in
                let trial = runTrial(units[position], budget: budget, index: first + position)
                args.ip.output.flush()  // a child's prints go out before it exits
                var writer = WireWriter()
                writer.append(trial.score ?? .nan)
                writer.append(trial.seconds)
                writer.append(trial.error ?? "")
                return (writer.bytes, trial.error == SearchRun.interruptedMarker)
            }, waiting: { [args] in args.ip.interrupt.isRaised })
        } catch {
            throw args.error("\(args.function.name)(): \(error.message)")
        }
        let results = zip(units, encoded).map { unit, bytes -> Trial in
            var trial = Trial(config: config(unit), unit: unit, score: nil, budget: budget ?? 1, seconds: 0,
                              error: "its worker process ended before reporting")
            guard let bytes else { return trial }
            var reader = WireReader(bytes)
            guard let score = reader.double(), let seconds = reader.double(), let error = reader.string() else { return trial }
            trial.score = score.isNaN ? nil : score
            trial.seconds = seconds
            trial.error = error.isEmpty ? nil : error
            return trial
        }
        if let stop = results.firstIndex(where: { $0.error == SearchRun.interruptedMarker }) {
            return Array(results[...stop])
        }
        return results
    }

    /// Lower is better inside the searches.
    func key(_ trial: Trial) -> Double {
        guard let score = trial.score else { return .infinity }
        return maximize ? -score : score
    }

    func result() -> Value {
        .object(SearchResultObject(method: args.function.name, trials: trials, maximize: maximize, interrupted: interrupted))
    }

    /// Successive halving of `units` along `rungs`: each rung keeps the best of the last.
    mutating func halve(_ units: [[Double]], rungs: [Hyperband.Rung]) throws {
        var survivors = units
        for (i, rung) in rungs.enumerated() where !interrupted {
            let evaluated = try evaluate(Array(survivors.prefix(max(rung.configurations, 1))), budget: rung.budget)
            guard i + 1 < rungs.count else { break }
            let keep = max(rungs[i + 1].configurations, 1)
            survivors = evaluated.enumerated().sorted { a, b in
                let x = key(a.element), y = key(b.element)
                return x != y ? x < y : a.offset < b.offset
            }.prefix(keep).map(\.element.unit)
        }
    }
}

private func generator(_ args: Arguments, seedArgument index: Int) throws -> RandomGenerator {
    if args[index].isNil { return RandomGenerator(seed: args.ip.random.next()) }
    let seed = try args.integer(index)
    guard seed >= 0 else { throw args.error("\(args.function.name)(): seed must be at least 0, got \(seed)", argument: index) }
    return args.ip.generator(seed: UInt64(seed))
}

private func positive(_ args: Arguments, _ index: Int, _ name: String) throws -> Double {
    let x = try args.number(index)
    guard x > 0, x.isFinite else { throw args.error("\(args.function.name)(): \(name) must be above 0, got \(formatNumber(x))", argument: index) }
    return x
}

private func count(_ args: Arguments, _ index: Int, _ name: String) throws -> Int {
    let n = try args.integer(index)
    guard n >= 1 else { throw args.error("\(args.function.name)(): \(name) must be at least 1, got \(n)", argument: index) }
    return n
}

extension Builtins {
    static var search: [BuiltinFunction] {
        let category = "Search"
        func range(_ name: String, _ summary: String, _ make: @escaping (Double, Double) -> Dimension, log: Bool = false, integer: Bool = false) -> BuiltinFunction {
            define("\(name)(low, high)", category, summary, example: "\(name)(1, 10)") { args in
                let low = integer ? Double(try args.integer(0)) : try args.number(0)
                let high = integer ? Double(try args.integer(1)) : try args.number(1)
                guard low.isFinite, high.isFinite, low <= high, !log || low > 0 else {
                    throw args.error("\(name)() needs \(log ? "0 < " : "")low <= high, got \(formatNumber(low)) and \(formatNumber(high))")
                }
                return .object(SpaceObject(make(low, high), text: "\(name)(\(formatNumber(low)), \(formatNumber(high)))"))
            }
        }
        return [
            range("uniform", "A hyperparameter drawn uniformly between low and high.", { .uniform($0, $1) }),
            range("log_uniform", "A hyperparameter whose logarithm is uniform: as likely in [1e-4, 1e-3] as in [0.1, 1]. For learning rates.",
                  { .logUniform($0, $1) }, log: true),
            range("int_uniform", "A whole-number hyperparameter from low to high, both included.", { .integer(Int($0), Int($1)) }, integer: true),
            define("choice(values)", category, "A hyperparameter that takes one of the values.", example: "choice([\"tanh\", \"relu\"])") { args in
                let values = try args.list(0).items
                guard !values.isEmpty else { throw args.error("choice() needs at least one value", argument: 0) }
                return .object(SpaceObject(.choice(values.count), choices: values, text: "choice(\(Value.list(values).reprString))"))
            },
            define("grid_search(objective, grid, maximize: false, workers: nil)", category,
                   "objective(config) on every combination of the grid's lists ({lr: [0.1, 0.01], momentum: [0, 0.9]}); lower scores are better unless maximize.",
                   example: "grid_search(fn(c) => (c.x - 2) ** 2, {x: [1, 2, 3]}).best") { args in
                let grid = try args.record(1)
                let names = Array(grid.fields.keys)
                let lists = try grid.fields.map { name, value -> [Value] in
                    guard case .list(let list) = value, !list.items.isEmpty else {
                        throw args.error("grid_search(): the grid's \(name) must be a non-empty list of values", argument: 1)
                    }
                    return list.items
                }
                guard !names.isEmpty else { throw args.error("grid_search() needs at least one hyperparameter", argument: 1) }
                let space = RecordObject()
                for (name, values) in zip(names, lists) { space.fields[name] = .object(SpaceObject(.choice(values.count), choices: values, text: "")) }
                var run = try SearchRun(args, spaceRecord: space, maximize: args[2].isTruthy)
                var units: [[Double]] = [[]]
                for values in lists {
                    units = units.flatMap { prefix in (0..<values.count).map { prefix + [(Double($0) + 0.5) / Double(values.count)] } }
                }
                _ = try run.evaluate(units, budget: nil)
                return run.result()
            },
            define("random_search(objective, space, trials: 20, seed: nil, maximize: false, workers: nil)", category,
                   "objective(config) on configurations drawn at random from the space (Bergstra and Bengio 2012).",
                   example: "random_search(fn(c) => (c.x - 2) ** 2, {x: uniform(0, 4)}, trials: 10, seed: 0).trials.len()") { args in
                var run = try SearchRun(args, space: 1, maximize: args[4].isTruthy, usesBudget: false, seedArgument: 3)
                var g = try generator(args, seedArgument: 3)
                let n = try count(args, 2, "trials")
                _ = try run.evaluate((0..<n).map { _ in run.sample(&g) }, budget: nil)
                return run.result()
            },
            define("successive_halving(objective, space, trials: 27, min_budget: 1, max_budget: 27, eta: 3, seed: nil, maximize: false, workers: nil)", category,
                   "objective(config, budget): all trials at min_budget, then the best 1/eta at eta times the budget, up to max_budget.",
                   example: "successive_halving(fn(c, b) => (c.x - 2) ** 2 + 1 / b, {x: uniform(0, 4)}, seed: 0).best_score < 1") { args in
                var run = try SearchRun(args, space: 1, maximize: args[7].isTruthy, usesBudget: true, seedArgument: 6)
                var g = try generator(args, seedArgument: 6)
                let n = try count(args, 2, "trials")
                let minimum = try positive(args, 3, "min_budget"), maximum = try positive(args, 4, "max_budget"), eta = try positive(args, 5, "eta")
                guard eta > 1 else { throw args.error("successive_halving(): eta must be above 1, got \(formatNumber(eta))", argument: 5) }
                guard maximum >= minimum else { throw args.error("successive_halving(): max_budget must be at least min_budget", argument: 4) }
                guard Hyperband.maxBracket(maxBudget: maximum, minBudget: minimum, eta: eta) <= 64 else {
                    throw args.error("successive_halving(): max_budget / min_budget spans more than 64 rungs of eta \(formatNumber(eta)); raise eta", argument: 5)
                }
                let rungs = Hyperband.bracket(configurations: n, budget: minimum,
                                              rungs: Hyperband.maxBracket(maxBudget: maximum, minBudget: minimum, eta: eta), eta: eta)
                try run.halve((0..<n).map { _ in run.sample(&g) }, rungs: rungs)
                return run.result()
            },
            define("hyperband(objective, space, max_budget: 81, min_budget: 1, eta: 3, seed: nil, maximize: false, workers: nil)", category,
                   "objective(config, budget) in Hyperband's brackets (Li et al. 2018): successive halving from many cheap trials to few full ones.",
                   example: "hyperband(fn(c, b) => (c.x - 2) ** 2 + 1 / b, {x: uniform(0, 4)}, max_budget: 9, seed: 0).total_budget") { args in
                var run = try SearchRun(args, space: 1, maximize: args[6].isTruthy, usesBudget: true, seedArgument: 5)
                var g = try generator(args, seedArgument: 5)
                let maximum = try positive(args, 2, "max_budget"), minimum = try positive(args, 3, "min_budget"), eta = try positive(args, 4, "eta")
                guard eta > 1 else { throw args.error("hyperband(): eta must be above 1, got \(formatNumber(eta))", argument: 4) }
                guard maximum >= minimum else { throw args.error("hyperband(): max_budget must be at least min_budget", argument: 2) }
                guard Hyperband.maxBracket(maxBudget: maximum, minBudget: minimum, eta: eta) <= 64 else {
                    throw args.error("hyperband(): max_budget / min_budget spans more than 64 rungs of eta \(formatNumber(eta)); raise eta or min_budget", argument: 4)
                }
                let planned = Hyperband.trialCount(maxBudget: maximum, minBudget: minimum, eta: eta)
                guard planned <= 1_000_000 else {
                    throw args.error("hyperband(): max_budget \(formatNumber(maximum)), min_budget \(formatNumber(minimum)) and eta \(formatNumber(eta)) would make \(formatNumber(planned)) trials; the limit is 1000000 (raise eta or min_budget)")
                }
                for rungs in Hyperband.brackets(maxBudget: maximum, minBudget: minimum, eta: eta) where !run.interrupted {
                    try run.halve((0..<rungs[0].configurations).map { _ in run.sample(&g) }, rungs: rungs)
                }
                return run.result()
            },
            define("bayes_search(objective, space, trials: 30, init: 5, seed: nil, maximize: false, workers: nil)", category,
                   "Bayesian optimisation: init random trials, then each next configuration maximises the expected improvement under a Gaussian process fitted to the scores so far.",
                   example: "bayes_search(fn(c) => (c.x - 2) ** 2, {x: uniform(0, 4)}, trials: 8, seed: 0).best_score < 0.1") { args in
                var run = try SearchRun(args, space: 1, maximize: args[5].isTruthy, usesBudget: false, seedArgument: 4)
                var g = try generator(args, seedArgument: 4)
                let n = try count(args, 2, "trials"), initial = min(try count(args, 3, "init"), n)
                _ = try run.evaluate((0..<initial).map { _ in run.sample(&g) }, budget: nil)
                while run.trials.count < n && !run.interrupted {
                    let scored = run.trials.filter { $0.score != nil }
                    guard scored.count >= 2 else {
                        _ = try run.evaluate([run.sample(&g)], budget: nil)
                        continue
                    }
                    let candidates = 1000
                    try args.ip.chargeSteps(candidates * scored.count, at: args.span)
                    let values = scored.map(run.key)
                    let process = GaussianProcess(points: scored.map(\.unit), values: values)
                    // trap-ok: at least two scored trials (guard above)
                    let best = values.min()!
                    // trap-ok: best is one of values
                    let incumbent = scored[values.firstIndex(of: best)!].unit
                    let next = process.proposal(dimensions: run.dimensions.count, best: best, incumbent: incumbent, count: candidates, generator: &g)
                    _ = try run.evaluate([next], budget: nil)
                }
                return run.result()
            },
        ]
    }
}

extension SearchRun {
    /// A run over a space built by the caller (grid_search's lists).
    init(_ args: Arguments, spaceRecord: RecordObject, maximize: Bool) throws {
        self.args = args
        (workers, seedBase) = try SearchRun.parallelism(args, seedArgument: nil)
        objective = try args.function(0)
        self.maximize = maximize
        usesBudget = false
        names = Array(spaceRecord.fields.keys)
        dimensions = spaceRecord.fields.values.map { value in
            // trap-ok: grid_search builds the record from SpaceObjects
            guard case .object(let dimension as SpaceObject) = value else { preconditionFailure("grid dimensions are built above") }
            return dimension
        }
    }
}
