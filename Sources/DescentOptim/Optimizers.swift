import CKernels
import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Optimizers that move parameters exactly as torch.optim does (its single-tensor code paths, in
// float64). As in optax and Optimisers.jl, a rule holds only hyperparameters; the state (step
// count, buffers) lives in `Optimizer`. Each rule's `update` repeats PyTorch's sequence of tensor
// operations element by element, in the same order, so results agree to rounding.

/// A misuse of an optimizer or schedule: an argument out of range, mismatched gradients, a
/// diverging run. `argument` names the offending argument when there is one.
public struct OptimizationError: Error, CustomStringConvertible {
    public let message: String
    public let argument: String?
    public init(_ message: String, argument: String? = nil) { self.message = message; self.argument = argument }
    public var description: String { message }
}

/// The per-parameter state a rule keeps: named buffers of the parameter's size, plus scalars.
/// The buffers live in one allocation and are written through pointers: element access through
/// nested arrays checked uniqueness on every write, and C kernels (Adam's) need plain pointers.
public struct ParameterState {
    public let buffers: [UnsafeMutableBufferPointer<Double>]
    public var scalars: [Double]
    private let storage: BufferStorage

    public init(buffers initial: [[Double]], scalars: [Double]) {
        let storage = BufferStorage(count: initial.reduce(0) { $0 + $1.count })
        var offset = 0
        buffers = initial.map { values in
            let buffer = UnsafeMutableBufferPointer(start: storage.start + offset, count: values.count)
            _ = buffer.initialize(from: values)
            offset += values.count
            return buffer
        }
        self.storage = storage
        self.scalars = scalars
    }
}

private final class BufferStorage {
    let start: UnsafeMutablePointer<Double>
    init(count: Int) {
        start = .allocate(capacity: Swift.max(count, 1))
        start.initialize(repeating: 0, count: count)
    }
    deinit { start.deallocate() }
}

public protocol UpdateRule {
    /// The PyTorch class name, for messages and `state()`: "Adam".
    var name: String { get }
    /// Names of the per-parameter buffers, as PyTorch's state dict calls them.
    var bufferNames: [String] { get }
    func initialState(count: Int) -> ParameterState
    /// One step for one parameter. `step` counts from 1 (PyTorch increments before updating).
    func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                _ state: inout ParameterState, step: Int, lr: Double)
}

/// PyTorch's lerp: start + weight * (end - start), computed from the nearer end.
@inline(__always)
func lerp(_ start: Double, _ end: Double, _ weight: Double) -> Double {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// Checks `value` lies in a range and names the argument otherwise.
func require(_ condition: Bool, _ argument: String, _ accepted: String, _ value: Double) throws {
    guard condition else {
        throw OptimizationError("\(argument) must be \(accepted), got \(describeNumber(value))", argument: argument)
    }
}

func describeNumber(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
}

public struct SGD: UpdateRule {
    public var momentum = 0.0, dampening = 0.0, nesterov = false, weightDecay = 0.0, maximize = false
    public init(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0, maximize: Bool = false) throws {
        try require(momentum >= 0, "momentum", "at least 0", momentum)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw OptimizationError("nesterov needs a momentum above 0 and dampening 0 (as in PyTorch)", argument: "nesterov")
        }
        self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov
        self.weightDecay = weightDecay; self.maximize = maximize
    }
    public var name: String { "SGD" }
    public var bufferNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: momentum != 0 ? [[Double](repeating: 0, count: count)] : [], scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        for i in p.indices {
            var grad = maximize ? -g[i] : g[i]
            if weightDecay != 0 { grad = grad + weightDecay * p[i] }
            if momentum != 0 {
                // The buffer starts as a copy of the first gradient.
                let buffer = step == 1 ? grad : state.buffers[0][i] * momentum + (1 - dampening) * grad
                state.buffers[0][i] = buffer
                grad = nesterov ? grad + momentum * buffer : buffer
            }
            p[i] = p[i] + -lr * grad
        }
    }
}

public struct Adagrad: UpdateRule {
    public var lrDecay = 0.0, weightDecay = 0.0, initialAccumulatorValue = 0.0, eps = 1e-10, maximize = false
    public init(lrDecay: Double = 0, weightDecay: Double = 0, initialAccumulatorValue: Double = 0, eps: Double = 1e-10,
                maximize: Bool = false) throws {
        try require(lrDecay >= 0, "lr_decay", "at least 0", lrDecay)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        try require(initialAccumulatorValue >= 0, "initial_accumulator_value", "at least 0", initialAccumulatorValue)
        try require(eps >= 0, "eps", "at least 0", eps)
        self.lrDecay = lrDecay; self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue; self.eps = eps; self.maximize = maximize
    }
    public var name: String { "Adagrad" }
    public var bufferNames: [String] { ["sum"] }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: [[Double](repeating: initialAccumulatorValue, count: count)], scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let clr = lr / (1 + Double(step - 1) * lrDecay)
        for i in p.indices {
            var grad = maximize ? -g[i] : g[i]
            if weightDecay != 0 { grad = grad + weightDecay * p[i] }
            let sum = state.buffers[0][i] + 1 * grad * grad
            state.buffers[0][i] = sum
            let std = sum.squareRoot() + eps
            p[i] = p[i] + -clr * (grad / std)
        }
    }
}

public struct RMSprop: UpdateRule {
    public var alpha = 0.99, eps = 1e-8, weightDecay = 0.0, momentum = 0.0, centered = false, maximize = false
    public init(alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
                centered: Bool = false, maximize: Bool = false) throws {
        try require(alpha >= 0, "alpha", "at least 0", alpha)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        try require(momentum >= 0, "momentum", "at least 0", momentum)
        self.alpha = alpha; self.eps = eps; self.weightDecay = weightDecay
        self.momentum = momentum; self.centered = centered; self.maximize = maximize
    }
    public var name: String { "RMSprop" }
    public var bufferNames: [String] {
        ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
    }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: bufferNames.count), scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let momentumIndex = 1, averageIndex = momentum > 0 ? 2 : 1
        for i in p.indices {
            var grad = maximize ? -g[i] : g[i]
            if weightDecay != 0 { grad = grad + weightDecay * p[i] }
            let squareAverage = state.buffers[0][i] * alpha + (1 - alpha) * grad * grad
            state.buffers[0][i] = squareAverage
            var average: Double
            if centered {
                let gradAverage = lerp(state.buffers[averageIndex][i], grad, 1 - alpha)
                state.buffers[averageIndex][i] = gradAverage
                average = (squareAverage + -1 * gradAverage * gradAverage).squareRoot()
            } else {
                average = squareAverage.squareRoot()
            }
            average = average + eps
            if momentum > 0 {
                let buffer = state.buffers[momentumIndex][i] * momentum + grad / average
                state.buffers[momentumIndex][i] = buffer
                p[i] = p[i] + -lr * buffer
            } else {
                p[i] = p[i] + -lr * (grad / average)
            }
        }
    }
}

public struct Adadelta: UpdateRule {
    public var rho = 0.9, eps = 1e-6, weightDecay = 0.0, maximize = false
    public init(rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0, maximize: Bool = false) throws {
        try require(rho >= 0 && rho <= 1, "rho", "between 0 and 1", rho)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        self.rho = rho; self.eps = eps; self.weightDecay = weightDecay; self.maximize = maximize
    }
    public var name: String { "Adadelta" }
    public var bufferNames: [String] { ["square_avg", "acc_delta"] }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: 2), scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        for i in p.indices {
            var grad = maximize ? -g[i] : g[i]
            if weightDecay != 0 { grad = grad + weightDecay * p[i] }
            let squareAverage = state.buffers[0][i] * rho + (1 - rho) * grad * grad
            state.buffers[0][i] = squareAverage
            let std = (squareAverage + eps).squareRoot()
            let delta = (state.buffers[1][i] + eps).squareRoot() / std * grad
            state.buffers[1][i] = state.buffers[1][i] * rho + (1 - rho) * delta * delta
            p[i] = p[i] + -lr * delta
        }
    }
}

/// What every Adam-family rule does first, as PyTorch does it: the gradient (negated to maximize,
/// with L2 or decoupled weight decay), then the moments, `exp_avg.lerp_(grad, 1 - beta1)` and
/// `exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)`, stored in buffers 0 and 1.
@inline(__always)
func adamMoments(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>, _ i: Int, _ state: inout ParameterState,
                 beta1: Double, beta2: Double, weightDecay: Double, decoupled: Bool, maximize: Bool, lr: Double) -> (grad: Double, m: Double, v: Double) {
    var grad = maximize ? -g[i] : g[i]
    if weightDecay != 0 {
        if decoupled { p[i] = p[i] * (1 - lr * weightDecay) } else { grad = grad + weightDecay * p[i] }
    }
    let m = lerp(state.buffers[0][i], grad, 1 - beta1)
    let v = state.buffers[1][i] * beta2 + (1 - beta2) * grad * grad
    state.buffers[0][i] = m
    state.buffers[1][i] = v
    return (grad, m, v)
}

/// Adam and AdamW: AdamW is Adam with the weight decay applied to the parameter directly.
public struct Adam: UpdateRule {
    public var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0, amsgrad = false, decoupled = false, maximize = false
    public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
                decoupled: Bool = false, maximize: Bool = false) throws {
        try checkBetas(betas)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay; self.amsgrad = amsgrad; self.decoupled = decoupled; self.maximize = maximize
    }
    public var name: String { decoupled ? "AdamW" : "Adam" }
    public var bufferNames: [String] { ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : []) }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: bufferNames.count), scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let s = Double(step)
        let biasCorrection1 = 1 - power(beta1, s)
        let biasCorrection2 = 1 - power(beta2, s)
        let stepSize = lr / biasCorrection1
        let biasCorrection2Root = power(biasCorrection2, 0.5)
        if weightDecay == 0 && !amsgrad && !maximize {
            descent_adam_step(p.count, p.baseAddress, g.baseAddress, state.buffers[0].baseAddress, state.buffers[1].baseAddress,
                              beta1, beta2, stepSize, biasCorrection2Root, eps)
            return
        }
        for i in p.indices {
            let (_, m, v) = adamMoments(p, g, i, &state, beta1: beta1, beta2: beta2, weightDecay: weightDecay,
                                           decoupled: decoupled, maximize: maximize, lr: lr)
            var second = v
            if amsgrad {
                second = Swift.max(state.buffers[2][i], v)
                state.buffers[2][i] = second
            }
            let denominator = second.squareRoot() / biasCorrection2Root + eps
            p[i] = p[i] + -stepSize * (m / denominator)
        }
    }
}

public struct Adamax: UpdateRule {
    public var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0, maximize = false
    public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) throws {
        try checkBetas(betas)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay; self.maximize = maximize
    }
    public var name: String { "Adamax" }
    public var bufferNames: [String] { ["exp_avg", "exp_inf"] }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: 2), scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let clr = lr / (1 - power(beta1, Double(step)))
        for i in p.indices {
            var grad = maximize ? -g[i] : g[i]
            if weightDecay != 0 { grad = grad + weightDecay * p[i] }
            let m = lerp(state.buffers[0][i], grad, 1 - beta1)
            state.buffers[0][i] = m
            let infinityNorm = nanMaximum(state.buffers[1][i] * beta2, Swift.abs(grad) + eps)
            state.buffers[1][i] = infinityNorm
            p[i] = p[i] + -clr * (m / infinityNorm)
        }
    }
}

public struct NAdam: UpdateRule {
    public var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0, momentumDecay = 4e-3, decoupled = false, maximize = false
    public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 4e-3,
                decoupled: Bool = false, maximize: Bool = false) throws {
        try checkBetas(betas)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        try require(momentumDecay >= 0, "momentum_decay", "at least 0", momentumDecay)
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay; self.momentumDecay = momentumDecay
        self.decoupled = decoupled; self.maximize = maximize
    }
    public var name: String { "NAdam" }
    public var bufferNames: [String] { ["exp_avg", "exp_avg_sq"] }
    /// One scalar: PyTorch's `mu_product`.
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: 2), scalars: [1])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let s = Double(step)
        let biasCorrection2 = 1 - power(beta2, s)
        let mu = beta1 * (1 - 0.5 * power(0.96, s * momentumDecay))
        let muNext = beta1 * (1 - 0.5 * power(0.96, (s + 1) * momentumDecay))
        state.scalars[0] *= mu
        let muProduct = state.scalars[0]
        let muProductNext = muProduct * muNext
        let gradientWeight = -lr * (1 - mu) / (1 - muProduct)
        let averageWeight = (-lr * muNext) / (1 - muProductNext)
        for i in p.indices {
            let (grad, m, v) = adamMoments(p, g, i, &state, beta1: beta1, beta2: beta2, weightDecay: weightDecay,
                                           decoupled: decoupled, maximize: maximize, lr: lr)
            let denominator = (v / biasCorrection2).squareRoot() + eps
            p[i] = p[i] + gradientWeight * (grad / denominator)
            p[i] = p[i] + averageWeight * (m / denominator)
        }
    }
}

public struct RAdam: UpdateRule {
    public var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0, decoupled = false, maximize = false
    public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0, decoupled: Bool = false,
                maximize: Bool = false) throws {
        try checkBetas(betas)
        try require(eps >= 0, "eps", "at least 0", eps)
        try require(weightDecay >= 0, "weight_decay", "at least 0", weightDecay)
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay; self.decoupled = decoupled; self.maximize = maximize
    }
    public var name: String { "RAdam" }
    public var bufferNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public func initialState(count: Int) -> ParameterState {
        ParameterState(buffers: Array(repeating: [Double](repeating: 0, count: count), count: 2), scalars: [])
    }
    public func update(_ p: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                       _ state: inout ParameterState, step: Int, lr: Double) {
        let s = Double(step)
        let biasCorrection1 = 1 - power(beta1, s)
        let biasCorrection2 = 1 - power(beta2, s)
        let rhoInfinity = 2 / (1 - beta2) - 1
        let rho = rhoInfinity - 2 * s * power(beta2, s) / biasCorrection2
        let rectified = rho > 5
        let rectification = rectified
            ? power((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho), 0.5) : 1
        let correction2Root = power(biasCorrection2, 0.5)
        for i in p.indices {
            let (_, m, v) = adamMoments(p, g, i, &state, beta1: beta1, beta2: beta2, weightDecay: weightDecay,
                                           decoupled: decoupled, maximize: maximize, lr: lr)
            let corrected = m / biasCorrection1
            if rectified {
                let adaptive = correction2Root / (v.squareRoot() + eps)
                p[i] = p[i] + -1 * (corrected * lr * adaptive * rectification)
            } else {
                p[i] = p[i] + -1 * (corrected * lr)
            }
        }
    }
}

private func checkBetas(_ betas: (Double, Double)) throws {
    guard betas.0 >= 0, betas.0 < 1, betas.1 >= 0, betas.1 < 1 else {
        throw OptimizationError("betas must each be in [0, 1), got [\(describeNumber(betas.0)), \(describeNumber(betas.1))]", argument: "betas")
    }
}

/// Python's float ** float, which is C's pow.
@inline(__always)
func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }

@inline(__always)
private func nanMaximum(_ x: Double, _ y: Double) -> Double { x.isNaN || y.isNaN ? .nan : Swift.max(x, y) }

/// A rule applied to a fixed list of parameter tensors, with its state and step count.
public final class Optimizer {
    public let rule: any UpdateRule
    public let shapes: [[Int]]
    public private(set) var step = 0
    public private(set) var states: [ParameterState]

    public init(rule: any UpdateRule, shapes: [[Int]]) {
        self.rule = rule
        self.shapes = shapes
        states = shapes.map { rule.initialState(count: $0.reduce(1, *)) }
    }

    /// Moves each parameter by its gradient, in place, at learning rate `lr`. A parameter that
    /// becomes NaN or infinite stops the run with an error naming the step.
    public func update(_ parameters: inout [Tensor], gradients: [Tensor], lr: Double) throws {
        guard gradients.count == parameters.count else {
            throw OptimizationError("step() got \(gradients.count) gradient tensors for \(parameters.count) parameters")
        }
        for (parameter, gradient) in zip(parameters, gradients) where parameter.shape != gradient.shape {
            throw OptimizationError("step() got a gradient of shape \(describe(gradient.shape)) for a parameter of shape \(describe(parameter.shape))")
        }
        guard lr.isFinite, lr >= 0 else {
            throw OptimizationError("lr must be a finite number of at least 0, got \(describeNumber(lr))", argument: "lr")
        }
        step += 1
        for index in parameters.indices {
            let gradient = gradients[index]
            parameters[index].updateElements { p in
                gradient.withElements { g in rule.update(p, g, &states[index], step: step, lr: lr) }
            }
        }
        for parameter in parameters where !parameter.withElements({ descent_all_finite($0.count, $0.baseAddress) != 0 }) {
            // trap-ok: the loop condition found a non-finite element
            let bad = parameter.withElements { $0.first { !$0.isFinite }! }
            throw OptimizationError("a parameter became \(describeNumber(bad)) at step \(step) (lr = \(describeNumber(lr))); the learning rate is probably too high")
        }
    }

    /// The buffers for teaching: one entry per buffer name, a tensor per parameter.
    public func stateTensors() throws -> [(name: String, tensors: [Tensor])] {
        try rule.bufferNames.enumerated().map { position, name in
            (name, try zip(states, shapes).map { state, shape in try Tensor(shape: shape, elements: Array(state.buffers[position])) })
        }
    }
}

/// Newton's method and saddle-free Newton (Dauphin et al. 2014) for one parameter vector: the
/// step is -lr H⁻¹ g, with H's eigenvalues replaced by |λ| + damping for the saddle-free variant,
/// so that it moves away from saddles instead of towards them.
public enum NewtonStep {
    public static func direction(gradient: Tensor, hessian: Tensor, saddleFree: Bool, damping: Double) throws -> Tensor {
        let n = gradient.count
        guard hessian.shape == [n, n] else {
            throw OptimizationError("step() needs a Hessian of shape [\(n), \(n)] for \(n) parameters, got \(describe(hessian.shape))", argument: "hessian")
        }
        let g = try gradient.reshaped([n])
        guard saddleFree else {
            var system = hessian
            if damping != 0 { system = try Tensor.binary(.add, hessian, Tensor.binary(.multiply, Tensor.identity(n), Tensor(scalar: damping))) }
            do { return try Tensor.solve(system, g).reshaped(gradient.shape) } catch {
                throw OptimizationError("the Hessian is singular, so Newton's step is undefined (saddle_free_newton's damping avoids this)")
            }
        }
        let (values, vectors) = try hessian.detached.symmetricEigen()
        let scaled = try Tensor.binary(.divide, Tensor.matmul(vectors.transposed, g),
                                       Tensor.binary(.add, Tensor.unary(.abs, values), Tensor(scalar: damping)))
        return try Tensor.matmul(vectors, scaled).reshaped(gradient.shape)
    }
}
