import Foundation
import Testing
import DescentTensor
@testable import DescentOptim

/// Optimizers and schedules against PyTorch, from Fixtures/torch_optim.json
/// (written by Fixtures/generate_torch_optim.py).
struct OptimFixture: Decodable, Sendable {
    struct Trajectory: Decodable, Sendable, CustomTestStringConvertible {
        let optimizer: String
        let options: [String: OptionValue]
        let problem: String
        let lr: Double
        let start: [Double]
        let gradients: [[Double]]
        let points: [[Double]]
        let losses: [Double]
        var testDescription: String {
            "\(optimizer)(\(options.keys.sorted().map { "\($0): \(options[$0]!)" }.joined(separator: ", "))) on \(problem)"
        }
    }
    enum OptionValue: Decodable, Sendable, CustomStringConvertible {
        case number(Double), flag(Bool), list([Double]), text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let b = try? container.decode(Bool.self) { self = .flag(b) }
            else if let x = try? container.decode(Double.self) { self = .number(x) }
            else if let l = try? container.decode([Double].self) { self = .list(l) }
            else { self = .text(try container.decode(String.self)) }
        }
        var option: OptimizerCatalog.Option {
            switch self {
            case .number(let x): .number(x)
            case .flag(let b): .flag(b)
            case .list(let l): .pair(l[0], l[1])
            case .text: .number(.nan)
            }
        }
        var description: String {
            switch self {
            case .number(let x): "\(x)"
            case .flag(let b): "\(b)"
            case .list(let l): "\(l)"
            case .text(let t): t
            }
        }
    }
    struct Structured: Decodable, Sendable {
        let start: [[Double]]
        let gradients: [[[Double]]]
        let points: [[[Double]]]
    }
    struct Rates: Decodable, Sendable {
        let arguments: [String: OptionValue?]
        let rates: [Double]
    }
    struct Plateau: Decodable, Sendable {
        let arguments: [String: PlateauArgument]
        let metrics: [Double]
        let rates: [Double]
    }
    enum PlateauArgument: Decodable, Sendable {
        case number(Double), text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let x = try? container.decode(Double.self) { self = .number(x) } else { self = .text(try container.decode(String.self)) }
        }
        var number: Double { if case .number(let x) = self { x } else { .nan } }
        var text: String { if case .text(let s) = self { s } else { "" } }
    }
    let optimizers: [Trajectory]
    let long_runs: [Trajectory]
    let structured: Structured
    let schedules: [String: Rates]
    let plateaus: [String: Plateau]
}

private let loadedOptimFixture: OptimFixture? = {
    guard let url = Bundle.module.url(forResource: "torch_optim", withExtension: "json", subdirectory: "Fixtures"),
          let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(OptimFixture.self, from: data)
}()

func optimFixture() throws -> OptimFixture { try #require(loadedOptimFixture, "Fixtures/torch_optim.json is missing or malformed") }

func expectClose(_ actual: Double, _ expected: Double, tolerance: Double, _ what: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let close = actual == expected || Swift.abs(actual - expected) <= tolerance * Swift.max(Swift.abs(actual), Swift.abs(expected)) + 1e-15
    #expect(close, "\(what()): \(actual), PyTorch gives \(expected)", sourceLocation: sourceLocation)
    return close
}

/// The three problems' gradients, written with our tensor operations and autodiff.
func gradient(of problem: String, at x: Tensor) throws -> Tensor {
    try GradientContext().valueAndGradients(at: [x]) { leaves in
        let v = leaves[0]
        let a = try v.indexed([.single(0)]), b = try v.indexed([.single(1)])
        func square(_ t: Tensor) throws -> Tensor { try Tensor.binary(.multiply, t, t) }
        switch problem {
        case "quadratic":
            let matrix = try Tensor(shape: [2, 2], elements: [3, 0.5, 0.5, 0.4])
            let form = try Tensor.matmul(Tensor.matmul(v, matrix), v)
            return try Tensor.binary(.add, Tensor.binary(.multiply, Tensor(scalar: 0.5), form), v.sum())
        case "rosenbrock":
            let first = try square(Tensor.binary(.subtract, Tensor(scalar: 1), a))
            let second = try Tensor.binary(.multiply, Tensor(scalar: 100), square(Tensor.binary(.subtract, b, square(a))))
            return try Tensor.binary(.add, first, second)
        default:
            let quartic = try Tensor.binary(.multiply, Tensor(scalar: 0.25), square(square(b)))
            return try Tensor.binary(.add, Tensor.binary(.subtract, square(a), square(b)), quartic)
        }
    }.gradients[0]
}

@Suite struct OptimizerReferenceTests {
    static var trajectories: [OptimFixture.Trajectory] { (try? optimFixture().optimizers) ?? [] }
    static var longRuns: [OptimFixture.Trajectory] { (try? optimFixture().long_runs) ?? [] }

    @Test func everyOptimizerIsCovered() throws {
        let covered = Set(try optimFixture().optimizers.map(\.optimizer))
        #expect(covered == Set(OptimizerCatalog.entries.map(\.name)))
    }

    /// PyTorch's own gradients fed to our optimizer: the parameters agree to rounding.
    @Test(arguments: trajectories)
    func stepsMatchPyTorchGivenItsGradients(_ run: OptimFixture.Trajectory) throws {
        let rule = try OptimizerCatalog.rule(run.optimizer, options: run.options.mapValues(\.option))
        let optimizer = Optimizer(rule: rule, shapes: [[2]])
        var parameters = [try Tensor(shape: [2], elements: run.start)]
        for (step, (gradient, expected)) in zip(run.gradients, run.points).enumerated() {
            try optimizer.update(&parameters, gradients: [try Tensor(shape: [2], elements: gradient)], lr: run.lr)
            for (i, (actual, wanted)) in zip(parameters[0].elements, expected).enumerated() {
                guard expectClose(actual, wanted, tolerance: 1e-12, "step \(step + 1), x[\(i)]") else { return }
            }
        }
    }

    /// Our gradients and our optimizer for 100 steps: the trajectory stays within 1e-9 of PyTorch's.
    @Test(arguments: longRuns)
    func hundredStepsMatchPyTorch(_ run: OptimFixture.Trajectory) throws {
        let optimizer = Optimizer(rule: try OptimizerCatalog.rule(run.optimizer, options: [:]), shapes: [[2]])
        var parameters = [try Tensor(shape: [2], elements: run.start)]
        for (step, expected) in run.points.enumerated() {
            try optimizer.update(&parameters, gradients: [try gradient(of: run.problem, at: parameters[0])], lr: run.lr)
            for (i, (actual, wanted)) in zip(parameters[0].elements, expected).enumerated() {
                guard expectClose(actual, wanted, tolerance: 1e-9, "step \(step + 1), x[\(i)]") else { return }
            }
        }
        #expect(run.points.count == 100)
    }

    @Test func stateIsKeptPerParameterTensor() throws {
        let run = try optimFixture().structured
        let optimizer = Optimizer(rule: try Adam(amsgrad: true), shapes: [[2, 2], [3]])
        var parameters = [try Tensor(shape: [2, 2], elements: run.start[0]), try Tensor(shape: [3], elements: run.start[1])]
        for (gradients, expected) in zip(run.gradients, run.points) {
            try optimizer.update(&parameters, gradients: [try Tensor(shape: [2, 2], elements: gradients[0]),
                                                          try Tensor(shape: [3], elements: gradients[1])], lr: 0.05)
            for (parameter, wanted) in zip(parameters, expected) {
                for (actual, value) in zip(parameter.elements, wanted) { _ = expectClose(actual, value, tolerance: 1e-12, "parameter") }
            }
        }
        #expect(try optimizer.stateTensors().map(\.name) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    @Test func divergenceIsReportedWithTheStep() throws {
        let optimizer = Optimizer(rule: try SGD(), shapes: [[1]])
        var parameters = [Tensor(scalar: 1)]
        parameters[0] = try parameters[0].reshaped([1])
        do {
            for _ in 0..<2000 {
                let g = try Tensor.binary(.multiply, parameters[0], Tensor(scalar: 1e300))
                try optimizer.update(&parameters, gradients: [g], lr: 10)
            }
            Issue.record("expected the run to diverge")
        } catch let error as OptimizationError {
            #expect(error.message == "a parameter became inf at step 2 (lr = 10); the learning rate is probably too high", "\(error.message)")
        }
    }

    @Test func invalidOptionsNameTheArgument() throws {
        #expect(throws: OptimizationError.self) { try OptimizerCatalog.rule("adam", options: ["betas": .pair(0.9, 1.5)]) }
        #expect(throws: OptimizationError.self) { try OptimizerCatalog.rule("sgd", options: ["nesterov": .flag(true)]) }
        #expect(throws: OptimizationError.self) { try OptimizerCatalog.rule("sgd", options: ["betas": .pair(0.9, 0.9)]) }
        #expect(throws: OptimizationError.self) { try OptimizerCatalog.rule("lion", options: [:]) }
    }
}

/// Builds the schedule a fixture entry describes.
func schedule(named name: String, _ arguments: [String: OptimFixture.OptionValue?]) throws -> any ScheduleRule {
    func number(_ key: String) -> Double {
        if case .number(let x)?? = arguments[key] { return x }
        return .nan
    }
    func integer(_ key: String) -> Int { Int(number(key)) }
    switch name {
    case "step_lr", "step_lr_every_step": return try StepSchedule(lr: number("lr"), stepSize: integer("step_size"), gamma: number("gamma"))
    case "multistep_lr_repeated": return try MultiStepSchedule(lr: 0.1, milestones: [10, 30, 30, 80], gamma: 0.5)
    case "multistep_lr_at_zero": return try MultiStepSchedule(lr: 0.1, milestones: [0, 5], gamma: 0.1)
    case "exponential_lr": return try ExponentialSchedule(lr: number("lr"), gamma: number("gamma"))
    case "constant_lr": return try ConstantSchedule(lr: number("lr"), factor: number("factor"), totalIters: integer("total_iters"))
    case "linear_lr_warmup", "linear_lr_decay":
        return try LinearSchedule(lr: number("lr"), startFactor: number("start_factor"), endFactor: number("end_factor"), totalIters: integer("total_iters"))
    case "polynomial_lr", "polynomial_lr_linear":
        return try PolynomialSchedule(lr: number("lr"), totalIters: integer("total_iters"), power: number("power"))
    case "cosine_lr", "cosine_lr_past_t_max": return try CosineSchedule(lr: number("lr"), tMax: integer("t_max"), etaMin: number("eta_min"))
    case "cosine_restarts_lr", "cosine_restarts_lr_fixed":
        return try CosineRestartsSchedule(lr: number("lr"), t0: integer("t_0"), tMult: integer("t_mult"), etaMin: number("eta_min"))
    case "cyclic_lr_triangular", "cyclic_lr_triangular2", "cyclic_lr_exp_range":
        let mode = CyclicSchedule.Mode(rawValue: String(name.dropFirst("cyclic_lr_".count)))!
        let down: Int? = if case .number(let x)?? = arguments["step_size_down"] { Int(x) } else { nil }
        return try CyclicSchedule(baseLR: number("base_lr"), maxLR: number("max_lr"), stepSizeUp: integer("step_size_up"),
                                  stepSizeDown: down, mode: mode, gamma: number("gamma"))
    case "one_cycle_lr", "one_cycle_lr_linear_three_phase":
        let threePhase = name.hasSuffix("three_phase")
        return try OneCycleSchedule(maxLR: number("max_lr"), totalSteps: integer("total_steps"), pctStart: number("pct_start"),
                                    anneal: threePhase ? .linear : .cos, divFactor: number("div_factor"),
                                    finalDivFactor: number("final_div_factor"), threePhase: threePhase)
    case "lambda_lr": return try LambdaSchedule(lr: 0.1) { pow(0.95, Double($0)) }
    case "sequential_warmup_cosine":
        return try SequentialSchedule([LinearSchedule(lr: 0.1, startFactor: 0.01, endFactor: 1, totalIters: 5),
                                       CosineSchedule(lr: 0.1, tMax: 95, etaMin: 0)], milestones: [5])
    case "sequential_three":
        return try SequentialSchedule([ConstantSchedule(lr: 0.1, factor: 0.5, totalIters: 3), ExponentialSchedule(lr: 0.1, gamma: 0.9),
                                       StepSchedule(lr: 0.1, stepSize: 20, gamma: 0.5)], milestones: [10, 50])
    case "warmup_cosine": return try warmupCosine(lr: 0.1, warmup: 10, total: 150, etaMin: 0.001)
    case "inverse_time_lr", "inverse_time_lr_staircase":
        return try InverseTimeSchedule(lr: number("lr"), decayRate: number("decay_rate"), decaySteps: integer("decay_steps"),
                                       staircase: name.hasSuffix("staircase"))
    default: throw OptimizationError("no schedule for fixture \(name)")
    }
}

@Suite struct ScheduleReferenceTests {
    static var names: [String] { (try? optimFixture().schedules.keys.sorted()) ?? [] }

    @Test(arguments: names)
    func ratesMatchPyTorch(_ name: String) throws {
        let entry = try #require(try optimFixture().schedules[name])
        let rates = Schedule(try schedule(named: name, entry.arguments))
        for (t, expected) in entry.rates.enumerated() {
            guard expectClose(try rates.rate(at: t), expected, tolerance: 1e-12, "\(name) at t = \(t)") else { return }
        }
    }

    @Test func plateauMatchesPyTorch() throws {
        for (name, entry) in try optimFixture().plateaus {
            let a = entry.arguments
            let plateau = try PlateauSchedule(lr: a["lr"]!.number, mode: .init(rawValue: a["mode"]!.text)!, factor: a["factor"]!.number,
                                              patience: Int(a["patience"]!.number), threshold: a["threshold"]!.number,
                                              thresholdMode: .init(rawValue: a["threshold_mode"]!.text)!, cooldown: Int(a["cooldown"]!.number),
                                              minLR: a["min_lr"]!.number, eps: a["eps"]!.number)
            for (epoch, (metric, expected)) in zip(entry.metrics, entry.rates).enumerated() {
                guard expectClose(plateau.observe(metric), expected, tolerance: 1e-12, "\(name) after epoch \(epoch + 1)") else { break }
            }
        }
    }

    @Test func oneCycleRefusesToStepPastItsEnd() throws {
        let rates = Schedule(try OneCycleSchedule(maxLR: 0.1, totalSteps: 10, pctStart: 0.3, anneal: .cos, divFactor: 25,
                                                  finalDivFactor: 1e4, threePhase: false))
        _ = try rates.rate(at: 10)
        #expect(throws: OptimizationError.self) { try rates.rate(at: 11) }
    }
}
