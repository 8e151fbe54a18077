import DescentTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built-in library. Each entry declares, in one place, its signature (which binds its
/// arguments), a one-line description, an example (run by the tests and shown in docs/BUILTINS.md),
/// and its body.
enum Builtins {
    static var all: [BuiltinFunction] {
        output + numbers + collections + strings + control + checks + tensors + tensorMath + linearAlgebra + autodiff + neuralNetworks
            + optimizers + schedules + data + training + search + statistics + plots
    }

    /// Global constants, installed next to the functions.
    static var constants: [(name: String, value: Value, summary: String)] { [
        ("pi", .number(Double.pi), "π, the ratio of a circle's circumference to its diameter"),
        ("e", .number(M_E), "Euler's number, the base of the natural logarithm"),
        ("inf", .number(.infinity), "positive infinity"),
        ("nan", .number(.nan), "not a number"),
    ] }

    static func define(_ signature: String, _ category: String, _ summary: String, example: String,
                               _ body: @escaping (inout Arguments) throws -> Value) -> BuiltinFunction {
        BuiltinFunction(signature, category: category, summary, example: example, body: body)
    }

    /// A function of one number that also applies element-wise to a tensor or list.
    static func math(_ name: String, _ summary: String, category: String = "Numbers", example: String,
                     tensor function: UnaryFunction, _ f: @escaping (Double) -> Double) -> BuiltinFunction {
        define("\(name)(x)", category, summary, example: example) { args in
            if case .number(let x) = args[0] { return .number(f(x)) }
            guard args.isTensorLike(0) else { throw args.typeError(0, expected: "a number or a tensor") }
            return tensorValue(Tensor.unary(function, try args.tensor(0)))
        }
    }

    // MARK: Output and inspection

    static var output: [BuiltinFunction] {
        [
            define("print(values..., sep: \" \", end: \"\\n\")", "Output",
                   "Writes the values separated by `sep` and followed by `end`; strings appear without quotes.",
                   example: "print(\"lr =\", 0.1)") { args in
                // nil means the default, as None does for Python's print.
                let separator = args.keyword(0).isNil ? " " : args.keyword(0).displayString
                let terminator = args.keyword(1).isNil ? "\n" : args.keyword(1).displayString
                var text = ""
                for i in 0..<args.count {
                    if i > 0 { text += separator }
                    text += args[i].displayString
                }
                args.ip.output.write(text + terminator)
                if args.ip.output.isOverLimit {
                    throw args.error("output limit reached: this run printed over \(args.ip.output.byteLimit ?? 0) bytes (raise it with --max-output)")
                }
                return .nil
            },
            define("str(value)", "Output", "The text `print` would show for a value.", example: "str(0.5) + \"s\"") { args in
                .str(args[0].displayString)
            },
            define("repr(value)", "Output", "The text the REPL shows for a value: strings quoted.", example: "repr(\"adam\")") { args in
                .str(args[0].reprString)
            },
            define("type(value)", "Output",
                   "The kind of a value: \"number\", \"string\", \"bool\", \"nil\", \"list\", \"record\", \"function\", \"range\", \"tensor\".",
                   example: "type([1, 2])") { args in .str(args[0].typeName) },
            define("json(value, indent: nil)", "Output",
                   "The value as JSON text; numbers in shortest round-trip form, records as objects in field order.",
                   example: "json({lr: 0.1, betas: [0.9, 0.999]})") { args in
                let indent: Int? = if case .nil = args[1] { nil } else { try args.integer(1) }
                if let indent, !(0...16).contains(indent) { throw args.error("json() indent must be between 0 and 16, got \(indent)", argument: 1) }
                return .str(try JSONWriter(indent: indent, args: args).write(args[0]))
            },
            define("help(name: nil)", "Output",
                   "Shows the signature, description and example of a function (or of the name given as a string).",
                   example: "help(sqrt)") { args in
                args.ip.output.write(try args.ip.helpText(for: args[0], args: args) + "\n")
                return .nil
            },
        ]
    }

    // MARK: Numbers

    static var numbers: [BuiltinFunction] {
        [
            math("abs", "Absolute value.", example: "abs(-3)", tensor: .abs) { Swift.abs($0) },
            math("sqrt", "Square root; NaN for negative numbers, as in NumPy.", example: "sqrt(2)", tensor: .sqrt) { $0.squareRoot() },
            math("exp", "e raised to the power x.", example: "exp(1)", tensor: .exp) { Glibc.exp($0) },
            define("log(x, base: nil)", "Numbers", "Natural logarithm, or the logarithm in `base`; log(0) is -inf.",
                   example: "log(100, base: 10)") { args in
                guard case .number(let x) = args[0] else {
                    let natural = Tensor.unary(.log, try args.tensor(0))
                    if case .nil = args[1] { return tensorValue(natural) }
                    return tensorValue(try Tensor.binary(.divide, natural, Tensor(scalar: Glibc.log(try args.number(1)))))
                }
                if case .nil = args[1] { return .number(Glibc.log(x)) }
                return .number(Glibc.log(x) / Glibc.log(try args.number(1)))
            },
            math("log2", "Base-2 logarithm.", example: "log2(1024)", tensor: .log2) { Glibc.log2($0) },
            math("log10", "Base-10 logarithm.", example: "log10(0.001)", tensor: .log10) { Glibc.log10($0) },
            math("sin", "Sine of an angle in radians.", example: "sin(pi / 2)", tensor: .sin) { Glibc.sin($0) },
            math("cos", "Cosine of an angle in radians.", example: "cos(0)", tensor: .cos) { Glibc.cos($0) },
            math("tan", "Tangent of an angle in radians.", example: "tan(pi / 4)", tensor: .tan) { Glibc.tan($0) },
            math("tanh", "Hyperbolic tangent.", example: "tanh(0.5)", tensor: .tanh) { Glibc.tanh($0) },
            math("floor", "The largest whole number not above x.", example: "floor(-2.5)", tensor: .floor) { $0.rounded(.down) },
            math("ceil", "The smallest whole number not below x.", example: "ceil(2.1)", tensor: .ceil) { $0.rounded(.up) },
            math("int", "x with its fraction dropped (towards zero), as Python's int().", example: "int(-2.7)", tensor: .trunc) { $0.rounded(.towardZero) },
            math("sign", "-1, 0 or 1 by the sign of x (NaN stays NaN).", example: "sign(-0.3)", tensor: .sign) { x in
                x.isNaN ? x : x > 0 ? 1 : x < 0 ? -1 : 0
            },
            define("round(x, digits: 0)", "Numbers",
                   "Rounds to the nearest whole number, or to `digits` decimals; ties go to even, as in Python.",
                   example: "round(2.675, digits: 2)") { args in
                let digits = try args.integer(1)
                guard case .number(let x) = args[0] else {
                    // As torch.round(decimals:): scaled, rounded half to even, scaled back.
                    let scale = Tensor(scalar: Glibc.pow(10, Double(digits)))
                    let scaled = try Tensor.binary(.multiply, try args.tensor(0), scale)
                    return tensorValue(try Tensor.binary(.divide, Tensor.unary(.round, scaled), scale))
                }
                return .number(roundToDigits(x, digits))
            },
            define("isnan(x)", "Numbers", "Whether x is NaN (element-wise for a tensor).", example: "isnan(0 / 0)") { args in
                if case .number(let x) = args[0] { return .bool(x.isNaN) }
                let t = try args.tensor(0)
                return tensorValue(try Tensor.binary(.notEqual, t, t))
            },
            define("isinf(x)", "Numbers", "Whether x is infinite (element-wise for a tensor).", example: "isinf(1 / 0)") { args in
                if case .number(let x) = args[0] { return .bool(x.isInfinite) }
                return tensorValue(try Tensor.binary(.equal, Tensor.unary(.abs, try args.tensor(0)), Tensor(scalar: .infinity)))
            },
            define("min(values..., axis: nil, keepdims: false)", "Numbers",
                   "The smallest of the arguments, or of one list argument; of a tensor's elements, or along `axis`.",
                   example: "min(3, 1, 2)") { args in try extreme(&args, wantLarger: false) },
            define("max(values..., axis: nil, keepdims: false)", "Numbers",
                   "The largest of the arguments, or of one list argument; of a tensor's elements, or along `axis`.",
                   example: "max([0.1, 0.5, 0.2])") { args in try extreme(&args, wantLarger: true) },
            define("num(text)", "Numbers", "Parses a number from a string (\"1e-3\", \"inf\"); a number is returned unchanged.",
                   example: "num(\"1e-3\")") { args in
                if case .number = args[0] { return args[0] }
                let text = try args.string(0).trimmingSpaces()
                guard let x = Double(text) else { throw args.error("num() cannot read a number from \(quoteString(text))", argument: 0) }
                return .number(x)
            },
            define("format(x, spec)", "Numbers",
                   "Formats a number with a Python format spec: \".3f\", \".2e\", \"8.4g\", \".1%\", \">10\", \",\"...",
                   example: "format(0.012345, \".2e\")") { args in
                .str(try formatWithSpec(args[0], try args.string(1), args: args))
            },
        ]
    }

    // MARK: Collections

    static var collections: [BuiltinFunction] {
        [
            define("len(x)", "Collections", "The number of elements of a list, characters of a string, fields of a record or steps of a range.",
                   example: "len([1, 2, 3])") { args in
                switch args[0] {
                case .list(let l): return .number(Double(l.items.count))
                case .string(let s): return .number(Double(s.value.count))
                case .record(let r): return .number(Double(r.fields.count))
                case .object(let range as RangeObject): return .number(Double(range.count))
                case .object(let tensor as TensorObject):
                    guard let length = tensor.tensor.shape.first else { throw args.error("len() of a tensor with no dimensions") }
                    return .number(Double(length))
                case .object(let loader as BatchesObject): return .number(Double(loader.count))
                default: throw args.typeError(0, expected: "a list, string, record, range or tensor")
                }
            },
            define("range(start, stop: nil, step: 1)", "Collections",
                   "Numbers from start (inclusive) to stop (exclusive) by step; range(n) counts 0 to n-1. Lazy, as in Python 3.",
                   example: "list(range(1, 10, 3))") { args in
                let first = try args.number(0)
                let (start, stop) = if case .nil = args[1] { (0.0, first) } else { (first, try args.number(1)) }
                let step = try args.number(2)
                if let problem = RangeObject.problem(start: start, stop: stop, step: step) {
                    throw problem.isStep ? args.error(problem.message, argument: 2) : args.error(problem.message)
                }
                return .object(RangeObject(start: start, stop: stop, step: step))
            },
            define("list(items)", "Collections", "A new list of the elements of a list, range, string or record (its keys).",
                   example: "list(\"abc\")") { args in .list(try args.elements(0)) },
            define("copy(x)", "Collections", "A shallow copy of a list or record; a copy of a tensor that changes independently.",
                   example: "copy([1, 2])") { args in
                switch args[0] {
                case .list(let l): return .list(l.items)
                case .record(let r): return .record(RecordObject(r.fields))
                case .object(let t as TensorObject): return .object(TensorObject(t.tensor))
                default: return args[0]
                }
            },
            define("append(xs, value)", "Collections", "Adds value at the end of the list xs (in place) and returns xs.",
                   example: "[1, 2].append(3)") { args in
                let list = try args.list(0)
                try GrowthLimit.checkList(list.items.count + 1, at: args.span)
                list.items.append(args[1])
                return args[0]
            },
            define("extend(xs, items)", "Collections", "Appends every element of items to the list xs (in place) and returns xs.",
                   example: "[1].extend([2, 3])") { args in
                let list = try args.list(0)
                let items = try args.elements(1)
                try GrowthLimit.checkList(list.items.count + items.count, at: args.span)
                list.items.append(contentsOf: items)
                return args[0]
            },
            define("insert(xs, index, value)", "Collections", "Inserts value before position index in the list xs (in place) and returns xs.",
                   example: "[1, 3].insert(1, 2)") { args in
                let list = try args.list(0)
                try GrowthLimit.checkList(list.items.count + 1, at: args.span)
                var index = try args.integer(1)
                if index < 0 { index += list.items.count }
                list.items.insert(args[2], at: min(max(index, 0), list.items.count))
                return args[0]
            },
            define("pop(xs, index: -1)", "Collections", "Removes and returns the element at index (the last by default) of the list xs.",
                   example: "[1, 2, 3].pop()") { args in
                let list = try args.list(0)
                guard !list.items.isEmpty else { throw args.error("pop() from an empty list", argument: 0) }
                let index = try resolveIndex(args[1], count: list.items.count, kind: "list", at: args.span(ofArgument: 1))
                return list.items.remove(at: index)
            },
            define("contains(xs, value)", "Collections",
                   "Whether a list or range holds value, a string contains the substring, or a record has the key.",
                   example: "contains([1, 2, 3], 2)") { args in
                .bool(try isMember(args[1], of: args[0], at: args.span))
            },
            define("index_of(xs, value)", "Collections", "The position of the first element equal to value, or -1.",
                   example: "index_of([\"sgd\", \"adam\"], \"adam\")") { args in
                let items = try args.elements(0)
                return .number(Double(try items.firstIndex { try equal($0, args[1], args) } ?? -1))
            },
            define("reversed(xs)", "Collections", "A new list with the elements in reverse order.", example: "reversed([1, 2, 3])") { args in
                .list(try args.elements(0).reversed())
            },
            define("sorted(xs, key: nil, reverse: false)", "Collections",
                   "A new sorted list (stable); `key` maps each element to what is compared.",
                   example: "sorted([3, 1, 2], reverse: true)") { args in
                try sortedElements(&args)
            },
            define("map(xs, f)", "Collections", "A new list of f(x) for each element x.", example: "[1, 2, 3].map(fn(x) => x * x)") { args in
                let f = try args.function(1)
                return .list(try args.elements(0).map { try args.call(f, $0) })
            },
            define("filter(xs, f)", "Collections", "A new list of the elements x for which f(x) is true.",
                   example: "range(10).filter(fn(x) => x % 3 == 0)") { args in
                let f = try args.function(1)
                return .list(try args.elements(0).filter { try args.call(f, $0).truth(at: args.span) })
            },
            define("reduce(xs, f, initial)", "Collections", "Folds the list from the left: f(f(initial, x0), x1)...",
                   example: "reduce([1, 2, 3], fn(a, x) => a * x, 1)") { args in
                let f = try args.function(1)
                return try args.elements(0).reduce(args[2]) { try args.call(f, [$0, $1]) }
            },
            define("sum(xs, start: 0, axis: nil, keepdims: false)", "Collections",
                   "The sum of the elements, added to start; for a tensor, of all elements or along `axis`.",
                   example: "sum(range(101))") { args in
                if case .object(let t as TensorObject) = args[0] {
                    let total = try t.tensor.sum(axes: try args.axes(2), keepdims: args[3].isTruthy)
                    return tensorValue(try Tensor.binary(.add, total, try args.tensor(1)))
                }
                var total = args[1]
                for item in try args.elements(0) {
                    if case .number(let a) = total, case .number(let b) = item { total = .number(a + b); continue }
                    total = try applyBinary(.add, total, item, at: args.span)
                }
                return total
            },
            define("any(xs)", "Collections", "Whether any element is true.", example: "any([0, nil, 3])") { args in
                if case .object(let t as TensorObject) = args[0] { return .bool(t.tensor.withElements { $0.contains { $0 != 0 } }) }
                return .bool(try args.elements(0).contains { try $0.truth(at: args.span) })
            },
            define("all(xs)", "Collections", "Whether every element is true.", example: "all([1, true, \"x\"])") { args in
                if case .object(let t as TensorObject) = args[0] { return .bool(t.tensor.withElements { $0.allSatisfy { $0 != 0 } }) }
                return .bool(try args.elements(0).allSatisfy { try $0.truth(at: args.span) })
            },
            define("enumerate(xs)", "Collections", "A list of [index, element] pairs, for `for i, x in enumerate(xs)`.",
                   example: "enumerate([\"a\", \"b\"])") { args in
                .list(try args.elements(0).enumerated().map { .list([.number(Double($0.offset)), $0.element]) })
            },
            define("zip(lists...)", "Collections", "A list of [x, y, ...] tuples taking one element from each list, as long as the shortest.",
                   example: "zip([1, 2], [\"a\", \"b\"])") { args in
                let lists = try (0..<args.count).map { try args.elements($0) }
                let length = lists.map(\.count).min() ?? 0
                return .list((0..<length).map { index in .list(lists.map { $0[index] }) })
            },
            define("keys(r)", "Collections", "The field names of a record (or of an object such as a search result), in order.",
                   example: "keys({lr: 0.1, momentum: 0.9})") { args in
                if case .object(let object) = args[0], !object.fieldNames.isEmpty { return .list(object.fieldNames.map { .str($0) }) }
                return .list(try args.record(0).fields.keys.map { .str($0) })
            },
            define("values(r)", "Collections", "The field values of a record, in order.", example: "values({lr: 0.1, momentum: 0.9})") { args in
                .list(Array(try args.record(0).fields.values))
            },
            define("items(r)", "Collections", "A list of [name, value] pairs of a record, for `for k, v in items(r)`.",
                   example: "items({lr: 0.1})") { args in
                .list(try args.record(0).fields.map { .list([.str($0.key), $0.value]) })
            },
        ]
    }

    // MARK: Strings

    static var strings: [BuiltinFunction] {
        [
            define("join(xs, sep: \"\")", "Strings", "The elements as text, separated by sep.", example: "[1, 2, 3].join(\", \")") { args in
                let separator = try args.string(1)
                var total = 0
                let parts = try args.elements(0).map { element in
                    let text = element.displayString
                    total += text.utf8.count + separator.utf8.count
                    try GrowthLimit.checkString(total, at: args.span)
                    return text
                }
                return .str(parts.joined(separator: separator))
            },
            define("upper(text)", "Strings", "The string in upper case.", example: "upper(\"adam\")") { args in .str(try args.string(0).uppercased()) },
            define("lower(text)", "Strings", "The string in lower case.", example: "lower(\"SGD\")") { args in .str(try args.string(0).lowercased()) },
            define("trim(text)", "Strings", "The string without leading and trailing white space.", example: "trim(\"  lr \")") { args in
                .str(String(try args.string(0).drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()))
            },
            define("replace(text, old, new)", "Strings", "The string with every occurrence of old replaced by new.",
                   example: "replace(\"a-b-c\", \"-\", \"+\")") { args in
                let old = try args.string(1)
                guard !old.isEmpty else { throw args.error("replace() cannot replace an empty string", argument: 1) }
                let pieces = try args.string(0).splitting(by: old)
                let new = try args.string(2)
                try GrowthLimit.checkString(pieces.reduce(0) { $0 + $1.utf8.count } + (pieces.count - 1) * new.utf8.count, at: args.span)
                return .str(pieces.joined(separator: new))
            },
            define("pad(text, width, align: \"left\")", "Strings", "Pads a value's text with spaces to width: align \"left\", \"right\" or \"center\".",
                   example: "pad(\"lr\", 6, align: \"right\")") { args in
                let alignment: Character = switch try args.string(2) {
                case "left": "<"
                case "right": ">"
                case "center": "^"
                default: throw args.error("pad() align must be \"left\", \"right\" or \"center\"", argument: 2)
                }
                let width = try args.integer(1)
                guard width <= 10_000 else { throw args.error("pad() width must be at most 10000, got \(width)", argument: 1) }
                return .str(padded(args[0].displayString, width: width, fill: " ", align: alignment))
            },
        ]
    }

    // MARK: Control

    static var control: [BuiltinFunction] {
        [
            define("assert(condition, message: \"assertion failed\")", "Control",
                   "Stops with an error showing message when condition is false.", example: "assert(1 < 2, \"order\")") { args in
                if try args[0].truth(at: args.span(ofArgument: 0)) { return .nil }
                throw args.error("assertion failed: \(args[1].displayString)")
            },
            define("error(message)", "Control", "Stops the program with an error showing message.", example: "let lr = 0.1; if lr <= 0 { error(\"lr must be positive\") }") { args in
                throw args.error(args[0].displayString)
            },
            define("attempt(f)", "Control",
                   "Calls f() and returns {ok: true, value} or, if it stops with an error, {ok: false, error: message} instead of stopping the program.",
                   example: "attempt(fn() => [1] + 1).error") { args in
                let f = try args.function(0)
                let record = RecordObject()
                do {
                    let value = try args.call(f, [])
                    record.fields["ok"] = .bool(true)
                    record.fields["value"] = value
                } catch let diagnostic as Diagnostic where diagnostic.kind == .error {
                    record.fields["ok"] = .bool(false)
                    record.fields["error"] = .str(diagnostic.message)
                }
                return .record(record)
            },
            define("time()", "Control", "Seconds since the Unix epoch, with sub-microsecond resolution; subtract two to time code.",
                   example: "time() > 0") { _ in
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                return .number(Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9)
            },
        ]
    }

    // MARK: Helpers

    private static func extreme(_ args: inout Arguments, wantLarger: Bool) throws -> Value {
        let name = wantLarger ? "max" : "min"
        var items = (0..<args.count).map { args[$0] }
        if items.count == 1, isTensor(items[0]) || !args.keyword(0).isNil {
            let axes: [Int]? = try {
                switch args.keyword(0) {
                case .nil: return nil
                case .number(let x) where x == x.rounded() && Swift.abs(x) < 1e9: return [Int(x)]
                default: throw args.error("\(name)() needs a whole-number axis, got \(args.keyword(0).reprString)")
                }
            }()
            return tensorValue(try args.tensor(0).extreme(largest: wantLarger, axes: axes, keepdims: args.keyword(1).isTruthy))
        }
        if items.count > 1, items.contains(where: isTensor) {
            // Numbers and one-element tensors (x inside grad) compare as numbers, and the winner
            // is returned itself, so that a gradient flows through it, as with Python's max.
            let scalars = items.compactMap { item -> Double? in
                switch item {
                case .number(let x): x
                case .object(let object as TensorObject): object.tensor.scalarValue
                default: nil
                }
            }
            if scalars.count == items.count {
                var best = 0
                for i in 1..<items.count where !scalars[best].isNaN {
                    let x = scalars[i]
                    if x.isNaN || (wantLarger ? x > scalars[best] : x < scalars[best]) { best = i }
                }
                return items[best]
            }
            throw args.error("\(name)() of several values takes numbers or one-element tensors; use \(wantLarger ? "maximum" : "minimum")(a, b) for the element-wise \(name)imum")
        }
        if items.count == 1 {
            switch items[0] {
            case .list, .object(is RangeObject), .string: items = try args.elements(0)
            default: break
            }
        }
        guard var best = items.first else {
            throw args.error("\(name)() needs at least one value\(args.count == 1 ? "; the list is empty" : "")")
        }
        for item in items.dropFirst() {
            if case .number(let x) = item, x.isNaN { return item }
            let order = try compare(item, best, op: wantLarger ? .greater : .less, at: args.span)
            if wantLarger ? order > 0 : order < 0 { best = item }
        }
        if case .number(let x) = best, x.isNaN { return best }
        return best
    }

    private static func sortedElements(_ args: inout Arguments) throws -> Value {
        let items = try args.elements(0)
        let keys: [Value]
        if case .nil = args[1] { keys = items } else {
            let key = try args.function(1)
            keys = try items.map { try args.call(key, $0) }
        }
        let descending = args[2].isTruthy
        let span = args.span
        var comparisons = 0
        let order = try Array(items.indices).sorted { i, j in
            comparisons &+= 1
            if comparisons & 0xFFF == 0 { try args.ip.checkInterrupt(at: span) }
            let comparison = try compare(keys[i], keys[j], op: .less, at: span)
            return descending ? comparison > 0 : comparison < 0
        }
        return .list(order.map { items[$0] })
    }
}

/// `"a,b".split(",")`: a string split at a separator, or at runs of white space when it is nil.
func splitString(_ text: String, _ separator: Value, _ args: Arguments) throws -> Value {
    if case .nil = separator {
        return .list(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map { .str(String($0)) })
    }
    guard case .string(let sep) = separator else { throw args.typeError(1, expected: "a separator string") }
    guard !sep.value.isEmpty else { throw args.error("split() separator cannot be empty", argument: 1) }
    return .list(text.splitting(by: sep.value).map { .str($0) })
}

/// `==` for built-ins such as `contains`, with the same refusal of endlessly nested values.
private func equal(_ a: Value, _ b: Value, _ args: Arguments) throws -> Bool {
    try applyBinary(.equal, a, b, at: args.span).truth(at: args.span)
}

/// Python's round(x, n): correctly rounded through the decimal representation, ties to even.
func roundToDigits(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite else { return x }
    if digits == 0 { return x.rounded(.toNearestOrEven) }
    if digits < -308 { return x.sign == .minus ? -0.0 : 0.0 }
    if digits < 0 {
        let scale = pow(10, Double(-digits))
        return (x / scale).rounded(.toNearestOrEven) * scale
    }
    return Double(cFormat(x, "%.\(min(digits, 300))f")) ?? x
}

/// printf-style formatting of one double (C's formatting is correctly rounded).
func cFormat(_ x: Double, _ format: String) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    let written = withVaList([x]) { vsnprintf(&buffer, buffer.count, format, $0) }
    if written >= buffer.count {
        buffer = [CChar](repeating: 0, count: Int(written) + 1)
        _ = withVaList([x]) { vsnprintf(&buffer, buffer.count, format, $0) }
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func padded(_ text: String, width: Int, fill: Character, align: Character) -> String {
    let missing = width - text.count
    guard missing > 0 else { return text }
    switch align {
    case "<": return text + String(repeating: fill, count: missing)
    case "^": return String(repeating: fill, count: missing / 2) + text + String(repeating: fill, count: missing - missing / 2)
    default: return String(repeating: fill, count: missing) + text
    }
}

/// A subset of Python's format-spec mini-language: [[fill]align][sign][0][width][,][.precision][type].
func formatWithSpec(_ value: Value, _ spec: String, args: Arguments) throws -> String {
    // A one-element tensor (a loss inside grad) formats as its number.
    if case .object(let object as TensorObject) = value, let x = object.tensor.scalarValue {
        return try formatWithSpec(.number(x), spec, args: args)
    }
    var characters = Array(spec)[...]
    var fill: Character = " ", align: Character?
    if characters.count >= 2, "<>^".contains(characters[characters.startIndex + 1]) {
        fill = characters.removeFirst()
        align = characters.removeFirst()
    } else if let first = characters.first, "<>^".contains(first) {
        align = characters.removeFirst()
    }
    var sign = "-"
    if let first = characters.first, "+- ".contains(first) { sign = String(characters.removeFirst()) }
    var zeroPad = false
    if characters.first == "0" { zeroPad = true; characters.removeFirst() }
    var widthText = ""
    while let c = characters.first, c.isNumber { widthText.append(characters.removeFirst()) }
    var grouping = false
    if characters.first == "," { grouping = true; characters.removeFirst() }
    var precision: Int?
    if characters.first == "." {
        characters.removeFirst()
        var digits = ""
        while let c = characters.first, c.isNumber { digits.append(characters.removeFirst()) }
        precision = Int(digits)
        if precision == nil { throw args.error("format spec \(quoteString(spec)) has '.' without a precision", argument: 1) }
    }
    let type = characters.popFirst()
    guard characters.isEmpty, type == nil || "fFeEgGd%s".contains(type!) else {  // trap-ok: checked for nil first
        throw args.error("unsupported format spec \(quoteString(spec)); use e.g. \".3f\", \".2e\", \"8.4g\", \".1%\", \">10\"", argument: 1)
    }
    let width = Int(widthText) ?? 0
    guard width <= 10_000, (precision ?? 0) <= 300 else { throw args.error("format width or precision too large", argument: 1) }
    var text: String
    if case .number(let x) = value, type != "s" {
        let flag = sign == "-" ? "" : sign
        switch type {
        case "d"?:
            guard x.rounded() == x else { throw args.error("format type 'd' needs a whole number, got \(formatNumber(x))", argument: 0) }
            text = cFormat(x, "%\(flag).0f")
        case "%"?: text = cFormat(x * 100, "%\(flag).\(precision ?? 6)f") + "%"
        case let t?: text = cFormat(x, "%\(flag).\(precision ?? 6)\(t)")
        case nil:
            text = precision.map { cFormat(x, "%\(flag).\($0)g") } ?? ((sign == "+" && x >= 0 ? "+" : "") + formatNumber(x))
        }
        if grouping { text = groupThousands(text) }
        if zeroPad && align == nil {
            let negative = text.hasPrefix("-") || text.hasPrefix("+") || text.hasPrefix(" ")
            let head = negative ? String(text.removeFirst()) : ""
            return head + padded(text, width: width - head.count, fill: "0", align: ">")
        }
        return padded(text, width: width, fill: fill, align: align ?? ">")
    }
    guard type == nil || type == "s" else {
        throw args.error("format type '\(type!)' needs a number, got \(value.typeName)", argument: 0)  // trap-ok: checked above
    }
    text = value.displayString
    if let precision { text = String(text.prefix(precision)) }
    return padded(text, width: width, fill: fill, align: align ?? "<")
}

private func groupThousands(_ text: String) -> String {
    let sign = text.hasPrefix("-") || text.hasPrefix("+") ? String(text.prefix(1)) : ""
    let body = text.dropFirst(sign.count)
    let integerPart = body.prefix { $0.isNumber }
    let rest = body.dropFirst(integerPart.count)
    var grouped = ""
    for (i, digit) in integerPart.enumerated() {
        if i > 0 && (integerPart.count - i) % 3 == 0 { grouped += "," }
        grouped.append(digit)
    }
    return sign + grouped + rest
}

extension String {
    func splitting(by separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needle.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}

/// JSON text for `json()`: NaN and infinities as Python writes them (NaN, Infinity).
struct JSONWriter {
    let indent: Int?
    let args: Arguments

    func write(_ value: Value) throws -> String {
        var out = ""
        var visiting = Set<ObjectIdentifier>()
        try append(value, to: &out, level: 0, visiting: &visiting)
        return out
    }

    private func newline(_ level: Int) -> String {
        indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
    }

    private func append(_ value: Value, to out: inout String, level: Int, visiting: inout Set<ObjectIdentifier>) throws {
        guard !isNestedTooDeeply(level) else { throw args.error("json() cannot write values nested too deeply (over \(maxComparisonDepth) levels)") }
        switch value {
        case .nil: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x):
            out += x.isNaN ? "NaN" : x.isInfinite ? (x > 0 ? "Infinity" : "-Infinity") : formatNumber(x)
        case .string(let s): out += jsonQuote(s.value)
        case .list(let list):
            guard visiting.insert(ObjectIdentifier(list)).inserted else { throw args.error("json() cannot write a list that contains itself") }
            defer { visiting.remove(ObjectIdentifier(list)) }
            if list.items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in list.items.enumerated() {
                out += (i > 0 ? (indent == nil ? ", " : ",") : "") + newline(level + 1)
                try append(item, to: &out, level: level + 1, visiting: &visiting)
            }
            out += newline(level) + "]"
        case .record(let record):
            guard visiting.insert(ObjectIdentifier(record)).inserted else { throw args.error("json() cannot write a record that contains itself") }
            defer { visiting.remove(ObjectIdentifier(record)) }
            if record.fields.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, item)) in record.fields.enumerated() {
                out += (i > 0 ? (indent == nil ? ", " : ",") : "") + newline(level + 1) + jsonQuote(key) + ": "
                try append(item, to: &out, level: level + 1, visiting: &visiting)
            }
            out += newline(level) + "}"
        case .object(let range as RangeObject):
            try append(.list((0..<range.count).map { .number(range[$0]) }), to: &out, level: level, visiting: &visiting)
        case .object(let tensor as TensorObject):
            try append(nestedList(tensor.tensor), to: &out, level: level, visiting: &visiting)
        case .function, .object:
            throw args.error("json() cannot write a \(value.typeName)")
        }
    }

    private func jsonQuote(_ text: String) -> String { quoted(text, json: true) }
}
