import DescentData
import DescentOptim
import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// train() and noise_scale(): the training loop written once.

/// Seconds on a clock that never jumps, for durations.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// `[X, Y]` from a `data:` or `val:` argument.
private func dataPair(_ value: Value, _ name: String, _ args: Arguments, argument: Int) throws -> (Tensor, Tensor) {
    guard case .list(let list) = value, list.items.count == 2 else {
        throw args.error("train() expects \(name) as [X, Y], got \(value.typeName)", argument: argument)
    }
    do {
        let x = try makeTensor(list.items[0]), y = try makeTensor(list.items[1])
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0] else {
            throw args.error("train() needs as many targets as samples in \(name): X has shape \(describe(x.shape)), Y has shape \(describe(y.shape))", argument: argument)
        }
        return (x, y)
    } catch let error as TensorError {
        throw args.error("train(): \(name): \(error.message)", argument: argument)
    }
}

extension OptimizerObject {
    /// The loss at the optimizer's parameters on (x, y), and its gradients, one per parameter tensor.
    func lossAndGradients(_ loss: Value, _ x: Tensor, _ y: Tensor, _ args: Arguments) throws -> (Double, [Tensor]) {
        let result = try ip.gradients.valueAndGradients(at: tensors.map(\.tensor)) { leaves in
            var position = 0
            let parameters = rebuildLike(self.parameters, leaves, &position)
            let value = try args.call(loss, [parameters, .object(TensorObject(x)), .object(TensorObject(y))])
            switch value {
            case .number(let number): return Tensor(scalar: number)
            case .object(let object as TensorObject): return object.tensor
            default: throw args.error("train() needs loss(params, X, Y) to return a number, got \(value.typeName)", argument: 0)
            }
        }
        guard let value = result.value.scalarValue else {
            throw args.error("train() needs loss(params, X, Y) to return one number, got a tensor of shape \(DescentTensor.describe(result.value.shape))", argument: 0)
        }
        return (value, result.gradients)
    }

    /// The loss at the current parameters, without gradients.
    func evaluate(_ loss: Value, _ x: Tensor, _ y: Tensor, _ args: Arguments) throws -> Double {
        let value = try args.call(loss, [parameters, .object(TensorObject(x)), .object(TensorObject(y))])
        switch value {
        case .number(let number): return number
        // trap-ok: the where clause checked it
        case .object(let object as TensorObject) where object.tensor.scalarValue != nil: return object.tensor.scalarValue!
        default: throw args.error("train() needs loss(params, X, Y) to return one number, got \(value.typeName)", argument: 0)
        }
    }
}

extension Builtins {
    static var training: [BuiltinFunction] {
        let category = "Training"
        return [
            define("train(loss, params, data, opt: \"adam\", lr: nil, epochs: 10, batch_size: 32, val: nil, early_stopping: nil, on_epoch: nil, verbose: nil, seed: nil)",
                   category,
                   "Trains params (updated in place) on data = [X, Y] with mini-batches of loss(params, X, Y); returns the history. opt is a first-order optimizer over params (not newton) or its name; early_stopping: {patience:, min_delta:} restores the best parameters; Ctrl-C stops and returns the history so far.",
                   example: "train(fn(p, X, Y) => mse(X @ p.w, Y), {w: zeros([1, 1])}, [ones([4, 1]), ones([4, 1])], opt: \"sgd\", lr: 0.1, epochs: 3).epochs") { args in
                try train(args)
            },
            define("noise_scale(loss, params, X, Y, size: 32, seed: nil)", category,
                   "How noisy mini-batch gradients are: the mean squared distance between the gradients of one epoch's batches of `size` and the full-batch gradient.",
                   example: "noise_scale(fn(p, X, Y) => mse(X @ p, Y), zeros([1, 1]), ones([8, 1]), ones([8, 1]), size: 4)") { args in
                try noiseScale(args)
            },
        ]
    }
}

private func train(_ args: Arguments) throws -> Value {
    let loss = try args.function(0)
    let (x, y) = try dataPair(args[2], "data", args, argument: 2)
    guard x.shape[0] > 0 else { throw args.error("train() needs at least one sample in data", argument: 2) }
    let optimizer: OptimizerObject
    switch args[3] {
    case .object(let existing as OptimizerObject):
        optimizer = existing
        if !args[4].isNil { optimizer.learningRate = args[4] }
    case .string(let name):
        var options: [(name: String, value: Value)] = [("params", args[1])]
        if !args[4].isNil { options.append(("lr", args[4])) }
        guard let maker = args.ip.globals[name.value], case .function = maker,
              OptimizerCatalog.entries.contains(where: { $0.name == name.value }) else {
            throw args.error("train(): unknown optimizer \"\(name.value)\"; choose one of \(OptimizerCatalog.entries.map { "\"\($0.name)\"" }.joined(separator: ", ")), or pass an optimizer", argument: 3)
        }
        let made = try args.ip.call(maker, options.map(\.value), site: args.site)
        guard case .object(let object as OptimizerObject) = made else { throw args.error("train(): \(name.value) did not make an optimizer", argument: 3) }
        optimizer = object
    default:
        throw args.error("train() expects opt as an optimizer (adam(params, lr: 0.01)) or a name (\"adam\"), got \(args[3].typeName)", argument: 3)
    }
    if case .newton = optimizer.method {
        throw args.error("train() takes a first-order optimizer; \(optimizer.name) needs the Hessian at every step (use minimize(f, x0, opt: \"\(optimizer.name)\") or opt.step(grads, hessian))", argument: 3)
    }
    let given = try parameterTensors(args[1], path: "params", args)
    guard given.count == optimizer.tensors.count, zip(given, optimizer.tensors).allSatisfy({ $0 === $1 }) else {
        throw args.error("train(): opt must be an optimizer over these params", argument: 3)
    }
    let epochs = try args.integer(5)
    let batchSize = try args.integer(6)
    guard epochs >= 0 else { throw args.error("train(): epochs must be at least 0, got \(epochs)", argument: 5) }
    guard batchSize >= 1 else { throw args.error("train(): batch_size must be at least 1, got \(batchSize)", argument: 6) }
    let validation = args[7].isNil ? nil : try dataPair(args[7], "val", args, argument: 7)
    var patience = Int.max, minDelta = 0.0
    if !args[8].isNil {
        let settings = try args.record(8)
        for key in settings.fields.keys where key != "patience" && key != "min_delta" {
            throw args.error("train(): early_stopping takes patience and min_delta, not '\(key)'", argument: 8)
        }
        if case .number(let p)? = settings.fields["patience"] { patience = Int(p) } else { patience = 5 }
        if case .number(let d)? = settings.fields["min_delta"] { minDelta = d }
    }
    let verbose = args[10].isNil ? args.ip.showsProgress : args[10].isTruthy
    var generator = args[11].isNil ? RandomGenerator(seed: args.ip.random.next()) : args.ip.generator(seed: UInt64(max(0, try args.integer(11))))

    let start = monotonicSeconds()
    var stepLosses: [Double] = [], stepRates: [Double] = [], epochLosses: [Double] = [], validationLosses: [Double] = []
    var best = Double.infinity, bestEpoch = 0, bestParameters = optimizer.tensors.map(\.tensor), waited = 0
    var stoppedEarly = false, interrupted = false
    var lastDrawn = 0.0  // the progress bar is redrawn at most ten times a second
    do {
        epochLoop: for epoch in 1...max(epochs, 1) where epochs > 0 {
            let epochStart = monotonicSeconds()
            var total = 0.0, seen = 0
            let plan = Datasets.batchIndices(count: x.shape[0], size: batchSize, shuffle: true, dropLast: false, generator: &generator)
            for (index, batch) in plan.enumerated() {
                try args.ip.checkInterrupt(at: args.span)
                let xb = try x.rows(batch), yb = try y.rows(batch)
                let (value, gradients) = try optimizer.lossAndGradients(loss, xb, yb, args)
                guard value.isFinite else {
                    throw args.error("loss became \(formatNumber(value)) at step \(stepLosses.count) (lr = \(formatNumber(try optimizer.currentRate(site: args.site)))); the learning rate is probably too high")
                }
                stepRates.append(try optimizer.currentRate(site: args.site))
                try optimizer.apply(gradients, site: args.site)
                stepLosses.append(value)
                total += value * Double(batch.count)
                seen += batch.count
                if verbose && args.ip.showsProgress && monotonicSeconds() - lastDrawn > 0.1 {
                    lastDrawn = monotonicSeconds()
                    let rate = Double(index + 1) / max(monotonicSeconds() - epochStart, 1e-9)
                    // trap-ok: a rate was appended for this step
                    args.ip.output.write("\r" + progressLine(epoch, epochs, index + 1, plan.count, total / Double(seen), nil, stepRates.last!, rate) + "\u{1B}[K")
                    args.ip.output.flush()
                }
            }
            let trainLoss = seen > 0 ? total / Double(seen) : .nan
            epochLosses.append(trainLoss)
            var monitored = trainLoss
            if let (vx, vy) = validation {
                let value = try optimizer.evaluate(loss, vx, vy, args)
                validationLosses.append(value)
                monitored = value
            }
            if verbose {
                let rate = Double(plan.count) / max(monotonicSeconds() - epochStart, 1e-9)
                let line = progressLine(epoch, epochs, plan.count, plan.count, trainLoss, validationLosses.last, stepRates.last ?? .nan, rate)
                // On a terminal the final line overwrites the in-progress one, which may be longer.
                args.ip.output.write(args.ip.showsProgress ? "\r" + line + "\u{1B}[K\n" : line + "\n")
            }
            if monitored < best - minDelta {
                best = monitored
                bestEpoch = epoch
                bestParameters = optimizer.tensors.map(\.tensor)
                waited = 0
            } else {
                waited += 1
                if waited >= patience {
                    stoppedEarly = true
                    break epochLoop
                }
            }
            if case .function = args[9] {
                let record = RecordObject()
                record.fields["epoch"] = .number(Double(epoch))
                record.fields["loss"] = .number(trainLoss)
                record.fields["val_loss"] = validationLosses.last.map { .number($0) } ?? .nil
                record.fields["lr"] = .number(stepRates.last ?? .nan)
                if case .bool(false) = try args.call(args[9], .record(record)) { break epochLoop }
            }
        }
    } catch let diagnostic as Diagnostic where diagnostic.kind == .interrupted {
        // Handled: training returns what it has, unless a time limit ended the program. (A kernel
        // that stopped on the flag left it raised.)
        if args.ip.interrupt.hasExpired { try args.ip.checkInterrupt(at: args.span) }
        args.ip.interrupt.clear()
        interrupted = true
        if verbose { args.ip.output.write("\ninterrupted after \(epochLosses.count) epochs\n") }
    }
    if stoppedEarly {
        for (object, value) in zip(optimizer.tensors, bestParameters) { object.tensor = value }
    }
    let history = RecordObject()
    func series(_ values: [Double]) throws -> Value { .object(TensorObject(try Tensor(shape: [values.count], elements: values))) }
    history.fields["loss"] = try series(stepLosses)
    history.fields["lr"] = try series(stepRates)
    history.fields["epoch_loss"] = try series(epochLosses)
    history.fields["val_loss"] = try series(validationLosses)
    history.fields["epochs"] = .number(Double(epochLosses.count))
    history.fields["best_epoch"] = .number(Double(bestEpoch))
    history.fields["stopped_early"] = .bool(stoppedEarly)
    history.fields["interrupted"] = .bool(interrupted)
    history.fields["time"] = .number(monotonicSeconds() - start)
    return .record(history)
}

/// `epoch  3/20  [##########----------]  loss 0.1234  val 0.1456  lr 0.001  1520 steps/s`
private func progressLine(_ epoch: Int, _ epochs: Int, _ done: Int, _ total: Int, _ loss: Double, _ validation: Double?,
                          _ rate: Double, _ speed: Double) -> String {
    let width = 20
    let filled = total > 0 ? width * done / total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    let epochText = String(repeating: " ", count: max(0, String(epochs).count - String(epoch).count)) + "\(epoch)/\(epochs)"
    var line = "epoch \(epochText)  [\(bar)]  loss \(fixed(loss))"
    if let validation { line += "  val \(fixed(validation))" }
    return line + "  lr \(formatNumber(roundedToSignificantDigits(rate, 4)))  \(Int(speed.rounded())) steps/s"
}

/// A rate such as 0.020000000000000004 reads 0.02 on a progress line.
private func roundedToSignificantDigits(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite, x != 0 else { return x }
    let scale = pow(10, Double(digits) - (log10(Swift.abs(x))).rounded(.up))
    return (x * scale).rounded() / scale
}

/// Four decimals, as the progress line shows losses: `0.0350`.
private func fixed(_ x: Double) -> String {
    guard x.isFinite, Swift.abs(x) < 1e12 else { return formatNumber(x) }
    let scaled = Int64((Swift.abs(x) * 1e4).rounded())
    let digits = String(scaled % 10_000)
    return (x < 0 && scaled != 0 ? "-" : "") + "\(scaled / 10_000)." + String(repeating: "0", count: 4 - digits.count) + digits
}

private func noiseScale(_ args: Arguments) throws -> Value {
    let loss = try args.function(0)
    let x = try args.tensor(2), y = try args.tensor(3)
    let size = try args.integer(4)
    guard size >= 1 else { throw args.error("noise_scale(): size must be at least 1, got \(size)", argument: 4) }
    guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0] else {
        throw args.error("noise_scale() needs as many targets as samples: X has shape \(describe(x.shape)), Y has shape \(describe(y.shape))", argument: 3)
    }
    var leaves: [TensorObject] = []
    func collect(_ value: Value) throws {
        switch value {
        case .object(let object as TensorObject): leaves.append(object)
        case .list(let list): try list.items.forEach(collect)
        case .record(let record): try record.fields.values.forEach(collect)
        default: throw args.error("noise_scale() expects params as a tensor or a list/record of tensors, got \(value.typeName)", argument: 1)
        }
    }
    try collect(args[1])
    func gradient(_ xb: Tensor, _ yb: Tensor) throws -> [Double] {
        let result = try args.ip.gradients.valueAndGradients(at: leaves.map(\.tensor)) { traced in
            var position = 0
            let parameters = rebuildLike(args[1], traced, &position)
            let value = try args.call(loss, [parameters, .object(TensorObject(xb)), .object(TensorObject(yb))])
            switch value {
            case .number(let number): return Tensor(scalar: number)
            case .object(let object as TensorObject): return object.tensor
            default: throw args.error("noise_scale() needs loss(params, X, Y) to return a number, got \(value.typeName)", argument: 0)
            }
        }
        return result.gradients.flatMap(\.elements)
    }
    let full = try gradient(x, y)
    var generator = args[5].isNil ? RandomGenerator(seed: args.ip.random.next()) : args.ip.generator(seed: UInt64(max(0, try args.integer(5))))
    let plan = Datasets.batchIndices(count: x.shape[0], size: size, shuffle: true, dropLast: true, generator: &generator)
    guard !plan.isEmpty else { throw args.error("noise_scale(): size \(size) is larger than the \(x.shape[0]) samples", argument: 4) }
    var total = 0.0
    for batch in plan {
        try args.ip.checkInterrupt(at: args.span)
        let g = try gradient(try x.rows(batch), try y.rows(batch))
        total += zip(g, full).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    return .number(total / Double(plan.count))
}
