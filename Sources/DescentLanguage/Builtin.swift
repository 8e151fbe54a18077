import DescentTensor
import Synchronization

/// A function implemented in Swift. Its signature string (`round(x, digits: 0)`) is the single
/// source of its parameter names, defaults, help text and argument binding.
public final class BuiltinFunction: FunctionObject {
    struct Parameter {
        let name: String
        let defaultValue: Value?
        let isVariadic: Bool
        /// `**options`: receives every named argument no other parameter takes, as a record.
        var collectsNamed = false
    }

    /// Parsed from the signature on first use: parsing every built-in's defaults when an
    /// interpreter starts was a tenth of start-up time.
    var parameters: [Parameter] {
        if let parsedParameters { return parsedParameters }
        let parameters = BuiltinFunction.parsedParameters(signatureToParse)
        parsedParameters = parameters
        return parameters
    }
    private var parsedParameters: [Parameter]?
    private let signatureToParse: String
    /// For `print(values..., sep: " ")`: every positional argument is one of `values`.
    var isVariadic: Bool { parameters.first?.isVariadic ?? false }
    public let declaredSignature: String
    public let summary: String
    public let example: String
    public let category: String
    let body: (inout Arguments) throws -> Value
    /// Fields of a built-in that is also an object: a schedule's `lr` or `observe`.
    var memberLookup: ((String) -> Value?)?
    /// The library object behind a built-in made at run time (a schedule's rule).
    var payload: AnyObject?
    private var collectsNamed: Bool { parameters.last?.collectsNamed ?? false }

    /// `shownAs` replaces the signature in messages and `repr` for built-ins made at run time,
    /// such as the function `grad(loss)` returns.
    init(_ signature: String, shownAs: String? = nil, category: String, _ summary: String, example: String,
         body: @escaping (inout Arguments) throws -> Value) {
        signatureToParse = signature
        self.declaredSignature = shownAs ?? signature
        self.summary = summary
        self.example = example
        self.category = category
        self.body = body
        super.init(name: String(signature.prefix { $0 != "(" }))
    }

    override public var signature: String { declaredSignature }

    /// Parameter lists parsed so far. Built-ins made at run time (an optimizer's `step`, made on each
    /// access) would otherwise parse the same text, defaults and all, on every call.
    private static let parsedSignatures = Mutex<[String: ParsedSignature]>([:])

    /// Defaults are literals, which no built-in mutates, so sharing them between threads is safe.
    private struct ParsedSignature: @unchecked Sendable {
        let parameters: [Parameter]
    }

    private static func parsedParameters(_ signature: String) -> [Parameter] {
        if let known = parsedSignatures.withLock({ $0[signature] }) { return known.parameters }
        let parameters = parseParameters(signature)
        parsedSignatures.withLock { $0[signature] = ParsedSignature(parameters: parameters) }
        return parameters
    }

    private static func parseParameters(_ signature: String) -> [Parameter] {
        let open = signature.firstIndex(of: "(") ?? signature.endIndex
        let inner = signature[signature.index(after: open)..<(signature.lastIndex(of: ")") ?? signature.endIndex)]
        var parameters: [Parameter] = []
        for piece in splitTopLevel(String(inner)) where !piece.isEmpty {
            if piece.hasPrefix("**") {
                parameters.append(Parameter(name: String(piece.dropFirst(2)), defaultValue: nil, isVariadic: false, collectsNamed: true))
            } else if piece.hasSuffix("...") {
                parameters.append(Parameter(name: String(piece.dropLast(3)), defaultValue: nil, isVariadic: true))
            } else if let colon = piece.firstIndex(of: ":") {
                let defaultText = String(piece[piece.index(after: colon)...]).trimmingSpaces()
                parameters.append(Parameter(name: String(piece[..<colon]).trimmingSpaces(),
                                            defaultValue: literalValue(defaultText), isVariadic: false))
            } else {
                parameters.append(Parameter(name: piece, defaultValue: nil, isVariadic: false))
            }
        }
        return parameters
    }

    private static func splitTopLevel(_ text: String) -> [String] {
        var pieces: [String] = [], current = "", inString = false, depth = 0
        for character in text {
            if character == "\"" { inString.toggle() }
            if !inString, character == "[" { depth += 1 }
            if !inString, character == "]" { depth -= 1 }
            if character == ",", !inString, depth == 0 {
                pieces.append(current.trimmingSpaces())
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current.trimmingSpaces())
        return pieces
    }

    /// Default values are written in Descent and read by Descent's own parser.
    private static func literalValue(_ text: String) -> Value {
        let file = SourceFile(name: "<signature>", text: text)
        guard var parser = try? Parser(file: file, fileID: -1),
              let literal = (try? parser.expression()) as? Literal else { return .nil }
        return literal.value
    }

    func invoke(_ ip: Interpreter, argumentBase: Int, count: Int, named: [(name: String, value: Value, span: SourceSpan)],
                site: Node, argumentNodes: [Node], hasReceiver: Bool) throws -> Value {
        var keywordValues: [Value] = []
        var used = count
        if isVariadic {
            keywordValues = parameters.dropFirst().map { $0.defaultValue ?? .nil }
            for argument in named {
                guard let index = parameters.dropFirst().firstIndex(where: { $0.name == argument.name }) else {
                    throw ip.unknownArgument(argument.name, function: name, accepted: parameters.dropFirst().map(\.name), at: argument.span)
                }
                keywordValues[index - 1] = argument.value
            }
        } else if count != parameters.count || !named.isEmpty || collectsNamed {
            used = parameters.count
            try bind(ip, argumentBase: argumentBase, count: count, named: named, site: site)
        }
        ip.top = argumentBase + used
        defer {
            for i in argumentBase..<(argumentBase + max(used, count)) { ip.stack[i] = .nil }
        }
        var arguments = Arguments(ip: ip, base: argumentBase, count: used, function: self, site: site,
                                  argumentNodes: argumentNodes, hasReceiver: hasReceiver, keywordValues: keywordValues,
                                  namedSpans: named.map { ($0.name, $0.span) })
        do {
            return try body(&arguments)
        } catch let error as TensorError {
            throw error.at(site.span)
        }
    }

    private func bind(_ ip: Interpreter, argumentBase: Int, count: Int,
                      named: [(name: String, value: Value, span: SourceSpan)], site: Node) throws {
        let positional = collectsNamed ? parameters.count - 1 : parameters.count
        if count > positional {
            let most = parameters.contains { $0.defaultValue != nil } ? "at most " : ""
            throw Diagnostic("\(name)() takes \(most)\(describeCount(positional, "argument")) but \(count) \(count == 1 ? "was" : "were") given; its signature is \(signature)",
                             at: site.span)
        }
        ip.ensureStack(argumentBase + parameters.count + 1)
        var provided = [Bool](repeating: false, count: parameters.count)
        for i in 0..<count { provided[i] = true }
        let extra = RecordObject()
        for argument in named {
            guard let index = parameters.firstIndex(where: { $0.name == argument.name && !$0.collectsNamed }) else {
                if collectsNamed {
                    if extra.fields[argument.name] != nil { throw Diagnostic("\(name)() got two values for '\(argument.name)'", at: argument.span) }
                    extra.fields[argument.name] = argument.value
                    continue
                }
                throw ip.unknownArgument(argument.name, function: name, accepted: parameters.map(\.name), at: argument.span)
            }
            if provided[index] { throw Diagnostic("\(name)() got two values for '\(argument.name)'", at: argument.span) }
            ip.stack[argumentBase + index] = argument.value
            provided[index] = true
        }
        if collectsNamed {
            ip.stack[argumentBase + parameters.count - 1] = .record(extra)
            provided[parameters.count - 1] = true
        }
        for (index, parameter) in parameters.enumerated() where !provided[index] {
            guard let value = parameter.defaultValue else {
                throw Diagnostic("missing argument '\(parameter.name)' in call to \(signature)", at: site.span)
            }
            ip.stack[argumentBase + index] = value
        }
    }

    /// `help(name)` text: signature, description, example.
    public var helpText: String {
        "\(signature)\n    \(summary)\n    example: \(example)"
    }
}

/// The arguments of one built-in call, with one-line checks in the style of Wren's `validateNum`
/// that turn a wrong argument into a diagnostic pointing at that argument.
public struct Arguments {
    public let ip: Interpreter
    let base: Int
    public let count: Int
    let function: BuiltinFunction
    let site: Node
    let argumentNodes: [Node]
    let hasReceiver: Bool
    let keywordValues: [Value]
    /// Where each named argument was written (`size: 0`), so that a diagnostic can point at it.
    let namedSpans: [(name: String, span: SourceSpan)]

    public subscript(index: Int) -> Value { ip.stack[base + index] }


    public var span: SourceSpan { site.span }

    /// A variadic built-in's keyword parameter, by its position after the variadic one.
    public func keyword(_ index: Int) -> Value { keywordValues[index] }

    func span(ofArgument index: Int) -> SourceSpan {
        if !function.isVariadic, index < function.parameters.count,
           let named = namedSpans.first(where: { $0.name == function.parameters[index].name }) {
            return named.span
        }
        if hasReceiver {
            if index == 0 { return (site as? MethodCall)?.receiver.span ?? site.span }
            return index - 1 < argumentNodes.count ? argumentNodes[index - 1].span : site.span
        }
        return index < argumentNodes.count ? argumentNodes[index].span : site.span
    }

    private func parameterName(_ index: Int) -> String {
        function.isVariadic ? function.parameters[0].name : function.parameters[min(index, function.parameters.count - 1)].name
    }

    public func error(_ message: String, argument: Int? = nil) -> Diagnostic {
        Diagnostic(message, at: argument.map { span(ofArgument: $0) } ?? site.span)
    }

    public func typeError(_ index: Int, expected: String) -> Diagnostic {
        error("\(function.name)() expects \(expected) for '\(parameterName(index))', got \(self[index].typeName)", argument: index)
    }

    /// A number; a one-element tensor counts as its number (as PyTorch's `float(t)`), without
    /// its gradient: built-ins that propagate gradients check for tensors first.
    public func number(_ index: Int) throws -> Double {
        if case .number(let x) = self[index] { return x }
        if case .object(let object as TensorObject) = self[index], let x = object.tensor.scalarValue { return x }
        throw typeError(index, expected: "a number")
    }

    public func integer(_ index: Int) throws -> Int {
        let x = try number(index)
        guard x.rounded() == x, abs(x) < 1e15 else {
            throw error("\(function.name)() expects a whole number for '\(parameterName(index))', got \(formatNumber(x))", argument: index)
        }
        return Int(x)
    }

    public func string(_ index: Int) throws -> String {
        if case .string(let s) = self[index] { return s.value }
        throw typeError(index, expected: "a string")
    }

    public func list(_ index: Int) throws -> ListObject {
        if case .list(let l) = self[index] { return l }
        throw typeError(index, expected: "a list")
    }

    public func record(_ index: Int) throws -> RecordObject {
        if case .record(let r) = self[index] { return r }
        throw typeError(index, expected: "a record")
    }

    public func function(_ index: Int) throws -> Value {
        if case .function = self[index] { return self[index] }
        throw typeError(index, expected: "a function")
    }

    /// The elements of any iterable argument: list, range, string (characters) or record (keys).
    public func elements(_ index: Int) throws -> [Value] {
        switch self[index] {
        case .list(let list): return list.items
        case .object(let range as RangeObject):
            guard range.count <= GrowthLimit.listLength else {
                throw error("\(function.name)() would make a list of \(range.count) numbers from \(range.describe()); the limit is \(GrowthLimit.listLength)", argument: index)
            }
            return (0..<range.count).map { .number(range[$0]) }
        case .string(let s): return s.value.map { .str(String($0)) }
        case .record(let r): return r.fields.keys.map { .str($0) }
        case .object(let object as TensorObject): return try tensorRows(object.tensor, at: span(ofArgument: index))
        case .object(let object):
            if let values = try object.iterationValues(at: span(ofArgument: index)) { return values }
            throw typeError(index, expected: "a list, range, string, record or tensor")
        default: throw typeError(index, expected: "a list, range, string, record or tensor")
        }
    }

    /// Calls a Descent function value from inside a built-in.
    public func call(_ function: Value, _ arguments: [Value]) throws -> Value {
        try ip.call(function, arguments, site: site)
    }

    public func call(_ function: Value, _ argument: Value) throws -> Value {
        try ip.call(function, argument, site: site)
    }
}
