/// Help for built-ins and user functions, for `help()`, the REPL's `:help` and docs/BUILTINS.md.
extension Interpreter {
    /// The built-in functions, in the order the documentation lists them.
    public var builtinFunctions: [BuiltinFunction] {
        builtinNames.compactMap { name in
            if case .function(let f as BuiltinFunction)? = globals[name] { return f }
            return nil
        }
    }

    func helpText(for subject: Value, args: Arguments) throws -> String {
        switch subject {
        case .nil: return overview()
        case .string(let name):
            if let text = helpText(forName: name.value) { return text }
            throw args.error("no help for '\(name.value)'\(suggestion(for: name.value, among: globals.defined.map(\.name)))", argument: 0)
        case .function(let f): return helpText(forFunction: f)
        default: return "\(subject.reprString) is a \(subject.typeName); help() describes functions and names"
        }
    }

    /// Help for a global name: a function's signature and description, a constant's meaning, or
    /// what a keyword does.
    public func helpText(forName name: String) -> String? {
        if let keyword = keywordHelp(name) { return keyword }
        if let constant = Builtins.constants.first(where: { $0.name == name }), globals[name].map({ $0.isIdentical(to: constant.value) }) ?? false {
            return "\(name) = \(constant.value.reprString)\n    \(constant.summary)"
        }
        guard let value = globals[name] else { return nil }
        if case .function(let f) = value { return helpText(forFunction: f) }
        return "\(name) is a \(value.typeName): \(value.reprString)"
    }

    private func keywordHelp(_ name: String) -> String? {
        let text: String
        switch name {
        case "let": text = "let name = value\n    Declares a variable in the current block: let lr = 0.1"
        case "fn": text = "fn name(x, option: default) { body }   fn(x) => expression\n    Declares a function or makes a lambda; the last expression of the body is its value."
        case "if", "else": text = "if condition { ... } else if other { ... } else { ... }\n    An expression: let size = if lr > 0.05 { \"big\" } else { \"small\" }"
        case "while": text = "while condition { ... }\n    Repeats the block while the condition is true."
        case "for", "in": text = "for x in items { ... }   for i, x in enumerate(items) { ... }\n    Runs the block for each element of a list, range, string (characters) or record (keys)."
        case "break": text = "break\n    Leaves the innermost loop."
        case "continue": text = "continue\n    Goes on with the next iteration of the innermost loop."
        case "return": text = "return value\n    Leaves the function with a value (nil when omitted)."
        case "and", "or": text = "a and b   a or b\n    Short-circuit logic, returning an operand as Python does: nil or \"default\" is \"default\"."
        case "not": text = "not x\n    true when x is false, nil, 0, \"\", [] or {}."
        case "true", "false": text = "true   false\n    The two booleans."
        case "nil": text = "nil\n    The absence of a value; what functions without a value return."
        default: return nil
        }
        return "\(text)\n    (a keyword; docs/LANGUAGE.md has the whole language)"
    }

    func helpText(forFunction function: FunctionObject) -> String {
        if let builtin = function as? BuiltinFunction { return builtin.helpText }
        guard let closure = function as? Closure else { return function.signature }
        let documentation = closure.prototype.documentation.map { "\n    " + $0.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n    ") }
        return "fn \(closure.signature)\(documentation ?? "")"
    }

    /// `help()` with no argument: every built-in, one line each, by category.
    public func overview() -> String {
        var lines = ["Built-in functions (help(name) or :help name for details):"]
        var categories: [String] = []
        for f in builtinFunctions where !categories.contains(f.category) { categories.append(f.category) }
        // trap-ok: the array holds "Constants" at least
        let labelWidth = (categories + ["Constants"]).map(\.count).max()! + 2
        for category in categories {
            lines += wrapped(category + ":", builtinFunctions.filter { $0.category == category }.map(\.name), labelWidth: labelWidth)
        }
        lines += wrapped("Constants:", Builtins.constants.map(\.name), labelWidth: labelWidth)
        return lines.joined(separator: "\n")
    }

    /// `  Label:      name name name`, continued under the first name past 78 columns.
    private func wrapped(_ label: String, _ names: [String], labelWidth: Int) -> [String] {
        var lines: [String] = []
        var line = "  " + pad(label, labelWidth)
        for name in names {
            if line.count + name.count > 78 && line.count > labelWidth + 2 {
                lines.append(String(line.dropLast()))
                line = String(repeating: " ", count: labelWidth + 2)
            }
            line += name + " "
        }
        lines.append(String(line.dropLast()))
        return lines
    }

    private func pad(_ text: String, _ width: Int) -> String {
        padded(text, width: width, fill: " ", align: "<")
    }

    /// docs/BUILTINS.md, generated from the same declarations `help` reads, with each example's result.
    /// `dataDirectory` lets the examples of load_digits() and load_iris() run.
    public static func builtinsMarkdown(dataDirectory: String?) -> String {
        var out = """
        # Built-in functions

        Generated from the declarations in `Sources/DescentLanguage/Builtins.swift` by
        `make docs` (`descent --builtins-markdown`); do not edit by hand. In the REPL, `:help name`
        or `help(name)` shows the same text. Every function can also be called as a method on its
        first argument: `map(xs, f)` is `xs.map(f)`.

        """
        let probe = Interpreter(output: Output(sink: { _ in }))
        var categories: [String] = []
        for f in probe.builtinFunctions where !categories.contains(f.category) { categories.append(f.category) }
        for category in categories {
            out += "\n## \(category)\n"
            for f in probe.builtinFunctions where f.category == category {
                out += "\n### `\(f.signature)`\n\n\(f.summary)\n\n```\n\(f.example)\n"
                let printed = Interpreter.exampleResult(f.example, dataDirectory: dataDirectory)
                if !printed.isEmpty { out += printed.split(separator: "\n", omittingEmptySubsequences: false).map { "# => \($0)" }.joined(separator: "\n") + "\n" }
                out += "```\n"
            }
        }
        out += "\n## Constants\n\n| name | value | meaning |\n|---|---|---|\n"
        for constant in Builtins.constants {
            out += "| `\(constant.name)` | `\(constant.value.reprString)` | \(constant.summary) |\n"
        }
        return out
    }

    /// What running an example shows: its printed output, then its value (or its error message).
    public static func exampleResult(_ code: String, dataDirectory: String? = nil) -> String {
        var printed: [UInt8] = []
        let interpreter = Interpreter(output: Output(sink: { printed += $0 }))
        interpreter.dataDirectory = dataDirectory
        var lines: [String] = []
        do {
            let value = try interpreter.run(code, name: "<example>")
            interpreter.output.flush()
            lines += String(decoding: printed, as: UTF8.self).split(separator: "\n").map(String.init)
            if !value.isNil { lines.append(value.reprString) }
        } catch let diagnostic as Diagnostic {
            interpreter.output.flush()
            lines += String(decoding: printed, as: UTF8.self).split(separator: "\n").map(String.init)
            lines.append("error: \(diagnostic.message)")
        } catch {
            lines.append("error: \(error)")
        }
        return lines.joined(separator: "\n")
    }
}
