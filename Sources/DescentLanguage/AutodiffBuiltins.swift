import DescentTensor

// grad, value_and_grad, jacobian, hessian and gradcheck: they turn a Descent function into one
// that runs it on traced stand-ins for its arguments and asks the tensor library's
// GradientContext for derivatives.

extension Builtins {
    static var autodiff: [BuiltinFunction] {
        let category = "Autodiff"
        return [
            define("grad(f, argnums: 0)", category,
                   "A function computing the gradient of number-valued f with respect to its first argument (a number, tensor, or list/record of them), or to the arguments listed in `argnums`.",
                   example: "grad(fn(x) => x ** 3)(2)") { args in
                try derivative(args, name: "grad", returnsValue: false)
            },
            define("value_and_grad(f, argnums: 0)", category,
                   "Like grad(f), but the function returns [f's value, gradient], computing both in one pass.",
                   example: "value_and_grad(fn(x) => x ** 2)(3)") { args in
                try derivative(args, name: "value_and_grad", returnsValue: true)
            },
            define("jacobian(f)", category,
                   "A function computing the Jacobian of f at x: shape f(x).shape + x.shape.",
                   example: "jacobian(fn(v) => v * v)(tensor([1, 2]))") { args in
                try jacobianFunction(args, name: "jacobian") { ip, point, evaluate in
                    try ip.gradients.valueAndJacobians(at: [point]) { try evaluate($0[0]) }.jacobians[0]
                }
            },
            define("hessian(f)", category,
                   "A function computing the exact Hessian of number-valued f at x (the Jacobian of its gradient): shape x.shape + x.shape.",
                   example: "hessian(fn(v) => v[0] ** 2 * v[1])(tensor([1, 2]))") { args in
                try jacobianFunction(args, name: "hessian") { ip, point, evaluate in
                    try ip.gradients.valueAndJacobians(at: [point]) { outer in
                        try ip.gradients.valueAndGradients(at: outer) { try evaluate($0[0]) }.gradients[0]
                    }.jacobians[0]
                }
            },
            define("gradcheck(f, x, eps: 1e-6)", category,
                   "The worst relative error between grad(f)(x) and central finite differences with step eps (errors of gradients below 1e-6 in size are measured against 1e-6).",
                   example: "gradcheck(fn(v) => sum(sin(v)), tensor([0.5, 1])) < 1e-8") { args in
                try gradientCheck(args)
            },
        ]
    }
}

private func functionName(_ f: Value) -> String {
    if case .function(let function) = f { return function.name }
    return "f"
}

/// Where the differentiable numbers of an argument sit: numbers and tensors, inside lists and records.
private indirect enum Structure {
    case number, tensor, list([Structure]), record([(String, Structure)])
}

private func flatten(_ value: Value, into leaves: inout [Tensor], at path: String, _ args: Arguments) throws -> Structure {
    switch value {
    case .number(let x):
        leaves.append(Tensor(scalar: x))
        return .number
    case .object(let object as TensorObject):
        leaves.append(object.tensor)
        return .tensor
    case .list(let list):
        return .list(try list.items.enumerated().map { try flatten($1, into: &leaves, at: "\(path)[\($0)]", args) })
    case .record(let record):
        return .record(try record.fields.map { ($0, try flatten($1, into: &leaves, at: "\(path).\($0)", args)) })
    default:
        throw args.error("\(args.function.name)() can differentiate with respect to numbers, tensors, and lists or records of them; \(path) is \(value.typeName == "nil" ? "nil" : "a " + value.typeName)")
    }
}

/// The structure again with leaves in place: traced stand-ins going in, gradients coming out.
private func rebuild(_ structure: Structure, _ leaves: [Tensor], _ position: inout Int) -> Value {
    switch structure {
    case .number:
        defer { position += 1 }
        return tensorValue(leaves[position])
    case .tensor:
        defer { position += 1 }
        return .object(TensorObject(leaves[position]))
    case .list(let items):
        return .list(items.map { rebuild($0, leaves, &position) })
    case .record(let fields):
        let record = RecordObject()
        for (name, field) in fields { record.fields[name] = rebuild(field, leaves, &position) }
        return .record(record)
    }
}

/// Calls `f` and returns its result as a tensor, refusing results that are not numbers.
private func tensorResult(of f: Value, _ arguments: [Value], _ args: Arguments, _ name: String) throws -> Tensor {
    let result = try args.call(f, arguments)
    switch result {
    case .number(let x): return Tensor(scalar: x)
    case .object(let object as TensorObject): return object.tensor
    default:
        throw args.error("\(name)(\(functionName(f))) needs \(functionName(f)) to return a number or a tensor, but it returned \(result.typeName == "nil" ? "nil" : "a " + result.typeName)")
    }
}

/// jacobian(f) and hessian(f): a function of a point x (and f's other arguments) that hands
/// `compute` the point and a way to evaluate f at a traced stand-in for it.
private func jacobianFunction(_ args: Arguments, name: String,
                              _ compute: @escaping (Interpreter, Tensor, (Tensor) throws -> Tensor) throws -> Tensor) throws -> Value {
    let f = try args.function(0)
    let ip = args.ip
    return .function(BuiltinFunction("\(name)(args...)", shownAs: "\(name)(\(functionName(f)))(x, args...)",
                                     category: "Autodiff", "", example: "") { inner in
        let (point, rest) = try firstArgument(inner, name)
        let result = try prefixingErrors(name, f, inner) {
            try compute(ip, point) { stand in try tensorResult(of: f, [.object(TensorObject(stand))] + rest, inner, name) }
        }
        return tensorValue(result)
    })
}

/// Runs `body`, naming the derivative in a tensor error it throws: `grad(loss): ...`.
private func prefixingErrors<Result>(_ name: String, _ f: Value, _ args: Arguments, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as TensorError {
        throw args.error("\(name)(\(functionName(f))): \(error.message)")
    }
}

private func firstArgument(_ args: Arguments, _ name: String) throws -> (Tensor, [Value]) {
    guard args.count >= 1 else { throw args.error("\(name)() of a function needs the point to differentiate at") }
    return (try args.tensor(0), (1..<args.count).map { args[$0] })
}

/// grad(f) and value_and_grad(f): a function of f's arguments returning gradients shaped like
/// the arguments selected by `argnums`.
private func derivative(_ args: Arguments, name: String, returnsValue: Bool) throws -> Value {
    let f = try args.function(0)
    let selected: [Int]
    let several: Bool
    switch args[1] {
    case .number:
        selected = [try args.integer(1)]
        several = false
    case .list(let list):
        selected = try list.items.map { item in
            guard case .number(let x) = item, x == x.rounded(), x >= 0, x < 1e6 else {
                throw args.error("\(name)() needs argnums to be argument positions (whole numbers from 0), got \(item.reprString)", argument: 1)
            }
            return Int(x)
        }
        several = true
    default:
        throw args.typeError(1, expected: "an argument position or a list of them")
    }
    guard selected.allSatisfy({ $0 >= 0 }) else { throw args.error("\(name)() needs argnums of at least 0", argument: 1) }
    let ip = args.ip
    let shown = "\(name)(\(functionName(f)))(args...)"
    return .function(BuiltinFunction("\(name)(args...)", shownAs: shown, category: "Autodiff", "", example: "") { inner in
        let arguments = (0..<inner.count).map { inner[$0] }
        guard let highest = selected.max(), highest < arguments.count else {
            throw inner.error("\(shown) differentiates with respect to argument \(selected.max() ?? 0), but \(describeCount(arguments.count, "argument")) \(arguments.count == 1 ? "was" : "were") given")
        }
        var leaves: [Tensor] = []
        var structures: [Structure] = []
        var leafCounts: [Int] = []
        for position in selected {
            let before = leaves.count
            structures.append(try flatten(arguments[position], into: &leaves, at: "argument \(position)", inner))
            leafCounts.append(leaves.count - before)
        }
        let result = try prefixingErrors(name, f, inner) {
            try ip.gradients.valueAndGradients(at: leaves) { traced in
                var callArguments = arguments
                var position = 0
                for (structure, argument) in zip(structures, selected) {
                    callArguments[argument] = rebuild(structure, traced, &position)
                }
                return try tensorResult(of: f, callArguments, inner, name)
            }
        }
        var position = 0
        let gradients = structures.map { rebuild($0, result.gradients, &position) }
        let gradient = several ? Value.list(gradients) : gradients[0]
        return returnsValue ? .list([tensorValue(result.value), gradient]) : gradient
    })
}

private func gradientCheck(_ args: Arguments) throws -> Value {
    let f = try args.function(0)
    let eps = try args.number(2)
    guard eps > 0, eps.isFinite else { throw args.error("gradcheck() needs a positive step eps, got \(formatNumber(eps))", argument: 2) }
    var leaves: [Tensor] = []
    let structure = try flatten(args[1], into: &leaves, at: "x", args)
    let analytic = try prefixingErrors("gradcheck", f, args) {
        try args.ip.gradients.valueAndGradients(at: leaves) { traced in
            var position = 0
            return try tensorResult(of: f, [rebuild(structure, traced, &position)], args, "gradcheck")
        }.gradients
    }
    func evaluate(_ point: [Tensor]) throws -> Double {
        var position = 0
        let value = try tensorResult(of: f, [rebuild(structure, point, &position)], args, "gradcheck")
        guard let number = value.scalarValue else {
            throw args.error("gradcheck() needs f to return a single number, got shape \(describe(value.shape))")
        }
        return number
    }
    var worst = 0.0
    for (leafIndex, leaf) in leaves.enumerated() {
        for element in 0..<leaf.count {
            try args.ip.checkInterrupt(at: args.span)
            var point = leaves
            point[leafIndex].updateElements { $0[element] += eps }
            let above = try evaluate(point)
            point[leafIndex] = leaf
            point[leafIndex].updateElements { $0[element] -= eps }
            let below = try evaluate(point)
            let numeric = (above - below) / (2 * eps)
            let exact = analytic[leafIndex][flat: element]
            let error = Swift.abs(exact - numeric) / Swift.max(Swift.abs(exact), Swift.abs(numeric), 1e-6)
            if error > worst || error.isNaN { worst = error }
        }
    }
    return .number(worst)
}
