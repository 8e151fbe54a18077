import DescentSearch
import DescentStats
import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Experiments repeated over seeds: `replicate` runs them on the worker processes of DescentSearch,
// `compare` tests a difference with DescentStats. The statistics live in those libraries.

/// One quantity measured over seeds: `values`, `mean`, `std`, `stderr`, `n`, `ci`, `seeds`; a
/// number per seed, or a tensor per seed summarised element by element (a loss curve).
final class ReplicatesObject: NativeObject {
    let seeds: [Int]
    /// nil when each seed gave a number; otherwise the shape of each seed's tensor.
    let shape: [Int]?
    /// samples[seed position][element]
    let samples: [[Double]]
    /// One summary per element.
    let summaries: [SampleSummary]

    init(seeds: [Int], shape: [Int]?, samples: [[Double]]) throws {
        self.seeds = seeds; self.shape = shape; self.samples = samples
        let width = samples.first?.count ?? 0
        summaries = try (0..<width).map { element in try SampleSummary(samples.map { $0[element] }) }
    }

    override var typeName: String { "replicates" }

    /// A number, or a tensor of the measured shape, from one statistic per element.
    private func shaped(_ statistic: (SampleSummary) -> Double) -> Value {
        let values = summaries.map(statistic)
        guard let shape else { return .number(values.first ?? .nan) }
        // trap-ok: the element count matches the shape every seed was checked to have
        return .object(TensorObject(try! Tensor(shape: shape, elements: values)))
    }

    override var fieldNames: [String] { ["values", "mean", "std", "stderr", "n", "ci", "seeds"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "values":
            // trap-ok: each sample has the shape's element count (checked when the seeds returned)
            return .list(samples.map { sample in shape.map { .object(TensorObject(try! Tensor(shape: $0, elements: sample))) } ?? .number(sample[0]) })
        case "mean": return shaped(\.mean)
        case "std": return shaped(\.standardDeviation)
        case "stderr": return shaped(\.standardError)
        case "n": return .number(Double(seeds.count))
        case "ci": return .list([shaped(\.low), shaped(\.high)])
        case "seeds": return .list(seeds.map { .number(Double($0)) })
        default: return nil
        }
    }

    override func describe() -> String {
        let n = seeds.count
        guard let shape else {
            // trap-ok: a scalar replicate has exactly one summary
            let summary = summaries[0]
            if n < 2 { return "\(formatSignificant(summary.mean)) (n = 1: no interval)" }
            return "\(formatUncertain(summary.mean, halfWidth: summary.halfWidth)) (95% CI, n = \(n))"
        }
        let mean = shaped(\.mean).reprString, half = shaped(\.halfWidth).reprString
        return "replicates of shape \(DescentTensor.describe(shape)) over n = \(n) seeds: mean\n\(mean)\n± (95% CI half-width)\n\(half)"
    }
}

/// What `compare` returns: the difference a - b with its interval and p-value.
final class ComparisonObject: NativeObject {
    let test: TTest
    let names: (String, String)
    let counts: (Int, Int)

    init(test: TTest, names: (String, String), counts: (Int, Int)) { self.test = test; self.names = names; self.counts = counts }

    override var typeName: String { "comparison" }
    override var fieldNames: [String] { ["mean_diff", "ci", "p", "n", "t", "df", "paired"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "mean_diff": .number(test.meanDifference)
        case "ci": .list([.number(test.low), .number(test.high)])
        case "p": .number(test.pValue)
        case "n": test.kind == .paired ? .number(Double(counts.0)) : .list([.number(Double(counts.0)), .number(Double(counts.1))])
        case "t": .number(test.statistic)
        case "df": .number(test.degreesOfFreedom)
        case "paired": .bool(test.kind == .paired)
        default: nil
        }
    }

    override func describe() -> String {
        let (difference, low, high) = formatTogether(test.meanDifference, test.low, test.high, halfWidth: (test.high - test.low) / 2)
        let p = test.pValue.isNaN ? "p = nan: the differences do not vary" : "p = \(formatP(test.pValue))"
        let n = test.kind == .paired ? "n = \(counts.0)" : "Welch's test, n = \(counts.0) and \(counts.1)"
        return "\(names.0) - \(names.1) = \(difference) (95% CI \(low) to \(high), \(p), \(n))"
    }
}

// MARK: - Formatting with an uncertainty

/// The decimal place of an interval's half-width: one significant digit, two when it starts with a
/// 1 (0.004, 0.0012), as measurements are quoted.
private func uncertaintyExponent(_ halfWidth: Double) -> Int? {
    guard halfWidth.isFinite, halfWidth > 0 else { return nil }
    let exponent = Int(log10(halfWidth).rounded(.down))
    let leading = halfWidth / pow(10, Double(exponent))
    return leading < 2 ? exponent - 1 : exponent
}

/// Values that share one uncertainty, rounded to its decimal place, and the power of ten they are
/// written against (0, or a common exponent for very small or large values: `1.20e-5`); nil
/// without a finite, nonzero uncertainty.
private func formatShared(_ values: [Double], halfWidth: Double) -> (texts: [String], exponent: Int)? {
    guard let place = uncertaintyExponent(halfWidth) else { return nil }
    let largest = values.filter(\.isFinite).map { Swift.abs($0) }.max() ?? 0
    let magnitude = largest > 0 ? Int(log10(largest).rounded(.down)) : place
    let exponent = (magnitude < -3 || magnitude >= 6) ? magnitude : 0
    // At most six significant digits, however tight the interval.
    let decimals = max(0, min(exponent - place, exponent - magnitude + 5))
    let texts = values.map { value -> String in
        guard value.isFinite else { return formatNumber(value) }
        var text = fixed(value / pow(10, Double(exponent)), decimals: decimals)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { text.removeFirst() }
        return text
    }
    return (texts, exponent)
}

/// A difference and its interval's bounds, in one notation.
private func formatTogether(_ values: Double..., halfWidth: Double) -> (String, String, String) {
    let texts: [String]
    if let (shared, exponent) = formatShared(values, halfWidth: halfWidth) {
        texts = exponent == 0 ? shared : shared.map { $0 + "e\(exponent)" }
    } else {
        texts = values.map(formatSignificant)
    }
    return (texts[0], texts[1], texts[2])
}

/// `0.973 ± 0.004`, or `(1.20 ± 0.03)e-5` when the mean is very small or large.
private func formatUncertain(_ mean: Double, halfWidth: Double) -> String {
    guard mean.isFinite, let (texts, exponent) = formatShared([mean, halfWidth], halfWidth: halfWidth) else {
        return "\(formatSignificant(mean)) ± \(formatSignificant(halfWidth))"
    }
    return exponent == 0 ? "\(texts[0]) ± \(texts[1])" : "(\(texts[0]) ± \(texts[1]))e\(exponent)"
}

private func fixed(_ value: Double, decimals: Int) -> String {
    let rounded = (value * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals))
    var text = formatNumber(rounded)
    if text.contains("e") { return text }
    let current = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
    if decimals > 0 && current == 0 && !text.contains(".") { text += "." }
    return text + String(repeating: "0", count: max(0, decimals - current))
}

func formatSignificant(_ x: Double) -> String {
    guard x.isFinite, x != 0 else { return formatNumber(x) }
    return formatNumber(roundToDigits(x, 3 - Int(log10(Swift.abs(x)).rounded(.down))))
}

/// p-values with two significant digits: 0.031, 0.0004, 2.1e-08.
private func formatP(_ p: Double) -> String {
    guard p > 0 else { return formatNumber(p) }
    return formatNumber(roundToDigits(p, 1 - Int(log10(p).rounded(.down))))
}

// MARK: - What one seed returns

/// A seed's result reduced to numbers: what crosses from a worker process to the caller.
private indirect enum Measurement {
    case number(Double)
    case tensor(shape: [Int], elements: [Double])
    case record([(String, Measurement)])

    /// Throws a MeasurementError saying what the value is when replicate cannot summarise it.
    init(_ value: Value) throws {
        switch value {
        case .number(let x): self = .number(x)
        // As NumPy averages booleans: the mean of a yes/no outcome is how often it happened.
        case .bool(let b): self = .number(b ? 1 : 0)
        case .object(let object as TensorObject):
            self = object.tensor.rank == 0 ? .number(object.tensor.scalarValue ?? .nan)
                : .tensor(shape: object.tensor.shape, elements: object.tensor.elements)
        case .list:
            guard let tensor = try? makeTensor(value), tensor.rank >= 1 else {
                throw MeasurementError(description: "a list that is not a rectangular list of numbers")
            }
            self = .tensor(shape: tensor.shape, elements: tensor.elements)
        case .record(let record):
            guard !record.fields.isEmpty else { throw MeasurementError(description: "an empty record") }
            var fields: [(String, Measurement)] = []
            for (name, field) in record.fields {
                do { fields.append((name, try Measurement(field))) } catch let error as MeasurementError {
                    throw MeasurementError(description: "a record whose field '\(name)' is \(error.description)")
                }
            }
            self = .record(fields)
        default:
            throw MeasurementError(description: value.typeName == "nil" ? "nil" : "a \(value.typeName)")
        }
    }

    /// How many numbers it holds.
    var count: Int {
        switch self {
        case .number: 1
        case .tensor(_, let elements): elements.count
        case .record(let fields): fields.reduce(0) { $0 + $1.1.count }
        }
    }

    var kind: String {
        switch self {
        case .number: "a number"
        case .tensor(let shape, _): "a tensor of shape \(describe(shape))"
        case .record(let fields): "a record with fields \(fields.map(\.0).joined(separator: ", "))"
        }
    }

    func encode(_ writer: inout WireWriter) {
        switch self {
        case .number(let x):
            writer.append(0)
            writer.append(x)
        case .tensor(let shape, let elements):
            writer.append(1)
            writer.append(shape.count)
            for dimension in shape { writer.append(dimension) }
            writer.append(elements.count)
            for element in elements { writer.append(element) }
        case .record(let fields):
            writer.append(2)
            writer.append(fields.count)
            for (name, field) in fields {
                writer.append(name)
                field.encode(&writer)
            }
        }
    }

    static func decode(_ reader: inout WireReader, depth: Int = 0) -> Measurement? {
        guard depth < 64, let tag = reader.integer() else { return nil }
        switch tag {
        case 0: return reader.double().map(Measurement.number)
        case 1:
            guard let rank = reader.integer(), rank >= 0, rank <= 64 else { return nil }
            var shape: [Int] = []
            for _ in 0..<rank { guard let dimension = reader.integer() else { return nil }; shape.append(dimension) }
            guard let count = reader.integer(), count >= 0 else { return nil }
            var elements: [Double] = []
            for _ in 0..<count { guard let element = reader.double() else { return nil }; elements.append(element) }
            return .tensor(shape: shape, elements: elements)
        case 2:
            guard let count = reader.integer(), count >= 0 else { return nil }
            var fields: [(String, Measurement)] = []
            for _ in 0..<count {
                guard let name = reader.string(), let field = decode(&reader, depth: depth + 1) else { return nil }
                fields.append((name, field))
            }
            return .record(fields)
        default: return nil
        }
    }
}

private struct MeasurementError: Error { let description: String }

/// How one seed ended, with what it printed.
private enum SeedOutcome {
    case measured(Measurement)
    case failed(Diagnostic)
    case interrupted

    func encode(output: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.append(output)
        switch self {
        case .measured(let measurement):
            writer.append(0)
            measurement.encode(&writer)
        case .failed(let diagnostic):
            writer.append(1)
            writer.append(diagnostic.message)
            writer.append(diagnostic.kind == .timedOut ? 1 : 0)
            encode(diagnostic.span, &writer)
            writer.append(diagnostic.trace.count)
            for frame in diagnostic.trace {
                writer.append(frame.function)
                encode(frame.span, &writer)
            }
        case .interrupted:
            writer.append(2)
        }
        return writer.bytes
    }

    private func encode(_ span: SourceSpan?, _ writer: inout WireWriter) {
        guard let span else { writer.append(0); return }
        writer.append(1)
        for part in [span.file, span.start, span.end, span.point] { writer.append(Int(part)) }
    }

    static func decode(_ bytes: [UInt8]) -> (SeedOutcome, output: [UInt8])? {
        var reader = WireReader(bytes)
        guard let output = reader.run(), let tag = reader.integer() else { return nil }
        switch tag {
        case 0: return Measurement.decode(&reader).map { (.measured($0), output) }
        case 1:
            guard let message = reader.string(), let timedOut = reader.integer(), let span = decodeSpan(&reader),
                  let frames = reader.integer(), frames >= 0 else { return nil }
            var diagnostic = Diagnostic(message, at: span, kind: timedOut == 1 ? .timedOut : .error)
            for _ in 0..<frames {
                guard let function = reader.string(), let frameSpan = decodeSpan(&reader), let frameSpan else { return nil }
                diagnostic.trace.append(.init(function: function, span: frameSpan))
            }
            return (.failed(diagnostic), output)
        case 2: return (.interrupted, output)
        default: return nil
        }
    }

    /// nil when the bytes are malformed; .some(nil) for a diagnostic without a location.
    private static func decodeSpan(_ reader: inout WireReader) -> SourceSpan?? {
        guard let present = reader.integer() else { return nil }
        if present == 0 { return .some(nil) }
        guard let file = reader.integer(), let start = reader.integer(), let end = reader.integer(), let point = reader.integer() else { return nil }
        return .some(SourceSpan(file: file, start: start, end: end, point: point))
    }
}

// MARK: - replicate and compare

extension Arguments {
    /// An argument by its parameter name, so that adding a parameter cannot shift what is read.
    func named(_ name: String) -> (value: Value, index: Int) {
        // trap-ok: callers name parameters of their own signature
        let index = function.parameters.firstIndex { $0.name == name }!
        return (self[index], index)
    }

    /// The argument's source text when it names a value (`cosine`, `r.accuracy`, `runs["step"]`),
    /// to label it in a message; nil for anything longer or computed.
    func nameText(ofArgument index: Int) -> String? {
        let span = span(ofArgument: index)
        guard span != self.span, let file = ip.sources.file(span.file) else { return nil }
        let text = file.text(of: span)
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, text.count <= 32,
              text.unicodeScalars.allSatisfy({ $0 == "_" || $0 == "." || $0 == "[" || $0 == "]" || $0 == "\"" || $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        else { return nil }
        return text
    }
}

/// The seeds a replicate runs: `seeds: 5` means 0 to 4; a list gives them.
private func replicateSeeds(_ args: Arguments) throws -> [Int] {
    let (value, index) = args.named("seeds")
    let seeds: [Int]
    if case .number = value {
        let count = try args.integer(index)
        guard count >= 1, count <= 100_000 else { throw args.error("replicate(): seeds must be between 1 and 100000, got \(count)", argument: index) }
        seeds = Array(0..<count)
    } else if case .list(let list) = value {
        guard !list.items.isEmpty, list.items.count <= 100_000 else {
            throw args.error("replicate(): seeds must list between 1 and 100000 seeds, got \(list.items.count)", argument: index)
        }
        seeds = try list.items.map { item in
            guard case .number(let x) = item, x == x.rounded(), x >= 0, x < 1e15 else {
                throw args.error("replicate(): each seed must be a whole number of at least 0, got \(item.reprString)", argument: index)
            }
            return Int(x)
        }
        var seen = Set<Int>()
        for seed in seeds where !seen.insert(seed).inserted {
            throw args.error("replicate(): seed \(seed) appears twice; replicates need distinct seeds", argument: index)
        }
    } else {
        throw args.typeError(index, expected: "a number of seeds or a list of seeds")
    }
    return seeds
}

/// Runs f(seed) for every seed on the worker pool and gathers what each returned and printed, and
/// whether this process was interrupted (Ctrl-C or the time limit) while it ran seeds. A seed that
/// fails or is interrupted stops the others: the replicate cannot succeed any more.
private func runSeeds(_ args: Arguments, _ f: Value, _ seeds: [Int], workers: Int) throws -> (results: [(SeedOutcome, [UInt8])?], interrupted: Bool) {
    let ip = args.ip
    ip.output.flush()
    let saved = (random: ip.random, workers: ip.defaultWorkers, progress: ip.showsProgress)
    ip.defaultWorkers = 1  // nested searches and replicates stay in their worker process
    ip.showsProgress = false
    defer {
        ip.random = saved.random
        _ = ip.random.next()  // the session's stream moves on, the same whichever process ran what
        ip.defaultWorkers = saved.workers
        ip.showsProgress = saved.progress
    }
    var interrupted = false
    func runSeed(_ position: Int) -> (bytes: [UInt8], stop: Bool) {
        let seed = seeds[position]
        ip.random = ip.generator(seed: UInt64(seed))
        ip.output.diverted = []
        let outcome: SeedOutcome
        do {
            let value = try args.call(f, .number(Double(seed)))
            do {
                let measurement = try Measurement(value)
                // Every seed returns as many numbers, so the first result bounds what all of them take.
                let bytes = measurement.count.multipliedReportingOverflow(by: 8 * seeds.count)
                if bytes.overflow || bytes.partialValue > TensorMemoryLimit.maxBytes {
                    outcome = .failed(args.error("replicate(): f(\(seed)) returned \(measurement.count) numbers; kept for \(seeds.count) seeds they would take more than the tensor memory limit (\(TensorMemoryLimit.maxBytes) bytes)"))
                } else {
                    outcome = .measured(measurement)
                }
            } catch let error as MeasurementError {
                outcome = .failed(args.error("replicate(): f(\(seed)) returned \(error.description); it must return a number (or bool), a tensor, a list of numbers or a record of them"))
            }
        } catch let diagnostic as Diagnostic {
            outcome = diagnostic.kind == .interrupted ? .interrupted : .failed(diagnostic)
        } catch {
            outcome = .failed(args.error("replicate(): f(\(seed)) failed: \(error)"))
        }
        ip.output.flush()
        let printed = ip.output.diverted ?? []
        ip.output.diverted = nil
        switch outcome {
        case .measured: return (outcome.encode(output: printed), false)
        case .interrupted: interrupted = true
        case .failed: break
        }
        return (outcome.encode(output: printed), true)
    }
    let pool = ProcessPool(workers: workers)
    let encoded: [[UInt8]?]
    do {
        encoded = try pool.run(count: seeds.count, task: runSeed, waiting: { ip.interrupt.isRaised })
    } catch {
        throw args.error("replicate(): \(error.message)")
    }
    return (encoded.map { $0.flatMap(SeedOutcome.decode) }, interrupted || ip.interrupt.isRaised)
}

/// The seeds' measurements, checked to have one structure, as replicates (a record of them for records).
private func gather(_ measurements: [Measurement], seeds: [Int], _ args: Arguments, path: String = "") throws -> Value {
    // trap-ok: at least one seed ran
    let first = measurements[0]
    func mismatch(_ position: Int) -> Diagnostic {
        args.error("replicate(): f(\(seeds[position])) returned \(measurements[position].kind)\(path.isEmpty ? "" : " at \(path)"), but f(\(seeds[0])) returned \(first.kind); every seed must return the same kind of value")
    }
    switch first {
    case .number:
        var samples: [[Double]] = []
        for (position, measurement) in measurements.enumerated() {
            guard case .number(let x) = measurement else { throw mismatch(position) }
            samples.append([x])
        }
        return .object(try summarised(seeds: seeds, shape: nil, samples: samples, args))
    case .tensor(let shape, _):
        var samples: [[Double]] = []
        for (position, measurement) in measurements.enumerated() {
            guard case .tensor(let other, let elements) = measurement, other == shape else { throw mismatch(position) }
            samples.append(elements)
        }
        return .object(try summarised(seeds: seeds, shape: shape, samples: samples, args))
    case .record(let fields):
        let record = RecordObject()
        for (offset, (name, _)) in fields.enumerated() {
            var column: [Measurement] = []
            for (position, measurement) in measurements.enumerated() {
                guard case .record(let others) = measurement, others.count == fields.count, others[offset].0 == name else { throw mismatch(position) }
                column.append(others[offset].1)
            }
            record.fields[name] = try gather(column, seeds: seeds, args, path: path.isEmpty ? name : path + "." + name)
        }
        return .record(record)
    }
}

private func summarised(seeds: [Int], shape: [Int]?, samples: [[Double]], _ args: Arguments) throws -> ReplicatesObject {
    do { return try ReplicatesObject(seeds: seeds, shape: shape, samples: samples) } catch let error as StatisticsError {
        throw args.error("replicate(): \(error.message)")
    }
}

/// One side of a comparison: a replicate of a number, or numbers measured elsewhere.
private func comparedSide(_ args: Arguments, _ name: String) throws -> (values: [Double], seeds: [Int]?, label: String) {
    let (value, index) = args.named(name)
    let label = args.nameText(ofArgument: index) ?? name
    switch value {
    case .object(let replicates as ReplicatesObject):
        guard replicates.shape == nil else {
            throw args.error("compare() needs replicates of one number; \(label) holds a tensor of shape \(describe(replicates.shape ?? [])) per seed (return the number to compare, such as the last loss, from f)", argument: index)
        }
        return (replicates.samples.map { $0[0] }, replicates.seeds, label)
    case .list, .object(_ as TensorObject):
        let tensor = try args.tensor(index)
        guard tensor.rank == 1 else {
            throw args.error("compare() needs a flat list of numbers for \(name), got shape \(describe(tensor.shape))", argument: index)
        }
        return (tensor.elements, nil, label)
    default:
        throw args.typeError(index, expected: "replicates of a number (from replicate) or a list of numbers")
    }
}

extension Builtins {
    static var statistics: [BuiltinFunction] {
        let category = "Statistics"
        return [
            define("replicate(f, seeds: 5, workers: nil)", category,
                   "Runs f(seed) for seeds 0 to seeds - 1 (or for each seed of a list), each with the session's random numbers restarted from its seed as seed(k) does, in parallel worker processes, and summarises what f returns: replicates with values, mean, std, stderr, n and a 95% Student-t interval ci. f may return a number (a bool counts as 0 or 1), a tensor or list (summarised element by element) or a record of them (a record of replicates). Results and printed output are the same for any number of workers; changes f makes to variables outside itself are not kept when it runs in a worker.",
                   example: "replicate(fn(s) => mean(randn([100])), seeds: 5).n") { args in
                let f = try args.function(0)
                let seeds = try replicateSeeds(args)
                let (workersValue, workersIndex) = args.named("workers")
                var workers = args.ip.defaultWorkers
                if !workersValue.isNil {
                    workers = try args.integer(workersIndex)
                    guard workers >= 1, workers <= 256 else {
                        throw args.error("replicate(): workers must be between 1 and 256, got \(workers)", argument: workersIndex)
                    }
                }
                let (results, stoppedByUser) = try runSeeds(args, f, seeds, workers: workers)
                if stoppedByUser {
                    if args.ip.interrupt.hasExpired { throw args.ip.timeLimitReached(at: args.span) }
                    args.ip.interrupt.clear()
                    throw Diagnostic("interrupted", at: args.span, kind: .interrupted)
                }
                // What the seeds printed, in seed order, up to the first that did not finish.
                var measurements: [Measurement] = []
                for (seed, result) in zip(seeds, results) {
                    guard let (outcome, printed) = result else {
                        throw args.error("replicate(): the worker process running f(\(seed)) ended before reporting")
                    }
                    if !printed.isEmpty { args.ip.output.write(String(decoding: printed, as: UTF8.self)) }
                    switch outcome {
                    case .measured(let measurement): measurements.append(measurement)
                    case .interrupted: break
                    case .failed(var diagnostic):
                        if !diagnostic.message.hasPrefix("replicate()") { diagnostic.message += " (in f(\(seed)), run by replicate)" }
                        throw diagnostic
                    }
                }
                // A worker stopped by a signal this process did not see (not Ctrl-C, which reaches both).
                guard measurements.count == seeds.count else { throw Diagnostic("interrupted", at: args.span, kind: .interrupted) }
                return try gather(measurements, seeds: seeds, args)
            },
            define("compare(a, b, paired: true)", category,
                   "Tests whether a and b differ: replicates of a number (from replicate) or lists of numbers measured elsewhere. paired: the same seeds on both sides, a paired t-test (scipy.stats.ttest_rel); paired: false, Welch's t-test (ttest_ind with equal_var=False). Returns mean_diff (mean of a - b), ci (its 95% interval), p (two-sided), n, t and df, and prints one line.",
                   example: "compare([0.97, 0.96, 0.98, 0.97, 0.99], [0.95, 0.95, 0.97, 0.96, 0.97]).p < 0.05") { args in
                let a = try comparedSide(args, "a"), b = try comparedSide(args, "b")
                let (pairedValue, pairedIndex) = args.named("paired")
                let paired = pairedValue.isTruthy
                if paired, let seedsA = a.seeds, let seedsB = b.seeds, seedsA != seedsB {
                    throw args.error("compare(): a paired comparison needs the same seeds on both sides; \(a.label) ran seeds \(Value.list(seedsA.map { .number(Double($0)) }).reprString) and \(b.label) ran \(Value.list(seedsB.map { .number(Double($0)) }).reprString) (use paired: false for unrelated runs)", argument: pairedIndex)
                }
                do {
                    let test = paired ? try TTest.paired(a.values, b.values) : try TTest.welch(a.values, b.values)
                    return .object(ComparisonObject(test: test, names: (a.label, b.label), counts: (a.values.count, b.values.count)))
                } catch let error as StatisticsError {
                    throw args.error("compare(): \(error.message)\(paired && a.values.count != b.values.count ? " (use paired: false for samples of different sizes)" : "")")
                }
            },
        ]
    }
}
