/// Tab completion for the REPL, kept here so that it is testable without a terminal: given the
/// text before the cursor, what could the word being typed become?
extension Interpreter {
    public struct Completions: Equatable {
        /// The partial word the candidates complete (it is replaced by a candidate).
        public var word: String
        public var candidates: [String]
    }

    public func completions(before text: String) -> Completions {
        let characters = Array(text)
        var start = characters.count
        while start > 0, characters[start - 1].isIdentifierCharacter { start -= 1 }
        let word = String(characters[start...])
        if start > 0, characters[start - 1] == ".", !(start > 1 && characters[start - 2].isNumber && receiverChain(characters, before: start - 1) == nil) {
            return Completions(word: word, candidates: memberCandidates(characters, dot: start - 1, word: word))
        }
        var candidates = Set(globals.defined.map(\.name)).union(keywordNames)
        candidates = candidates.filter { $0.hasPrefix(word) && !$0.isEmpty }
        var named: [String] = []
        if let function = enclosingCallee(characters[..<start]) {
            named = parameterNames(function).map { $0 + ":" }.filter { $0.hasPrefix(word) }
        }
        return Completions(word: word, candidates: named + candidates.sorted())
    }

    /// Record fields of the receiver (when it is a plain variable or field chain), then functions usable as methods.
    private func memberCandidates(_ characters: [Character], dot: Int, word: String) -> [String] {
        var fields: [String] = []
        if let chain = receiverChain(characters, before: dot) {
            switch value(ofChain: chain) {
            case .record(let record)?: fields = record.fields.keys.filter { $0.hasPrefix(word) }
            case .object(let object)?: fields = object.fieldNames.filter { $0.hasPrefix(word) }
            default: break
            }
        }
        let methods = globals.defined.compactMap { entry -> String? in
            guard case .function = entry.value, entry.name.hasPrefix(word), !fields.contains(entry.name) else { return nil }
            return entry.name
        }
        return fields + methods.sorted()
    }

    /// `cfg.opt` in `cfg.opt.l`: the names of a variable-and-field chain ending at `before`.
    private func receiverChain(_ characters: [Character], before end: Int) -> [String]? {
        var names: [String] = []
        var position = end
        while true {
            var start = position
            while start > 0, characters[start - 1].isIdentifierCharacter { start -= 1 }
            guard start < position, !characters[start].isNumber else { return nil }
            names.insert(String(characters[start..<position]), at: 0)
            guard start > 0, characters[start - 1] == "." else { return names }
            position = start - 1
        }
    }

    private func value(ofChain chain: [String]) -> Value? {
        guard var value = globals[chain[0]] else { return nil }
        for name in chain.dropFirst() {
            guard case .record(let record) = value, let field = record.fields[name] else { return nil }
            value = field
        }
        return value
    }

    /// The function whose argument list the cursor is in: `step(x, l` gives `step`.
    private func enclosingCallee(_ text: ArraySlice<Character>) -> Value? {
        var depth = 0
        var inString: Character?
        var openParens: [Int] = []
        for (index, character) in zip(text.indices, text) {
            if let quote = inString {
                if character == quote { inString = nil }
                continue
            }
            switch character {
            case "\"", "'": inString = character
            case "(", "[", "{": openParens.append(character == "(" ? index : -1); depth += 1
            case ")", "]", "}": if !openParens.isEmpty { openParens.removeLast() }; depth -= 1
            default: break
            }
        }
        guard let paren = openParens.last, paren >= 0 else { return nil }
        var start = paren
        while start > text.startIndex, text[start - 1].isIdentifierCharacter { start -= 1 }
        guard start < paren else { return nil }
        return globals[String(text[start..<paren])]
    }

    private func parameterNames(_ value: Value) -> [String] {
        switch value {
        case .function(let closure as Closure): closure.prototype.parameters
        case .function(let builtin as BuiltinFunction): builtin.parameters.filter { !$0.isVariadic }.map(\.name)
        default: []
        }
    }

    /// The variables a learner defined (built-ins that were redefined included).
    public var userVariables: [(name: String, value: Value)] {
        let builtins = Interpreter(output: Output(sink: { _ in }))
        return globals.defined.filter { entry in
            guard let original = builtins.globals[entry.name] else { return true }
            if case .function(let a) = original, case .function(let b) = entry.value { return a.name != b.name || !(b is BuiltinFunction) }
            return !original.isIdentical(to: entry.value)
        }
    }
}

extension Character {
    var isIdentifierCharacter: Bool { isLetter || isNumber || self == "_" }
}
