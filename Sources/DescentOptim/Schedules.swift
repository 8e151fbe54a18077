#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Learning-rate schedules, as torch.optim.lr_scheduler computes them. PyTorch's schedulers are
// mostly recursive: each `step()` derives the new rate from the previous one. A `ScheduleRule`
// states that recursion (`initialRate`, `rate(after:epoch:)`) and `Schedule` memoises it, so
// `s(t)` is the rate PyTorch gives after t calls of `scheduler.step()`, to the last bit.

public protocol ScheduleRule {
    /// The rate right after construction (t = 0).
    var initialRate: Double { get }
    /// The rate after step `epoch` (from 1), given the rate after the step before.
    func rate(after previous: Double, epoch: Int) throws -> Double
    /// The rate when SequentialLR restarts this schedule at a milestone (PyTorch's closed form at 0).
    var restartRate: Double { get }
}

extension ScheduleRule {
    public var restartRate: Double { initialRate }
}

/// A schedule: a function of the step number, computed once per step and remembered.
public final class Schedule {
    public let rule: any ScheduleRule
    private var rates: [Double] = []
    /// Rates beyond this step are refused rather than computed (and stored) for ever.
    public static let maxStep = 100_000_000

    public init(_ rule: any ScheduleRule) { self.rule = rule }

    public func rate(at step: Int) throws -> Double {
        guard step >= 0 else { throw OptimizationError("a schedule's step must be at least 0, got \(step)") }
        guard step <= Schedule.maxStep else { throw OptimizationError("a schedule's step must be at most \(Schedule.maxStep), got \(step)") }
        if rates.isEmpty { rates.append(rule.initialRate) }
        while rates.count <= step {
            rates.append(try rule.rate(after: rates[rates.count - 1], epoch: rates.count))
        }
        return rates[step]
    }
}

func requireRate(_ lr: Double, _ argument: String = "lr") throws {
    try require(lr.isFinite && lr >= 0, argument, "a finite number of at least 0", lr)
}

public struct StepSchedule: ScheduleRule {
    let base: Double, stepSize: Int, gamma: Double
    public init(lr: Double, stepSize: Int, gamma: Double) throws {
        try requireRate(lr)
        try require(stepSize > 0, "step_size", "a whole number of at least 1", Double(stepSize))
        try require(gamma > 0, "gamma", "above 0", gamma)
        base = lr; self.stepSize = stepSize; self.gamma = gamma
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        epoch % stepSize != 0 ? previous : previous * gamma
    }
}

public struct MultiStepSchedule: ScheduleRule {
    let base: Double, gamma: Double
    /// How many times each milestone was given: a repeated milestone multiplies by gamma again.
    let counts: [Int: Int]
    public init(lr: Double, milestones: [Int], gamma: Double) throws {
        try requireRate(lr)
        try require(gamma > 0, "gamma", "above 0", gamma)
        for milestone in milestones { try require(milestone >= 0, "milestones", "whole numbers of at least 0", Double(milestone)) }
        base = lr; self.gamma = gamma
        counts = milestones.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
    public var initialRate: Double { counts[0].map { base * pow(gamma, Double($0)) } ?? base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        counts[epoch].map { previous * pow(gamma, Double($0)) } ?? previous
    }
}

public struct ExponentialSchedule: ScheduleRule {
    let base: Double, gamma: Double
    public init(lr: Double, gamma: Double) throws {
        try requireRate(lr)
        try require(gamma > 0, "gamma", "above 0", gamma)
        base = lr; self.gamma = gamma
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double { previous * gamma }
}

public struct ConstantSchedule: ScheduleRule {
    let base: Double, factor: Double, totalIters: Int
    public init(lr: Double, factor: Double, totalIters: Int) throws {
        try requireRate(lr)
        try require(factor >= 0 && factor <= 1, "factor", "between 0 and 1", factor)
        try require(totalIters >= 0, "total_iters", "a whole number of at least 0", Double(totalIters))
        base = lr; self.factor = factor; self.totalIters = totalIters
    }
    public var initialRate: Double { base * factor }
    public var restartRate: Double { base * (factor + (0 >= totalIters ? 1 : 0) * (1 - factor)) }
    public func rate(after previous: Double, epoch: Int) -> Double {
        epoch != totalIters ? previous : previous * (1.0 / factor)
    }
}

public struct LinearSchedule: ScheduleRule {
    let base: Double, startFactor: Double, endFactor: Double, totalIters: Int
    public init(lr: Double, startFactor: Double, endFactor: Double, totalIters: Int) throws {
        try requireRate(lr)
        try require(startFactor > 0 && startFactor <= 1, "start_factor", "above 0 and at most 1", startFactor)
        try require(endFactor >= 0 && endFactor <= 1, "end_factor", "between 0 and 1", endFactor)
        try require(totalIters > 0, "total_iters", "a whole number of at least 1", Double(totalIters))
        base = lr; self.startFactor = startFactor; self.endFactor = endFactor; self.totalIters = totalIters
    }
    public var initialRate: Double { base * startFactor }
    public func rate(after previous: Double, epoch: Int) -> Double {
        if epoch > totalIters { return previous }
        let span = endFactor - startFactor
        return previous * (1.0 + span / (Double(totalIters) * startFactor + Double(epoch - 1) * span))
    }
}

public struct PolynomialSchedule: ScheduleRule {
    let base: Double, totalIters: Int, power: Double
    public init(lr: Double, totalIters: Int, power: Double) throws {
        try requireRate(lr)
        try require(totalIters > 0, "total_iters", "a whole number of at least 1", Double(totalIters))
        try require(power >= 0, "power", "at least 0", power)
        base = lr; self.totalIters = totalIters; self.power = power
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        if epoch > totalIters { return previous }
        let total = Double(totalIters)
        let decay = pow((1.0 - Double(epoch) / total) / (1.0 - Double(epoch - 1) / total), power)
        return previous * decay
    }
}

/// PyTorch's CosineAnnealingLR, recursion and all: past t_max the rate rises again along the
/// same cosine, as PyTorch's does.
public struct CosineSchedule: ScheduleRule {
    let base: Double, tMax: Int, etaMin: Double
    public init(lr: Double, tMax: Int, etaMin: Double) throws {
        try requireRate(lr)
        try require(tMax > 0, "t_max", "a whole number of at least 1", Double(tMax))
        try requireRate(etaMin, "eta_min")
        base = lr; self.tMax = tMax; self.etaMin = etaMin
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        let t = Double(tMax)
        let period = 2 * tMax
        if ((epoch - 1 - tMax) % period + period) % period == 0 {
            return previous + (base - etaMin) * (1 - cos(Double.pi / t)) / 2
        }
        return (1 + cos(Double.pi * Double(epoch) / t)) / (1 + cos(Double.pi * Double(epoch - 1) / t)) * (previous - etaMin) + etaMin
    }
}

public struct CosineRestartsSchedule: ScheduleRule {
    let base: Double, t0: Int, tMult: Int, etaMin: Double
    public init(lr: Double, t0: Int, tMult: Int, etaMin: Double) throws {
        try requireRate(lr)
        try require(t0 > 0, "t_0", "a whole number of at least 1", Double(t0))
        try require(tMult >= 1, "t_mult", "a whole number of at least 1", Double(tMult))
        try requireRate(etaMin, "eta_min")
        base = lr; self.t0 = t0; self.tMult = tMult; self.etaMin = etaMin
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        var current = epoch, length = t0
        while current >= length {
            current -= length
            length *= tMult
        }
        return etaMin + (base - etaMin) * (1 + cos(Double.pi * Double(current) / Double(length))) / 2
    }
}

public struct CyclicSchedule: ScheduleRule {
    public enum Mode: String, CaseIterable, Sendable { case triangular, triangular2, exp_range }
    let baseLR: Double, maxLR: Double, totalSize: Double, stepRatio: Double, mode: Mode, gamma: Double
    public init(baseLR: Double, maxLR: Double, stepSizeUp: Int, stepSizeDown: Int?, mode: Mode, gamma: Double) throws {
        try requireRate(baseLR, "base_lr")
        try requireRate(maxLR, "max_lr")
        try require(stepSizeUp > 0, "step_size_up", "a whole number of at least 1", Double(stepSizeUp))
        let down = stepSizeDown ?? stepSizeUp
        try require(down > 0, "step_size_down", "a whole number of at least 1", Double(down))
        try require(gamma > 0, "gamma", "above 0", gamma)
        self.baseLR = baseLR; self.maxLR = maxLR; self.mode = mode; self.gamma = gamma
        totalSize = Double(stepSizeUp) + Double(down)
        stepRatio = Double(stepSizeUp) / totalSize
    }
    public var initialRate: Double { value(0) }
    public func rate(after previous: Double, epoch: Int) -> Double { value(epoch) }

    private func value(_ epoch: Int) -> Double {
        let e = Double(epoch)
        let cycle = (1 + e / totalSize).rounded(.down)
        let x = 1.0 + e / totalSize - cycle
        let scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1)
        let height = (maxLR - baseLR) * scaleFactor
        switch mode {
        case .triangular: return baseLR + height * 1.0
        case .triangular2: return baseLR + height * (1 / pow(2.0, cycle - 1))
        case .exp_range: return baseLR + height * pow(gamma, e)
        }
    }
}

public struct OneCycleSchedule: ScheduleRule {
    public enum Anneal: String, CaseIterable, Sendable { case cos, linear }
    let totalSteps: Int, anneal: Anneal
    /// (end step, start rate, end rate) of each phase.
    let phases: [(end: Double, start: Double, stop: Double)]
    public init(maxLR: Double, totalSteps: Int, pctStart: Double, anneal: Anneal, divFactor: Double,
                finalDivFactor: Double, threePhase: Bool) throws {
        try requireRate(maxLR, "max_lr")
        try require(totalSteps > 0, "total_steps", "a whole number of at least 1", Double(totalSteps))
        try require(pctStart >= 0 && pctStart <= 1, "pct_start", "between 0 and 1", pctStart)
        try require(divFactor > 0, "div_factor", "above 0", divFactor)
        try require(finalDivFactor > 0, "final_div_factor", "above 0", finalDivFactor)
        self.totalSteps = totalSteps; self.anneal = anneal
        let initial = maxLR / divFactor, minimum = initial / finalDivFactor
        let total = Double(totalSteps)
        phases = threePhase
            ? [(pctStart * total - 1, initial, maxLR), (2 * pctStart * total - 2, maxLR, initial), (total - 1, initial, minimum)]
            : [(pctStart * total - 1, initial, maxLR), (total - 1, maxLR, minimum)]
    }
    public var initialRate: Double { value(0) }
    public func rate(after previous: Double, epoch: Int) throws -> Double {
        guard epoch <= totalSteps else {
            throw OptimizationError("one_cycle_lr was asked for step \(epoch), past its total_steps of \(totalSteps)", argument: "total_steps")
        }
        return value(epoch)
    }

    private func value(_ step: Int) -> Double {
        var start = 0.0
        let s = Double(step)
        for (i, phase) in phases.enumerated() {
            if s <= phase.end || i == phases.count - 1 {
                let pct = (s - start) / (phase.end - start)
                switch anneal {
                case .cos: return phase.stop + (phase.start - phase.stop) / 2.0 * (cos(Double.pi * pct) + 1)
                case .linear: return (phase.stop - phase.start) * pct + phase.start
                }
            }
            start = phase.end
        }
        return phases[phases.count - 1].stop
    }
}

/// Keras' InverseTimeDecay: lr / (1 + decay_rate * t / decay_steps), the classic 1/t decay.
public struct InverseTimeSchedule: ScheduleRule {
    let base: Double, decayRate: Double, decaySteps: Int, staircase: Bool
    public init(lr: Double, decayRate: Double, decaySteps: Int, staircase: Bool) throws {
        try requireRate(lr)
        try require(decayRate >= 0, "decay_rate", "at least 0", decayRate)
        try require(decaySteps > 0, "decay_steps", "a whole number of at least 1", Double(decaySteps))
        base = lr; self.decayRate = decayRate; self.decaySteps = decaySteps; self.staircase = staircase
    }
    public var initialRate: Double { base }
    public func rate(after previous: Double, epoch: Int) -> Double {
        var progress = Double(epoch) / Double(decaySteps)
        if staircase { progress = progress.rounded(.down) }
        return base / (1 + decayRate * progress)
    }
}

/// PyTorch's LambdaLR: lr * factor(t), the factor computed by the caller's function.
public struct LambdaSchedule: ScheduleRule {
    let base: Double
    let factor: (Int) throws -> Double
    public init(lr: Double, factor: @escaping (Int) throws -> Double) throws {
        try requireRate(lr)
        base = lr; self.factor = factor
    }
    public var initialRate: Double { (try? base * factor(0)) ?? .nan }
    public func rate(after previous: Double, epoch: Int) throws -> Double { base * (try factor(epoch)) }
}

/// PyTorch's SequentialLR: schedule i runs from milestone i-1, restarted at 0 there.
public struct SequentialSchedule: ScheduleRule {
    let rules: [any ScheduleRule]
    let milestones: [Int]
    public init(_ rules: [any ScheduleRule], milestones: [Int]) throws {
        guard !rules.isEmpty else { throw OptimizationError("sequential_lr needs at least one schedule", argument: "schedules") }
        guard milestones.count == rules.count - 1 else {
            throw OptimizationError("sequential_lr needs one milestone fewer than schedules: \(rules.count) schedules and \(milestones.count) milestones", argument: "milestones")
        }
        for (a, b) in zip(milestones, milestones.dropFirst()) where b <= a {
            throw OptimizationError("sequential_lr milestones must increase, got \(a) then \(b)", argument: "milestones")
        }
        if let first = milestones.first { try require(first > 0, "milestones", "whole numbers of at least 1", Double(first)) }
        self.rules = rules; self.milestones = milestones
    }
    public var initialRate: Double { rules[0].initialRate }
    public func rate(after previous: Double, epoch: Int) throws -> Double {
        let index = milestones.firstIndex { $0 > epoch } ?? milestones.count
        if index > 0 && milestones[index - 1] == epoch { return rules[index].restartRate }
        return try rules[index].rate(after: previous, epoch: epoch - (index > 0 ? milestones[index - 1] : 0))
    }
}

/// ReduceLROnPlateau: divides the rate when a metric stops improving. Stateful, fed one metric
/// per epoch, exactly as PyTorch's `scheduler.step(metric)`.
public final class PlateauSchedule {
    public enum Mode: String, CaseIterable, Sendable { case min, max }
    public enum ThresholdMode: String, CaseIterable, Sendable { case rel, abs }
    public private(set) var rate: Double
    public private(set) var best: Double
    public private(set) var badEpochs = 0
    public private(set) var cooldownCounter = 0
    public private(set) var epoch = 0
    let mode: Mode, factor: Double, patience: Int, threshold: Double, thresholdMode: ThresholdMode
    let cooldown: Int, minimum: Double, eps: Double

    public init(lr: Double, mode: Mode, factor: Double, patience: Int, threshold: Double, thresholdMode: ThresholdMode,
                cooldown: Int, minLR: Double, eps: Double) throws {
        try requireRate(lr)
        try require(factor > 0 && factor < 1, "factor", "between 0 and 1 (exclusive)", factor)
        try require(patience >= 0, "patience", "a whole number of at least 0", Double(patience))
        try require(threshold >= 0, "threshold", "at least 0", threshold)
        try require(cooldown >= 0, "cooldown", "a whole number of at least 0", Double(cooldown))
        try requireRate(minLR, "min_lr")
        try require(eps >= 0, "eps", "at least 0", eps)
        rate = lr; self.mode = mode; self.factor = factor; self.patience = patience; self.threshold = threshold
        self.thresholdMode = thresholdMode; self.cooldown = cooldown; minimum = minLR; self.eps = eps
        best = mode == .min ? .infinity : -.infinity
    }

    private func isBetter(_ value: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): value < best * (1 - threshold)
        case (.min, .abs): value < best - threshold
        case (.max, .rel): value > best * (threshold + 1)
        case (.max, .abs): value > best + threshold
        }
    }

    /// One epoch's metric; returns the rate for the next epoch.
    @discardableResult
    public func observe(_ metric: Double) -> Double {
        epoch += 1
        if isBetter(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = Swift.max(rate * factor, minimum)
            if rate - reduced > eps { rate = reduced }
            cooldownCounter = cooldown
            badEpochs = 0
        }
        return rate
    }
}

/// Linear warmup from lr / warmup to lr over `warmup` steps, then cosine annealing to eta_min at
/// `total`: SequentialLR of LinearLR and CosineAnnealingLR, the common recipe in one call.
public func warmupCosine(lr: Double, warmup: Int, total: Int, etaMin: Double) throws -> SequentialSchedule {
    try require(warmup > 0, "warmup", "a whole number of at least 1", Double(warmup))
    try require(total > warmup, "total", "more than warmup (\(warmup))", Double(total))
    return try SequentialSchedule([LinearSchedule(lr: lr, startFactor: 1 / Double(warmup), endFactor: 1, totalIters: warmup),
                                   CosineSchedule(lr: lr, tMax: total - warmup, etaMin: etaMin)], milestones: [warmup])
}
