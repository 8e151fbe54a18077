/// Recursive-descent parser. Operator precedence, loosest first:
/// `or`, `and`, `not`, comparisons (chainable), `+ -`, `* / // % @`, unary `- +`, `**` (right-assoc,
/// tighter than a unary minus on its left: `-2**2 == -4`), then calls, subscripts and fields.
struct Parser {
    private let file: SourceFile
    private let fileID: Int
    private var tokens: [Token]
    private var strings: [[StringPart]]
    private var current = 0
    private var depth = 0
    /// Deeper nesting than this is refused, so that no input can overflow the native stack.
    static let maxNestingDepth = 1000

    init(file: SourceFile, fileID: Int, range: Range<Int>? = nil) throws {
        self.file = file
        self.fileID = fileID
        var lexer = Lexer(file: file, fileID: fileID, range: range)
        (tokens, strings) = try lexer.tokenize()
    }

    /// Parses a whole program: statements separated by newlines or semicolons.
    mutating func parseProgram() throws -> Block {
        let start = peek.start
        var statements: [Node] = []
        skipSeparators()
        while !check(.eof) {
            statements.append(try statement())
            try expectSeparator()
        }
        return Block(statements: statements, span: span(from: start))
    }

    // MARK: Token helpers

    private var peek: Token { tokens[current] }
    private var previous: Token { tokens[max(0, current - 1)] }

    private func check(_ kind: TokenKind) -> Bool { tokens[current].kind == kind }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[current]
        if token.kind != .eof { current += 1 }
        return token
    }

    private mutating func match(_ kind: TokenKind) -> Bool {
        guard check(kind) else { return false }
        advance()
        return true
    }

    @discardableResult
    private mutating func consume(_ kind: TokenKind, _ message: String) throws -> Token {
        if check(kind) { return advance() }
        throw error(message)
    }

    private mutating func skipNewlines() { while check(.newline) { advance() } }
    private mutating func skipSeparators() { while check(.newline) || check(.semicolon) { advance() } }

    /// Whether the next non-newline token is `kind`: lets `else` and `.method()` start a new line.
    private mutating func continuesOnNextLine(_ kind: TokenKind) -> Bool {
        var index = current
        while tokens[index].kind == .newline { index += 1 }
        guard tokens[index].kind == kind else { return false }
        current = index
        return true
    }

    private mutating func expectSeparator() throws {
        if check(.eof) || check(.rightBrace) { return }
        guard check(.newline) || check(.semicolon) else {
            throw error("expected a new line or ';' after the statement, found \(describe(peek))")
        }
        skipSeparators()
    }

    private func span(from start: Int, point: Int? = nil) -> SourceSpan {
        SourceSpan(file: fileID, start: start, end: previous.end, point: point)
    }

    private func text(_ token: Token) -> String {
        String(decoding: file.bytes[token.start..<token.end], as: UTF8.self)
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .eof: "end of input"
        case .newline: "end of line"
        case .string: "a string"
        case .number: "number \(text(token))"
        default: "'\(text(token))'"
        }
    }

    private func error(_ message: String, at token: Token? = nil) -> Diagnostic {
        let token = token ?? peek
        // Past the end, point just after the last real token: that is where something is missing.
        var end = token.start
        if token.kind == .eof, let last = tokens[..<current].last(where: { $0.kind != .newline }) { end = last.end }
        let span = token.kind == .eof ? SourceSpan(file: fileID, start: end, end: end) : SourceSpan(file: fileID, start: token.start, end: token.end)
        var diagnostic = Diagnostic(message, at: span)
        diagnostic.isAtEndOfInput = token.kind == .eof
        return diagnostic
    }

    private mutating func nested<T>(_ body: (inout Parser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxNestingDepth || !StackGuard.hasRoom() {
            throw error("expression nested too deeply; split it into smaller parts with let")
        }
        return try body(&self)
    }

    // MARK: Statements

    private mutating func statement() throws -> Node {
        if peek.kind == .identifier, tokens[current + 1].kind == .identifier || text(peek) == "elif" {
            switch text(peek) {
            case "def": throw error("Descent declares functions with 'fn', as in 'fn square(x) { x * x }'")
            case "elif": throw error("write 'else if', as in '} else if x > 0 {'")
            case "var", "const", "val": throw error("declare variables with 'let', as in 'let \(text(tokens[current + 1])) = ...'")
            default: break
            }
        }
        switch peek.kind {
        case .kwLet: return try letDeclaration()
        case .kwFn where tokens[current + 1].kind == .identifier: return try functionDeclaration()
        case .kwWhile: return try whileLoop()
        case .kwFor: return try forLoop()
        case .kwBreak: return Break(span: span(from: advance().start))
        case .kwContinue: return Continue(span: span(from: advance().start))
        case .kwReturn:
            let start = advance().start
            let endsHere = check(.newline) || check(.semicolon) || check(.rightBrace) || check(.eof)
            return Return(value: endsHere ? nil : try expression(), span: span(from: start))
        default: return try expressionStatement()
        }
    }

    private mutating func letDeclaration() throws -> Node {
        let start = advance().start
        let name = try consume(.identifier, "expected a variable name after 'let', found \(describe(peek))")
        var names = [text(name)]
        while match(.comma) {
            let next = try consume(.identifier, "expected another variable name after ',', found \(describe(peek))")
            if names.contains(text(next)) { throw error("'\(text(next))' appears twice in this 'let'", at: next) }
            names.append(text(next))
        }
        guard match(.assign) else {
            throw error("expected '=' after 'let \(names.joined(separator: ", "))', found \(describe(peek))")
        }
        skipNewlines()
        let value = try expression()
        if names.count > 1 { return DestructuringDeclaration(names: names, value: value, span: span(from: start)) }
        return LetDeclaration(name: text(name), nameSpan: SourceSpan(file: fileID, start: name.start, end: name.end),
                              value: value, span: span(from: start))
    }

    private mutating func functionDeclaration() throws -> Node {
        let start = advance().start
        let name = advance()
        let function = try functionRest(name: text(name), start: start)
        return FunctionDeclaration(name: text(name), function: function, span: span(from: start))
    }

    /// Parameters and body, after `fn` or `fn name`.
    private mutating func functionRest(name: String, start: Int) throws -> FunctionLiteral {
        try consume(.leftParen, "expected '(' to start the parameter list, found \(describe(peek))")
        var parameters: [String] = [], spans: [SourceSpan] = [], defaults: [Node?] = []
        while !check(.rightParen) {
            let parameter = try consume(.identifier, "expected a parameter name, found \(describe(peek))")
            let parameterName = text(parameter)
            if parameters.contains(parameterName) {
                throw error("duplicate parameter '\(parameterName)'", at: parameter)
            }
            parameters.append(parameterName)
            spans.append(SourceSpan(file: fileID, start: parameter.start, end: parameter.end))
            if match(.colon) {
                defaults.append(try expression())
            } else if match(.assign) {
                throw error("parameter defaults use ':', as in 'fn \(name)(\(parameterName): 0.1)'", at: previous)
            } else {
                if defaults.contains(where: { $0 != nil }) {
                    throw error("parameter '\(parameterName)' needs a default because the one before it has one", at: parameter)
                }
                defaults.append(nil)
            }
            if !match(.comma) { break }
        }
        try consume(.rightParen, "expected ')' after the parameters, found \(describe(peek))")
        let body: Node
        if match(.arrow) {
            skipNewlines()
            body = try expression()
        } else {
            guard check(.leftBrace) else { throw error("expected '{' or '=>' to start the body of '\(name)', found \(describe(peek))") }
            body = try block()
        }
        let prototype = FunctionPrototype(name: name, parameters: parameters, parameterSpans: spans,
                                          defaults: defaults, body: body, span: span(from: start),
                                          documentation: documentation(before: start))
        return FunctionLiteral(prototype: prototype)
    }

    /// The `#` comment lines directly above a declaration, shown by `help`.
    private func documentation(before offset: Int) -> String? {
        var lines: [String] = []
        var end = offset
        while end > 0 && file.bytes[end - 1] != UInt8(ascii: "\n") { end -= 1 }
        guard file.bytes[end..<offset].allSatisfy({ $0 == 32 || $0 == 9 }) else { return nil }
        while end > 0 {
            var start = end - 1
            while start > 0 && file.bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            let line = String(decoding: file.bytes[start..<end - 1], as: UTF8.self).trimmingSpaces()
            guard line.hasPrefix("#"), !line.hasPrefix("# %%") else { break }
            lines.insert(String(line.dropFirst()).trimmingSpaces(), at: 0)
            end = start
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private mutating func whileLoop() throws -> Node {
        let start = advance().start
        let condition = try expression()
        let body = try block()
        return While(condition: condition, body: body, span: span(from: start))
    }

    private mutating func forLoop() throws -> Node {
        let start = advance().start
        var names: [String] = [], spans: [SourceSpan] = []
        repeat {
            let name = try consume(.identifier, "expected a loop variable name, found \(describe(peek))")
            names.append(text(name))
            spans.append(SourceSpan(file: fileID, start: name.start, end: name.end))
        } while match(.comma)
        try consume(.kwIn, "expected 'in' after the loop variable\(names.count > 1 ? "s" : ""), found \(describe(peek))")
        let iterable = try expression()
        let body = try block()
        return For(names: names, nameSpans: spans, iterable: iterable, body: body, span: span(from: start))
    }

    private mutating func expressionStatement() throws -> Node {
        let start = peek.start
        let target = try expression()
        if check(.comma), target is Identifier {
            throw error("Descent has no tuple assignment; to unpack a list into new variables write 'let a, b = [x, y]'")
        }
        let compound: [TokenKind: BinaryOperator] = [
            .plusAssign: .add, .minusAssign: .subtract, .starAssign: .multiply, .slashAssign: .divide,
        ]
        guard check(.assign) || compound[peek.kind] != nil else { return target }
        let operatorToken = advance()
        guard target is Identifier || target is FieldGet || target is SubscriptGet else {
            throw error("cannot assign to this expression; only variables, fields and subscripts can be assigned",
                        at: operatorToken)
        }
        skipNewlines()
        let value = try expression()
        return Assignment(target: target, compoundOperator: compound[operatorToken.kind], value: value,
                          span: span(from: start, point: operatorToken.start))
    }

    private mutating func block() throws -> Block {
        skipNewlines()
        switch peek.kind {
        case .colon: throw error("blocks are written in braces, as in 'if x > 0 { ... }', not with ':' as in Python")
        case .assign: throw error("expected '{', found '='; to compare, write '=='")
        default: break
        }
        let open = try consume(.leftBrace, "expected '{', found \(describe(peek))")
        return try nested { parser in
            var statements: [Node] = []
            parser.skipSeparators()
            while !parser.check(.rightBrace) {
                if parser.check(.eof) { throw parser.error("expected '}' to close the block opened at line \(parser.file.lineAndColumn(of: open.start).line)") }
                statements.append(try parser.statement())
                try parser.expectSeparator()
            }
            parser.advance()
            return Block(statements: statements, span: parser.span(from: open.start))
        }
    }

    // MARK: Expressions

    mutating func expression() throws -> Node {
        try nested { try $0.or() }
    }

    private mutating func or() throws -> Node {
        var left = try and()
        while match(.kwOr) {
            skipNewlines()
            let right = try and()
            left = Logical(isAnd: false, left: left, right: right, span: left.span.through(right.span))
        }
        return left
    }

    private mutating func and() throws -> Node {
        var left = try not()
        while match(.kwAnd) {
            skipNewlines()
            let right = try not()
            left = Logical(isAnd: true, left: left, right: right, span: left.span.through(right.span))
        }
        return left
    }

    private mutating func not() throws -> Node {
        guard check(.kwNot) else { return try comparison() }
        let start = advance().start
        let operand = try nested { try $0.not() }
        return Unary(op: .not, operand: operand, span: span(from: start))
    }

    private mutating func comparison() throws -> Node {
        let comparisons: [TokenKind: BinaryOperator] = [
            .equal: .equal, .notEqual: .notEqual, .less: .less, .lessEqual: .lessEqual,
            .greater: .greater, .greaterEqual: .greaterEqual,
        ]
        let first = try additive()
        var operands = [first], ops: [BinaryOperator] = [], points: [Int32] = []
        while true {
            let op: BinaryOperator
            if let comparison = comparisons[peek.kind] {
                op = comparison
            } else if check(.kwIn) {
                op = .contains
            } else if check(.kwNot), tokens[current + 1].kind == .kwIn {
                advance()
                op = .notContains
            } else {
                break
            }
            points.append(Int32(advance().start))
            skipNewlines()
            ops.append(op)
            operands.append(try additive())
        }
        if ops.isEmpty { return first }
        let whole = first.span.through(operands.last!.span, point: points[0])  // trap-ok: operands has ops.count + 1 entries
        if ops.count == 1 { return Binary(op: ops[0], left: first, right: operands[1], span: whole) }
        return ComparisonChain(ops: ops, operands: operands, span: whole)
    }

    private mutating func additive() throws -> Node {
        var left = try multiplicative()
        while check(.plus) || check(.minus) {
            let token = advance()
            skipNewlines()
            let right = try multiplicative()
            left = Binary(op: token.kind == .plus ? .add : .subtract, left: left, right: right,
                          span: left.span.through(right.span, point: Int32(token.start)))
        }
        return left
    }

    private mutating func multiplicative() throws -> Node {
        let operators: [TokenKind: BinaryOperator] = [
            .star: .multiply, .slash: .divide, .slashSlash: .floorDivide, .percent: .remainder, .at: .matrixMultiply,
        ]
        var left = try unary()
        while let op = operators[peek.kind] {
            let token = advance()
            skipNewlines()
            let right = try unary()
            left = Binary(op: op, left: left, right: right, span: left.span.through(right.span, point: Int32(token.start)))
        }
        return left
    }

    private mutating func unary() throws -> Node {
        guard check(.minus) || check(.plus) else { return try power() }
        let token = advance()
        let operand = try nested { try $0.unary() }
        if let literal = operand as? Literal, case .number(let x) = literal.value, token.kind == .minus {
            return Literal(value: .number(-x), span: span(from: token.start))
        }
        return Unary(op: token.kind == .minus ? .negate : .plus, operand: operand, span: span(from: token.start))
    }

    private mutating func power() throws -> Node {
        let base = try postfix()
        guard check(.starStar) else { return base }
        let token = advance()
        skipNewlines()
        let exponent = try nested { try $0.unary() }
        return Binary(op: .power, left: base, right: exponent, span: base.span.through(exponent.span, point: Int32(token.start)))
    }

    private mutating func postfix() throws -> Node {
        var node = try primary()
        while true {
            if check(.leftParen) {
                node = try callArguments(callee: node)
            } else if check(.leftBracket) {
                node = try subscriptExpression(node)
            } else if check(.dot) || continuesOnNextLine(.dot) {
                advance()
                let name = try consume(.identifier, "expected a field or method name after '.', found \(describe(peek))")
                let nameSpan = SourceSpan(file: fileID, start: name.start, end: name.end)
                if check(.leftParen) {
                    let call = try callArguments(callee: node)
                    guard let call = call as? Call else { return call }
                    node = MethodCall(receiver: node, name: text(name), nameSpan: nameSpan, arguments: call.arguments,
                                      named: call.named, span: node.span.through(call.span, point: Int32(name.start)))
                } else {
                    node = FieldGet(object: node, name: text(name), span: node.span.through(nameSpan, point: Int32(name.start)))
                }
            } else {
                return node
            }
        }
    }

    private mutating func callArguments(callee: Node) throws -> Node {
        let open = advance()
        return try nested { parser in
            var arguments: [Node] = [], named: [NamedArgument] = []
            while !parser.check(.rightParen) {
                if parser.check(.identifier), parser.tokens[parser.current + 1].kind == .colon {
                    let name = parser.advance()
                    parser.advance()
                    let nameText = parser.text(name)
                    if named.contains(where: { $0.name == nameText }) {
                        throw parser.error("argument '\(nameText)' is given twice", at: name)
                    }
                    named.append(NamedArgument(name: nameText, value: try parser.expression(),
                                               nameSpan: SourceSpan(file: parser.fileID, start: name.start, end: name.end)))
                } else if parser.check(.identifier), parser.tokens[parser.current + 1].kind == .assign {
                    let name = parser.text(parser.peek)
                    throw parser.error("named arguments use ':', not '=': write '\(name): ...'", at: parser.tokens[parser.current + 1])
                } else {
                    if !named.isEmpty {
                        throw parser.error("positional argument after a named one; put positional arguments first")
                    }
                    arguments.append(try parser.expression())
                }
                if !parser.match(.comma) { break }
            }
            if !parser.check(.rightParen) {
                throw parser.error("expected ',' or ')' in the argument list opened at column \(parser.file.lineAndColumn(of: open.start).column), found \(parser.describe(parser.peek))")
            }
            parser.advance()
            return Call(callee: callee, arguments: arguments, named: named,
                        span: callee.span.through(parser.span(from: open.start), point: callee.span.start))
        }
    }

    private mutating func subscriptExpression(_ object: Node) throws -> Node {
        let open = advance()
        return try nested { parser in
            var items: [SubscriptItem] = []
            repeat {
                items.append(try parser.subscriptItem())
            } while parser.match(.comma) && !parser.check(.rightBracket)
            try parser.consume(.rightBracket, "expected ']' to close the subscript, found \(parser.describe(parser.peek))")
            return SubscriptGet(object: object, items: items, span: object.span.through(parser.span(from: open.start), point: Int32(open.start)))
        }
    }

    private mutating func subscriptItem() throws -> SubscriptItem {
        func ends(_ parser: Parser) -> Bool {
            parser.check(.colon) || parser.check(.comma) || parser.check(.rightBracket)
        }
        let start = ends(self) ? nil : try expression()
        guard match(.colon) else {
            guard let start else { throw error("expected an index, found \(describe(peek))") }
            return .index(start)
        }
        let stop = ends(self) ? nil : try expression()
        var step: Node?
        if match(.colon) { step = ends(self) ? nil : try expression() }
        return .slice(start: start, stop: stop, step: step)
    }

    private mutating func primary() throws -> Node {
        let token = peek
        switch token.kind {
        case .number:
            advance()
            return Literal(value: .number(token.number), span: span(from: token.start))
        case .string:
            advance()
            return try stringLiteral(token)
        case .kwTrue, .kwFalse:
            advance()
            return Literal(value: .bool(token.kind == .kwTrue), span: span(from: token.start))
        case .kwNil:
            advance()
            return Literal(value: .nil, span: span(from: token.start))
        case .identifier:
            advance()
            return Identifier(name: text(token), span: span(from: token.start))
        case .leftParen:
            advance()
            return try nested { parser in
                parser.skipNewlines()
                let inner = try parser.expression()
                try parser.consume(.rightParen, "expected ')' to close the '(' at column \(parser.file.lineAndColumn(of: token.start).column), found \(parser.describe(parser.peek))")
                inner.span = parser.span(from: token.start, point: Int(inner.span.point))
                return inner
            }
        case .leftBracket:
            advance()
            return try nested { parser in
                var elements: [Node] = []
                while !parser.check(.rightBracket) {
                    elements.append(try parser.expression())
                    if !parser.match(.comma) { break }
                }
                try parser.consume(.rightBracket, "expected ',' or ']' in the list, found \(parser.describe(parser.peek))")
                return ListLiteral(elements: elements, span: parser.span(from: token.start))
            }
        case .leftBrace:
            return looksLikeRecord() ? try recordLiteral() : try block()
        case .kwIf:
            return try ifExpression()
        case .kwFn:
            advance()
            return try functionRest(name: "<lambda>", start: token.start)
        case .kwWhile, .kwFor, .kwLet, .kwBreak, .kwContinue, .kwReturn:
            throw error("'\(text(token))' is a statement and cannot be used as a value here")
        case .eof:
            throw error("unexpected end of input, expected an expression")
        default:
            throw error("expected an expression, found \(describe(token))")
        }
    }

    private func looksLikeRecord() -> Bool {
        var index = current + 1
        while tokens[index].kind == .newline { index += 1 }
        let first = tokens[index].kind
        if first == .rightBrace { return true }
        return (first == .identifier || first == .string) && tokens[index + 1].kind == .colon
    }

    private mutating func recordLiteral() throws -> Node {
        let open = advance()
        return try nested { parser in
            var keys: [String] = [], values: [Node] = []
            parser.skipNewlines()
            while !parser.check(.rightBrace) {
                let keyToken = parser.advance()
                let key: String
                switch keyToken.kind {
                case .identifier: key = parser.text(keyToken)
                case .string:
                    guard case .text(let literal)? = parser.strings[keyToken.stringIndex].first,
                          parser.strings[keyToken.stringIndex].count == 1 else {
                        throw parser.error("record keys cannot use interpolation", at: keyToken)
                    }
                    key = literal
                default: throw parser.error("expected a field name, found \(parser.describe(keyToken))", at: keyToken)
                }
                if keys.contains(key) { throw parser.error("duplicate field '\(key)' in record", at: keyToken) }
                try parser.consume(.colon, "expected ':' after the field name '\(key)'")
                parser.skipNewlines()
                keys.append(key)
                values.append(try parser.expression())
                parser.skipNewlines()
                if !parser.match(.comma) { break }
                parser.skipNewlines()
            }
            try parser.consume(.rightBrace, "expected ',' or '}' in the record, found \(parser.describe(parser.peek))")
            return RecordLiteral(keys: keys, values: values, span: parser.span(from: open.start))
        }
    }

    private mutating func ifExpression() throws -> Node {
        let start = advance().start
        let condition = try expression()
        let then = try block()
        var otherwise: Node?
        if continuesOnNextLine(.kwElse) {
            advance()
            otherwise = check(.kwIf) ? try nested { try $0.ifExpression() } : try block()
        }
        return If(condition: condition, then: then, otherwise: otherwise, span: span(from: start))
    }

    private mutating func stringLiteral(_ token: Token) throws -> Node {
        let parts = strings[token.stringIndex]
        let whole = SourceSpan(file: fileID, start: token.start, end: token.end)
        if parts.count == 1, case .text(let text) = parts[0] { return Literal(value: .str(text), span: whole) }
        var nodes: [Node] = []
        for part in parts {
            switch part {
            case .text(let text): nodes.append(Literal(value: .str(text), span: whole))
            case .code(let start, let end):
                nodes.append(try interpolation(start..<end))
            }
        }
        return InterpolatedString(parts: nodes, span: whole)
    }
}

extension Parser {
    /// Parses the code of one `\(...)`; its errors are never "end of input", since the string is closed.
    fileprivate func interpolation(_ range: Range<Int>) throws -> Node {
        do {
            var inner = try Parser(file: file, fileID: fileID, range: range)
            inner.depth = depth
            inner.skipNewlines()
            if inner.check(.eof) { throw inner.error("empty interpolation '\\()'") }
            let expression = try inner.expression()
            guard inner.check(.eof) else {
                throw inner.error("expected ')' to end the interpolation, found \(inner.describe(inner.peek))")
            }
            return expression
        } catch var diagnostic as Diagnostic {
            diagnostic.isAtEndOfInput = false
            throw diagnostic
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}
