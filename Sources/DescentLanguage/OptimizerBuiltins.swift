import DescentOptim
import DescentTensor

// Optimizers, schedules and minimize(): the language side of DescentOptim. An optimizer value
// owns its parameters by reference (the same tensor objects the learner holds) and updates them
// in place; a schedule is a function of the step number that is also an object (`s.lr`,
// `s.observe(metric)` for plateau_lr).

/// An optimizer as a Descent value: `opt.step(grads)`, `opt.lr`, `opt.t`, `opt.state()`.
final class OptimizerObject: NativeObject {
    enum Method {
        case rule(Optimizer)
        /// Newton's method, plain or saddle-free (Dauphin et al.), with its damping.
        case newton(saddleFree: Bool, damping: Double)
    }

    let name: String
    let parameters: Value
    let tensors: [TensorObject]
    let method: Method
    /// A number, or a function of the step count (a schedule).
    var learningRate: Value
    private(set) var steps = 0
    unowned let ip: Interpreter
    /// Where the optimizer was made: the site of calls to its schedule outside `step`.
    let site: Node

    init(name: String, parameters: Value, tensors: [TensorObject], method: Method, learningRate: Value, ip: Interpreter, site: Node) {
        self.name = name; self.parameters = parameters; self.tensors = tensors; self.method = method
        self.learningRate = learningRate; self.ip = ip; self.site = site
    }

    override var typeName: String { "optimizer" }

    override func describe() -> String {
        let count = tensors.reduce(0) { $0 + $1.tensor.count }
        let rate = (try? currentRate(site: site)).map(formatNumber) ?? "?"
        return "<\(name) optimizer: \(describeCount(tensors.count, "tensor")), \(count) numbers, lr \(rate), t = \(steps)>"
    }

    /// The rate the next step uses: the schedule at the current step count.
    func currentRate(site: Node) throws -> Double {
        switch learningRate {
        case .number(let x): return x
        default:
            let value = try ip.call(learningRate, [.number(Double(steps))], site: site)
            guard case .number(let x) = value else {
                throw Diagnostic("the learning-rate schedule of \(name) returned \(value.typeName) at step \(steps); it must return a number", at: site.span)
            }
            return x
        }
    }

    override func field(_ field: String) -> Value? {
        switch field {
        case "lr": (try? currentRate(site: site)).map { .number($0) } ?? learningRate
        case "t": .number(Double(steps))
        case "params": parameters
        case "name": .str(name)
        case "step":
            .function(BuiltinFunction("step(grads, hessian: nil)", shownAs: "\(name).step(grads, hessian: nil)", category: "Optimizers",
                                      "", example: "") { [self] args in try step(args) })
        case "state":
            .function(BuiltinFunction("state()", shownAs: "\(name).state()", category: "Optimizers", "", example: "") { [self] args in
                try state(args)
            })
        default: nil
        }
    }

    override var fieldNames: [String] { ["lr", "name", "params", "state", "step", "t"] }

    override func setField(_ field: String, _ value: Value, at span: SourceSpan) throws -> Bool {
        switch field {
        case "lr":
            learningRate = try checkedLearningRate(value, at: span)
            return true
        case "t", "params", "name", "step", "state":
            throw Diagnostic("\(name) optimizer's '\(field)' cannot be assigned; only 'lr' can", at: span)
        default:
            return false
        }
    }

    private func step(_ args: Arguments) throws -> Value {
        let gradients = try matchingTensors(args[0], like: parameters, path: "grads", args)
        if case .rule = method, !args[1].isNil {
            throw args.error("\(name).step() takes no Hessian; only newton and saddle_free_newton do", argument: 1)
        }
        if case .newton = method, args[1].isNil {
            throw args.error("\(name).step(grads, hessian) needs the Hessian, as hessian(f)(x) computes it")
        }
        do {
            try apply(gradients, hessian: args[1].isNil ? nil : try args.tensor(1), site: args.site)
        } catch let error as OptimizationError {
            throw args.error(error.message)
        }
        return .nil
    }

    /// One update of the parameters by `gradients` (one per parameter tensor), in place.
    func apply(_ gradients: [Tensor], hessian: Tensor? = nil, site: Node) throws {
        let rate = try currentRate(site: site)
        // The objects let go of their tensors during the update, so that each tensor's storage is
        // uniquely referenced and updated in place rather than copied first.
        var values = tensors.map(\.tensor)
        let placeholder = Tensor(scalar: 0)
        for object in tensors { object.tensor = placeholder }
        defer { for (object, value) in zip(tensors, values) { object.tensor = value } }
        switch method {
        case .rule(let optimizer):
            try optimizer.update(&values, gradients: gradients, lr: rate)
        case .newton(let saddleFree, let damping):
            guard let hessian else { throw OptimizationError("\(name).step(grads, hessian) needs the Hessian, as hessian(f)(x) computes it") }
            let direction = try NewtonStep.direction(gradient: gradients[0], hessian: hessian, saddleFree: saddleFree, damping: damping)
            values[0] = try Tensor.binary(.subtract, values[0], Tensor.binary(.multiply, direction, Tensor(scalar: rate))).detached
            if values[0].withElements({ $0.contains { !$0.isFinite } }) {
                throw OptimizationError("a parameter became \(formatNumber(values[0].elements.first { !$0.isFinite }!)) at step \(steps + 1) (lr = \(formatNumber(rate))); the learning rate is probably too high")
            }
        }
        steps += 1
    }

    private func state(_ args: Arguments) throws -> Value {
        let record = RecordObject()
        record.fields["t"] = .number(Double(steps))
        if case .rule(let optimizer) = method {
            for (bufferName, buffers) in try optimizer.stateTensors() {
                var position = 0
                record.fields[bufferName] = rebuildLike(parameters, buffers, &position)
            }
        }
        return .record(record)
    }
}

/// The tensors of `value`, shaped like the parameters `like`: the same kind at every level, the
/// same keys, lengths and shapes.
private func matchingTensors(_ value: Value, like parameters: Value, path: @autoclosure () -> String, _ args: Arguments) throws -> [Tensor] {
    switch (parameters, value) {
    case (.object(let parameter as TensorObject), _):
        guard let tensor = try? makeTensor(value) else {
            throw args.error("\(args.function.name)() expects a tensor for \(path()), got \(value.typeName)", argument: 0)
        }
        let reshaped = tensor.count == parameter.tensor.count ? ((try? tensor.reshaped(parameter.tensor.shape)) ?? tensor) : tensor
        guard reshaped.shape == parameter.tensor.shape else {
            throw args.error("\(args.function.name)() got \(path()) of shape \(describe(tensor.shape)) for a parameter of shape \(describe(parameter.tensor.shape))", argument: 0)
        }
        return [reshaped]
    case (.list(let parameterList), .list(let gradientList)):
        guard parameterList.items.count == gradientList.items.count else {
            throw args.error("\(args.function.name)() got \(gradientList.items.count) gradients in \(path()) for \(parameterList.items.count) parameters", argument: 0)
        }
        return try zip(parameterList.items, gradientList.items).enumerated().flatMap { i, pair in
            try matchingTensors(pair.1, like: pair.0, path: "\(path())[\(i)]", args)
        }
    case (.record(let parameterRecord), .record(let gradientRecord)):
        return try parameterRecord.fields.flatMap { key, parameter in
            guard let gradient = gradientRecord.fields[key] else {
                throw args.error("\(args.function.name)() got no gradient \(path()).\(key) for the parameter \(key)", argument: 0)
            }
            return try matchingTensors(gradient, like: parameter, path: "\(path()).\(key)", args)
        }
    default:
        throw args.error("\(args.function.name)() expects \(path()) shaped like the parameters (\(parameters.typeName)), got \(value.typeName)", argument: 0)
    }
}

/// `tensors` put back into the shape of `parameters` (for `state()`).
func rebuildLike(_ parameters: Value, _ tensors: [Tensor], _ position: inout Int) -> Value {
    switch parameters {
    case .list(let list): return .list(list.items.map { rebuildLike($0, tensors, &position) })
    case .record(let record):
        let out = RecordObject()
        for (key, value) in record.fields { out.fields[key] = rebuildLike(value, tensors, &position) }
        return .record(out)
    default:
        defer { position += 1 }
        return .object(TensorObject(tensors[position]))
    }
}

/// The tensor objects of a parameter structure, in order: a tensor, or lists/records of them.
func parameterTensors(_ value: Value, path: String, _ args: Arguments) throws -> [TensorObject] {
    switch value {
    case .object(let object as TensorObject): return [object]
    case .list(let list): return try list.items.enumerated().flatMap { try parameterTensors($1, path: "\(path)[\($0)]", args) }
    case .record(let record): return try record.fields.flatMap { try parameterTensors($1, path: "\(path).\($0)", args) }
    case .number:
        throw args.error("\(args.function.name)() updates tensors in place, and \(path) is a number; wrap it as tensor(x)", argument: 0)
    default:
        throw args.error("\(args.function.name)() expects a tensor, or a list or record of tensors, for \(path), got \(value.typeName)", argument: 0)
    }
}

private func checkedLearningRate(_ value: Value, at span: SourceSpan) throws -> Value {
    switch value {
    case .number(let x):
        guard x.isFinite, x >= 0 else { throw Diagnostic("lr must be a finite number of at least 0, got \(formatNumber(x))", at: span) }
        return value
    case .function: return value
    default: throw Diagnostic("lr must be a number or a schedule (a function of the step), got \(value.typeName)", at: span)
    }
}

/// Runs a DescentOptim call, turning its errors into diagnostics at the argument they name.
private func catchingOptimization<Result>(_ args: Arguments, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as OptimizationError {
        let position = error.argument.flatMap { name in args.function.parameters.firstIndex { $0.name == name } }
        throw args.error("\(args.function.name)(): \(error.message)", argument: position)
    }
}

/// A built-in's arguments as DescentOptim options, for the ones the caller gave (nil means unset).
private func optimizerOptions(_ values: [(String, Value)], _ args: Arguments) throws -> [String: OptimizerCatalog.Option] {
    var options: [String: OptimizerCatalog.Option] = [:]
    for (name, value) in values {
        switch value {
        case .nil: continue
        case .number(let x): options[name] = .number(x)
        case .bool(let b): options[name] = .flag(b)
        case .list(let list):
            guard list.items.count == 2, case .number(let a) = list.items[0], case .number(let b) = list.items[1] else {
                throw args.error("\(args.function.name)(): \(name) must be a list of two numbers, as [0.9, 0.999]")
            }
            options[name] = .pair(a, b)
        default:
            throw args.error("\(args.function.name)(): \(name) must be a number, bool or pair of numbers, got \(value.typeName)")
        }
    }
    return options
}

extension Builtins {
    static var optimizers: [BuiltinFunction] {
        let category = "Optimizers"
        let rules = OptimizerCatalog.entries.map { entry -> BuiltinFunction in
            let options = entry.options.map { "\($0.name): \($0.defaultValue)" }.joined(separator: ", ")
            let signature = "\(entry.name)(params, lr: \(formatNumber(entry.defaultLearningRate)), \(options))"
            return define(signature, category,
                          "PyTorch's \(entry.name == "sgd" ? "SGD" : entry.name) with its defaults: updates the parameter tensors in place on opt.step(grads); lr may be a schedule.",
                          example: "\(entry.name)(zeros(2), lr: 0.1).lr") { args in
                let tensors = try parameterTensors(args[0], path: "params", args)
                let rate = try checkedLearningRate(args[1], at: args.span(ofArgument: 1))
                let values = entry.options.enumerated().map { ($1.name, args[$0 + 2]) }
                let rule = try catchingOptimization(args) { try OptimizerCatalog.rule(entry.name, options: try optimizerOptions(values, args)) }
                let optimizer = Optimizer(rule: rule, shapes: tensors.map(\.tensor.shape))
                return .object(OptimizerObject(name: entry.name, parameters: args[0], tensors: tensors, method: .rule(optimizer),
                                               learningRate: rate, ip: args.ip, site: args.site))
            }
        }
        func newton(_ name: String, saddleFree: Bool, summary: String, signature: String) -> BuiltinFunction {
            define(signature, category, summary, example: "\(name)(zeros(2)).lr") { args in
                let tensors = try parameterTensors(args[0], path: "params", args)
                guard tensors.count == 1 else { throw args.error("\(name)() works on one parameter tensor, got \(tensors.count)", argument: 0) }
                let damping = saddleFree ? try args.number(2) : 0
                guard damping >= 0, damping.isFinite else { throw args.error("\(name)(): damping must be at least 0, got \(formatNumber(damping))", argument: 2) }
                return .object(OptimizerObject(name: name, parameters: args[0], tensors: tensors,
                                               method: .newton(saddleFree: saddleFree, damping: damping),
                                               learningRate: try checkedLearningRate(args[1], at: args.span(ofArgument: 1)), ip: args.ip, site: args.site))
            }
        }
        return rules + [
            newton("newton", saddleFree: false,
                   summary: "Newton's method for one small parameter tensor: opt.step(grads, hessian) moves by -lr H⁻¹g (attracted to saddles too).",
                   signature: "newton(params, lr: 1)"),
            newton("saddle_free_newton", saddleFree: true,
                   summary: "Saddle-free Newton (Dauphin et al. 2014): -lr |H|⁻¹g with H's eigenvalues replaced by |λ| + damping, so it escapes saddles.",
                   signature: "saddle_free_newton(params, lr: 1, damping: 0.001)"),
            define("minimize(f, x0, opt: \"adam\", lr: nil, steps: 100, **options)", category,
                   "Runs an optimizer on number-valued f from x0; returns {x, points, losses, grad_norms, lrs} (the trajectory, ready to plot). Extra named options go to the optimizer.",
                   example: "minimize(fn(v) => sum(v ** 2), tensor([1, 2]), opt: \"sgd\", lr: 0.1, steps: 20).x") { args in
                try minimize(args)
            },
        ]
    }

    static var schedules: [BuiltinFunction] {
        let category = "Schedules"
        func schedule(_ signature: String, _ summary: String, example: String,
                      _ make: @escaping (Arguments) throws -> any ScheduleRule) -> BuiltinFunction {
            define(signature, category, summary, example: example) { args in
                let rule = try catchingOptimization(args) { try make(args) }
                return scheduleFunction(Schedule(rule), args)
            }
        }
        return [
            schedule("step_lr(lr, step_size, gamma: 0.1)", "PyTorch's StepLR: lr times gamma every step_size steps.",
                     example: "step_lr(0.1, 10)(25)") { args in
                try StepSchedule(lr: try args.number(0), stepSize: try args.integer(1), gamma: try args.number(2))
            },
            schedule("multistep_lr(lr, milestones, gamma: 0.1)", "PyTorch's MultiStepLR: lr times gamma at each milestone (twice for a repeated one).",
                     example: "multistep_lr(0.1, [10, 20])(15)") { args in
                try MultiStepSchedule(lr: try args.number(0), milestones: try args.shape(1), gamma: try args.number(2))
            },
            schedule("exponential_lr(lr, gamma)", "PyTorch's ExponentialLR: lr times gamma every step.", example: "exponential_lr(0.1, 0.9)(2)") { args in
                try ExponentialSchedule(lr: try args.number(0), gamma: try args.number(1))
            },
            schedule("constant_lr(lr, factor: 0.3333333333333333, total_iters: 5)", "PyTorch's ConstantLR: lr times factor until total_iters, then lr.",
                     example: "constant_lr(0.1, factor: 0.5)(0)") { args in
                try ConstantSchedule(lr: try args.number(0), factor: try args.number(1), totalIters: try args.integer(2))
            },
            schedule("linear_lr(lr, start_factor: 0.3333333333333333, end_factor: 1, total_iters: 5)",
                     "PyTorch's LinearLR: the factor moves linearly from start_factor to end_factor over total_iters steps (a warmup).",
                     example: "linear_lr(0.1, start_factor: 0.1, total_iters: 10)(5)") { args in
                try LinearSchedule(lr: try args.number(0), startFactor: try args.number(1), endFactor: try args.number(2), totalIters: try args.integer(3))
            },
            schedule("polynomial_lr(lr, total_iters: 5, power: 1)", "PyTorch's PolynomialLR: lr (1 - t/total_iters)^power, then 0.",
                     example: "polynomial_lr(0.1, total_iters: 10, power: 2)(5)") { args in
                try PolynomialSchedule(lr: try args.number(0), totalIters: try args.integer(1), power: try args.number(2))
            },
            schedule("cosine_lr(lr, t_max, eta_min: 0)", "PyTorch's CosineAnnealingLR: half a cosine from lr to eta_min over t_max steps (and back up after, as PyTorch does).",
                     example: "cosine_lr(0.1, 100)(50)") { args in
                try CosineSchedule(lr: try args.number(0), tMax: try args.integer(1), etaMin: try args.number(2))
            },
            schedule("cosine_restarts_lr(lr, t_0, t_mult: 1, eta_min: 0)", "PyTorch's CosineAnnealingWarmRestarts (SGDR): cosine cycles of t_0, t_0 t_mult, ... steps.",
                     example: "cosine_restarts_lr(0.1, 10)(10)") { args in
                try CosineRestartsSchedule(lr: try args.number(0), t0: try args.integer(1), tMult: try args.integer(2), etaMin: try args.number(3))
            },
            schedule("cyclic_lr(base_lr, max_lr, step_size_up: 2000, step_size_down: nil, mode: \"triangular\", gamma: 1)",
                     "PyTorch's CyclicLR: rates between base_lr and max_lr; mode \"triangular\", \"triangular2\" (halving) or \"exp_range\" (times gamma^t).",
                     example: "cyclic_lr(0.01, 0.1, step_size_up: 10)(5)") { args in
                let mode = try choice(args, 4, CyclicSchedule.Mode.self)
                let down: Int? = args[3].isNil ? nil : try args.integer(3)
                return try CyclicSchedule(baseLR: try args.number(0), maxLR: try args.number(1), stepSizeUp: try args.integer(2),
                                          stepSizeDown: down, mode: mode, gamma: try args.number(5))
            },
            schedule("one_cycle_lr(max_lr, total_steps, pct_start: 0.3, anneal_strategy: \"cos\", div_factor: 25, final_div_factor: 10000, three_phase: false)",
                     "PyTorch's OneCycleLR: warm up to max_lr, then anneal far below the start; defined up to total_steps.",
                     example: "one_cycle_lr(0.1, 100)(30)") { args in
                try OneCycleSchedule(maxLR: try args.number(0), totalSteps: try args.integer(1), pctStart: try args.number(2),
                                     anneal: try choice(args, 3, OneCycleSchedule.Anneal.self), divFactor: try args.number(4),
                                     finalDivFactor: try args.number(5), threePhase: args[6].isTruthy)
            },
            schedule("inverse_time_lr(lr, decay_rate, decay_steps: 1, staircase: false)",
                     "Keras' 1/t decay: lr / (1 + decay_rate t / decay_steps), the quotient floored when staircase.",
                     example: "inverse_time_lr(0.1, 1)(9)") { args in
                try InverseTimeSchedule(lr: try args.number(0), decayRate: try args.number(1), decaySteps: try args.integer(2), staircase: args[3].isTruthy)
            },
            schedule("lambda_lr(lr, factor)", "PyTorch's LambdaLR: lr times factor(t), for any function factor of the step.",
                     example: "lambda_lr(0.1, fn(t) => 0.5 ** t)(3)") { args in
                let factor = try args.function(1)
                let ip = args.ip, site = args.site
                return try LambdaSchedule(lr: try args.number(0)) { [unowned ip] t in
                    let value = try ip.call(factor, [.number(Double(t))], site: site)
                    guard case .number(let x) = value else {
                        throw OptimizationError("lambda_lr's factor returned \(value.typeName) at step \(t); it must return a number")
                    }
                    return x
                }
            },
            schedule("sequential_lr(schedules, milestones)",
                     "PyTorch's SequentialLR: schedule i takes over at milestone i-1, restarted from its own step 0.",
                     example: "sequential_lr([constant_lr(0.1, factor: 0.1, total_iters: 5), exponential_lr(0.1, 0.9)], [5])(6)") { args in
                let rules = try args.list(0).items.enumerated().map { position, item -> any ScheduleRule in
                    guard case .function(let function) = item else {
                        throw args.error("sequential_lr() expects schedules (functions of the step), but item \(position) is \(item.typeName)", argument: 0)
                    }
                    if let builtin = function as? BuiltinFunction, let schedule = builtin.payload as? Schedule { return schedule.rule }
                    return FunctionSchedule(ip: args.ip, function: item, site: args.site)
                }
                return try SequentialSchedule(rules, milestones: try args.shape(1))
            },
            schedule("warmup_cosine(lr, warmup, total, eta_min: 0)",
                     "Linear warmup from lr/warmup to lr over warmup steps, then cosine to eta_min at total: sequential_lr of linear_lr and cosine_lr.",
                     example: "warmup_cosine(0.1, 10, 100)(5)") { args in
                try warmupCosine(lr: try args.number(0), warmup: try args.integer(1), total: try args.integer(2), etaMin: try args.number(3))
            },
            define("plateau_lr(lr, mode: \"min\", factor: 0.1, patience: 10, threshold: 0.0001, threshold_mode: \"rel\", cooldown: 0, min_lr: 0, eps: 1e-8)",
                   category,
                   "PyTorch's ReduceLROnPlateau: s.observe(metric) once per epoch; the rate (s.lr, or s(t)) drops by factor after patience epochs without improvement.",
                   example: "plateau_lr(0.1).lr") { args in
                let plateau = try catchingOptimization(args) {
                    try PlateauSchedule(lr: try args.number(0), mode: try choice(args, 1, PlateauSchedule.Mode.self),
                                        factor: try args.number(2), patience: try args.integer(3), threshold: try args.number(4),
                                        thresholdMode: try choice(args, 5, PlateauSchedule.ThresholdMode.self),
                                        cooldown: try args.integer(6), minLR: try args.number(7), eps: try args.number(8))
                }
                return plateauFunction(plateau, args)
            },
            define("schedule_table(s, steps)", category, "The rates s(0), ..., s(steps - 1) of any schedule, as a tensor for printing and plotting.",
                   example: "schedule_table(step_lr(0.1, 2), 5)") { args in
                let schedule = try args.function(0)
                let steps = try args.integer(1)
                guard steps >= 0, steps <= Schedule.maxStep else {
                    throw args.error("schedule_table() needs steps from 0 to \(Schedule.maxStep), got \(steps)", argument: 1)
                }
                var rates: [Double] = []
                for t in 0..<steps {
                    if t & 1023 == 0 { try args.ip.checkInterrupt(at: args.span) }
                    let value = try args.call(schedule, .number(Double(t)))
                    guard case .number(let rate) = value else { throw args.error("the schedule returned \(value.typeName) at step \(t); it must return a number") }
                    rates.append(rate)
                }
                return .object(TensorObject(try Tensor(shape: [steps], elements: rates)))
            },
        ]
    }
}

/// A user's function used as a rate inside sequential_lr: its value at the local step.
private struct FunctionSchedule: ScheduleRule {
    unowned let ip: Interpreter
    let function: Value
    let site: Node
    var initialRate: Double { (try? rate(after: 0, epoch: 0)) ?? .nan }
    func rate(after previous: Double, epoch: Int) throws -> Double {
        let value = try ip.call(function, [.number(Double(epoch))], site: site)
        guard case .number(let x) = value else { throw OptimizationError("a schedule returned \(value.typeName) at step \(epoch); it must return a number") }
        return x
    }
}

/// How a call made a schedule, for its repr: `cosine_lr(lr: 0.1, t_max: 100, eta_min: 0)`.
private func callDescription(_ args: Arguments) -> String {
    let parts = args.function.parameters.enumerated().map { "\($1.name): \(args[$0].reprString)" }
    return "\(args.function.name)(\(parts.joined(separator: ", ")))"
}

private func scheduleFunction(_ schedule: Schedule, _ args: Arguments) -> Value {
    let function = BuiltinFunction("schedule(t)", shownAs: callDescription(args) + "(t)", category: "Schedules", "", example: "") { inner in
        let t = try inner.integer(0)
        do { return .number(try schedule.rate(at: t)) } catch let error as OptimizationError { throw inner.error(error.message, argument: 0) }
    }
    function.payload = schedule
    return .function(function)
}

private func plateauFunction(_ plateau: PlateauSchedule, _ args: Arguments) -> Value {
    let function = BuiltinFunction("schedule(t: nil)", shownAs: callDescription(args) + "(t)", category: "Schedules", "", example: "") { _ in
        .number(plateau.rate)
    }
    function.memberLookup = { name in
        switch name {
        case "lr": .number(plateau.rate)
        case "best": .number(plateau.best)
        case "bad_epochs": .number(Double(plateau.badEpochs))
        case "epoch": .number(Double(plateau.epoch))
        case "observe":
            .function(BuiltinFunction("observe(metric)", category: "Schedules", "", example: "") { inner in
                .number(plateau.observe(try inner.number(0)))
            })
        default: nil
        }
    }
    return .function(function)
}

// MARK: - minimize

private func minimize(_ args: Arguments) throws -> Value {
    let f = try args.function(0)
    let start = try args.tensor(1)
    let startIsNumber = if case .number = args[1] { true } else { false }
    let optimizerName = try args.string(2)
    let steps = try args.integer(4)
    guard steps >= 0 else { throw args.error("minimize() needs steps of at least 0, got \(steps)", argument: 4) }
    let extra = try args.record(5)
    let ip = args.ip
    let newtonKind: Bool? = optimizerName == "newton" ? false : optimizerName == "saddle_free_newton" ? true : nil
    var rule: (any UpdateRule)?
    var damping = 0.0
    if let saddleFree = newtonKind {
        for key in extra.fields.keys where key != "damping" {
            throw args.error("minimize(): \(optimizerName) has no option '\(key)'; its only option is damping")
        }
        damping = if case .number(let x)? = extra.fields["damping"] { x } else { saddleFree ? 1e-3 : 0 }
    } else {
        rule = try catchingOptimization(args) {
            try OptimizerCatalog.rule(optimizerName, options: try optimizerOptions(Array(extra.fields.map { ($0, $1) }), args))
        }
    }
    let defaultRate = newtonKind != nil ? 1.0 : try catchingOptimization(args) { try OptimizerCatalog.entry(optimizerName).defaultLearningRate }
    let learningRate = args[3].isNil ? Value.number(defaultRate) : try checkedLearningRate(args[3], at: args.span(ofArgument: 3))
    let optimizer = rule.map { Optimizer(rule: $0, shapes: [start.shape]) }

    var x = start.detached
    var points = [x], losses: [Double] = [], gradientNorms: [Double] = [], rates: [Double] = []
    func evaluate(_ point: Tensor) throws -> (loss: Double, gradient: Tensor, hessian: Tensor?) {
        let call: ([Tensor]) throws -> Tensor = { leaves in
            let argument: Value = startIsNumber ? tensorValue(leaves[0]) : .object(TensorObject(leaves[0]))
            let value = try args.call(f, argument)
            switch value {
            case .number(let y): return Tensor(scalar: y)
            case .object(let object as TensorObject): return object.tensor
            default: throw args.error("minimize() needs f to return a number, got \(value.typeName)", argument: 0)
            }
        }
        do {
            if newtonKind != nil {
                var gradient = Tensor(scalar: 0)
                let result = try ip.gradients.valueAndJacobians(at: [point]) { outer in
                    let inner = try ip.gradients.valueAndGradients(at: outer, of: call)
                    gradient = inner.gradients[0].detached
                    return inner.gradients[0]
                }
                let loss = try call([point]).scalarValue ?? .nan
                let n = point.count
                return (loss, gradient, try result.jacobians[0].reshaped([n, n]))
            }
            let result = try ip.gradients.valueAndGradients(at: [point], of: call)
            return (result.value.scalarValue ?? .nan, result.gradients[0], nil)
        } catch let error as TensorError {
            throw args.error("minimize(): \(error.message)", argument: 0)
        }
    }
    for t in 0...steps {
        try ip.checkInterrupt(at: args.span)
        let (loss, gradient, hessian) = try evaluate(x)
        losses.append(loss)
        gradientNorms.append(try gradient.norm().scalarValue ?? .nan)
        let rate: Double
        switch learningRate {
        case .number(let value): rate = value
        default:
            let value = try args.call(learningRate, .number(Double(t)))
            guard case .number(let number) = value else { throw args.error("the learning-rate schedule returned \(value.typeName) at step \(t)", argument: 3) }
            rate = number
        }
        guard loss.isFinite else {
            throw args.error("loss became \(formatNumber(loss)) at step \(t) (lr = \(formatNumber(rate))); the learning rate is probably too high")
        }
        if t == steps { break }
        rates.append(rate)
        do {
            if let optimizer {
                var parameters = [x]
                try optimizer.update(&parameters, gradients: [gradient], lr: rate)
                x = parameters[0]
            } else {
                // trap-ok: without an optimizer the method is Newton's, and evaluate() returned its Hessian
                let direction = try NewtonStep.direction(gradient: gradient, hessian: hessian!, saddleFree: newtonKind!, damping: damping)
                x = try Tensor.binary(.subtract, x, Tensor.binary(.multiply, direction, Tensor(scalar: rate))).detached
            }
        } catch let error as OptimizationError {
            throw args.error("minimize(): \(error.message)")
        }
        points.append(x)
    }
    let record = RecordObject()
    record.fields["x"] = startIsNumber ? .number(x.scalarValue ?? .nan) : .object(TensorObject(x))
    record.fields["points"] = .object(TensorObject(try Tensor.stack(points, axis: 0)))
    record.fields["losses"] = .object(TensorObject(try Tensor(shape: [losses.count], elements: losses)))
    record.fields["grad_norms"] = .object(TensorObject(try Tensor(shape: [gradientNorms.count], elements: gradientNorms)))
    record.fields["lrs"] = .object(TensorObject(try Tensor(shape: [rates.count], elements: rates)))
    return .record(record)
}
