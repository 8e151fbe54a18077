import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise functions of one tensor.
public enum UnaryFunction: String, CaseIterable, Sendable {
    case negate, exp, log, log1p, log2, log10, sqrt, sin, cos, tan, tanh, sigmoid, relu, softplus, abs
    // Piecewise constant: their gradient is zero, so they are never recorded.
    case sign, floor, ceil, round, trunc

    var isPiecewiseConstant: Bool {
        switch self {
        case .sign, .floor, .ceil, .round, .trunc: true
        default: false
        }
    }
}

/// Element-wise functions of two broadcast tensors.
public enum BinaryFunction: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", power = "**", remainder = "%", floorDivide = "//"
    case maximum, minimum
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="

    /// How error messages name the operation: `'+'` or `maximum()`.
    public var displayName: String {
        switch self {
        case .maximum, .minimum: "\(self)()"
        default: "'\(rawValue)'"
        }
    }

    var isComparison: Bool {
        switch self {
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: true
        default: false
        }
    }

    var isDifferentiable: Bool { !isComparison && self != .floorDivide }

    /// The C kernels' name for the four arithmetic operators.
    var arithmetic: descent_operator? {
        switch self {
        case .add: DESCENT_ADD
        case .subtract: DESCENT_SUBTRACT
        case .multiply: DESCENT_MULTIPLY
        case .divide: DESCENT_DIVIDE
        default: nil
        }
    }
}

/// PyTorch's sigmoid, stable for large |x|.
@inline(__always)
public func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Glibc.exp(-x)) : Glibc.exp(x) / (1 + Glibc.exp(x))
}

/// PyTorch's softplus (beta 1, threshold 20): x itself above the threshold.
@inline(__always)
public func softplus(_ x: Double) -> Double {
    x > 20 ? x : Glibc.log1p(Glibc.exp(-Swift.abs(x))) + Swift.max(x, 0)
}

/// Python's and PyTorch's remainder: the result takes the divisor's sign.
@inline(__always)
func floorRemainder(_ x: Double, _ y: Double) -> Double {
    let r = fmod(x, y)
    if r != 0 && (r < 0) != (y < 0) { return r + y }
    return r
}

/// PyTorch's maximum/minimum: NaN wins.
@inline(__always)
func nanMaximum(_ x: Double, _ y: Double) -> Double { x.isNaN || y.isNaN ? .nan : Swift.max(x, y) }
@inline(__always)
func nanMinimum(_ x: Double, _ y: Double) -> Double { x.isNaN || y.isNaN ? .nan : Swift.min(x, y) }

extension Tensor {
    /// A fresh tensor of an already validated shape.
    init(sameShapeAs other: [Int], count: Int) {
        self.init(shape: other, storage: Storage(count: count))
    }

    public static func unary(_ function: UnaryFunction, _ x: Tensor) -> Tensor {
        var out = Tensor(sameShapeAs: x.shape, count: x.count)
        let px = x.storage.pointer, po = out.storage.pointer, n = x.count
        switch function {
        case .negate: mapElements(px, po, n) { -$0 }
        case .exp: descent_exp(n, px, po)
        case .log: mapElements(px, po, n) { Glibc.log($0) }
        case .log1p: mapElements(px, po, n) { Glibc.log1p($0) }
        case .log2: mapElements(px, po, n) { Glibc.log2($0) }
        case .log10: mapElements(px, po, n) { Glibc.log10($0) }
        case .sqrt: mapElements(px, po, n) { $0.squareRoot() }
        case .sin: mapElements(px, po, n) { Glibc.sin($0) }
        case .cos: mapElements(px, po, n) { Glibc.cos($0) }
        case .tan: mapElements(px, po, n) { Glibc.tan($0) }
        case .tanh: descent_tanh(n, px, po)
        case .sigmoid: descent_sigmoid(n, px, po)
        case .relu: mapElements(px, po, n) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .softplus: mapElements(px, po, n) { softplus($0) }
        case .abs: mapElements(px, po, n) { Swift.abs($0) }
        case .sign: mapElements(px, po, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .floor: mapElements(px, po, n) { $0.rounded(.down) }
        case .ceil: mapElements(px, po, n) { $0.rounded(.up) }
        case .round: mapElements(px, po, n) { $0.rounded(.toNearestOrEven) }
        case .trunc: mapElements(px, po, n) { $0.rounded(.towardZero) }
        }
        if !function.isPiecewiseConstant, let tape = activeTape(x) { tape.record(.unary(function), [x], &out) }
        return out
    }

    public static func binary(_ function: BinaryFunction, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw TensorError("cannot broadcast shapes \(describe(a.shape)) and \(describe(b.shape)) in \(function.displayName)")
        }
        var out = try Tensor(uninitializedShape: shape)
        let po = out.storage.pointer
        if let arithmetic = function.arithmetic, a.count == out.count || b.count == out.count, a.count == 1 || b.count == 1 || a.shape == b.shape {
            // Same shapes, or a number with a tensor: the vectorised C loops.
            descent_arithmetic(arithmetic, out.count, a.storage.pointer, a.count == out.count ? 1 : 0,
                               b.storage.pointer, b.count == out.count ? 1 : 0, po)
            if let tape = activeTape(a, b) { tape.record(.binary(function), [a, b], &out) }
            return out
        }
        if let arithmetic = function.arithmetic, let rowLength = repeatedRowLength(a, b, outShape: shape) {
            // One operand repeated along leading axes (a bias added to a batch): the C loop per row.
            let pa = a.storage.pointer, pb = b.storage.pointer
            for row in stride(from: 0, to: out.count, by: rowLength) {
                descent_arithmetic(arithmetic, rowLength, a.count == out.count ? pa + row : pa, 1,
                                   b.count == out.count ? pb + row : pb, 1, po + row)
            }
            if let tape = activeTape(a, b) { tape.record(.binary(function), [a, b], &out) }
            return out
        }
        switch function {
        case .add: broadcastElements(a, b, into: po, shape: shape) { $0 + $1 }
        case .subtract: broadcastElements(a, b, into: po, shape: shape) { $0 - $1 }
        case .multiply: broadcastElements(a, b, into: po, shape: shape) { $0 * $1 }
        case .divide: broadcastElements(a, b, into: po, shape: shape) { $0 / $1 }
        case .power: broadcastElements(a, b, into: po, shape: shape) { $1 == 2 ? $0 * $0 : Glibc.pow($0, $1) }
        case .remainder: broadcastElements(a, b, into: po, shape: shape) { floorRemainder($0, $1) }
        case .floorDivide: broadcastElements(a, b, into: po, shape: shape) { ($0 / $1).rounded(.down) }
        case .maximum: broadcastElements(a, b, into: po, shape: shape) { nanMaximum($0, $1) }
        case .minimum: broadcastElements(a, b, into: po, shape: shape) { nanMinimum($0, $1) }
        case .less: broadcastElements(a, b, into: po, shape: shape) { $0 < $1 ? 1 : 0 }
        case .lessEqual: broadcastElements(a, b, into: po, shape: shape) { $0 <= $1 ? 1 : 0 }
        case .greater: broadcastElements(a, b, into: po, shape: shape) { $0 > $1 ? 1 : 0 }
        case .greaterEqual: broadcastElements(a, b, into: po, shape: shape) { $0 >= $1 ? 1 : 0 }
        case .equal: broadcastElements(a, b, into: po, shape: shape) { $0 == $1 ? 1 : 0 }
        case .notEqual: broadcastElements(a, b, into: po, shape: shape) { $0 != $1 ? 1 : 0 }
        }
        if function.isComparison { out.isMask = true }
        if function.isDifferentiable, let tape = activeTape(a, b) { tape.record(.binary(function), [a, b], &out) }
        return out
    }

    /// The length of the rows one operand repeats when the other has the full shape and the first
    /// has the trailing dimensions of it (`[32, 10] + [10]`, `[4, 3, 2] * [1, 3, 2]`); nil otherwise.
    private static func repeatedRowLength(_ a: Tensor, _ b: Tensor, outShape: [Int]) -> Int? {
        let (full, repeated) = a.count == b.count ? (a, b) : a.count > b.count ? (a, b) : (b, a)
        guard full.shape == outShape, repeated.count > 0, full.count > repeated.count else { return nil }
        let trailing = Array(repeated.shape.drop { $0 == 1 })
        guard trailing.count <= outShape.count, Array(outShape.suffix(trailing.count)) == trailing else { return nil }
        return repeated.count
    }

    /// `a = a op b` in a's own elements, when that is invisible: `a`'s elements are not shared, it
    /// keeps its shape, and no gradient is being recorded. Returns false (doing nothing) otherwise.
    public static func updateInPlace(_ function: BinaryFunction, _ a: inout Tensor, _ b: Tensor) throws -> Bool {
        guard let arithmetic = function.arithmetic, !a.isMask, activeTape(a, b) == nil,
              b.count == 1 || b.shape == a.shape, broadcastShape(a.shape, b.shape) == a.shape,
              isKnownUniquelyReferenced(&a.storage) else { return false }
        a.trace = nil
        descent_arithmetic_in_place(arithmetic, a.count, a.storage.pointer, b.storage.pointer, b.count == 1 && a.count != 1 ? 0 : 1)
        return true
    }

    /// `condition ? a : b` element by element, broadcasting all three.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape).flatMap({ broadcastShape(condition.shape, $0) }) else {
            throw TensorError("cannot broadcast shapes \(describe(condition.shape)), \(describe(a.shape)) and \(describe(b.shape)) in where()")
        }
        let c = try condition.detached.expanded(to: shape), x = try a.detached.expanded(to: shape), y = try b.detached.expanded(to: shape)
        var out = Tensor(sameShapeAs: shape, count: c.count)
        let pc = c.storage.pointer, px = x.storage.pointer, py = y.storage.pointer, po = out.storage.pointer
        for i in 0..<c.count { po[i] = pc[i] != 0 ? px[i] : py[i] }
        if let tape = activeTape(a, b) { tape.record(.select, [condition.detached, a, b], &out) }
        return out
    }

    /// Each element limited to [lower, upper], as torch.clamp.
    public func clipped(lower: Double, upper: Double) -> Tensor {
        var out = Tensor(sameShapeAs: shape, count: count)
        mapElements(storage.pointer, out.storage.pointer, count) { x in
            x.isNaN ? x : Swift.min(Swift.max(x, lower), upper)
        }
        if let tape = activeTape(self) { tape.record(.clip(lower: lower, upper: upper), [self], &out) }
        return out
    }
}
