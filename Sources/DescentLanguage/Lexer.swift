enum TokenKind: Equatable {
    case number, string, identifier
    // keywords
    case kwLet, kwFn, kwIf, kwElse, kwWhile, kwFor, kwIn, kwBreak, kwContinue, kwReturn
    case kwTrue, kwFalse, kwNil, kwAnd, kwOr, kwNot
    // punctuation
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case comma, dot, colon, semicolon, arrow
    case assign, plusAssign, minusAssign, starAssign, slashAssign
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case plus, minus, star, slash, slashSlash, percent, starStar, at
    case newline, eof
}

/// A piece of a string literal: literal text, or the byte range of an interpolated `\(expression)`.
enum StringPart {
    case text(String)
    case code(start: Int, end: Int)
}

struct Token {
    var kind: TokenKind
    var start: Int
    var end: Int
    var number: Double = 0
    /// Index into `Lexer.strings` for string tokens.
    var stringIndex: Int = -1
}

/// The keyword a word spells, if any. A function rather than a shared dictionary: release builds
/// count references non-atomically, so the module keeps no shared reference-counted globals.
func keywordKind(_ word: String) -> TokenKind? {
    switch word {
    case "let": .kwLet
    case "fn": .kwFn
    case "if": .kwIf
    case "else": .kwElse
    case "while": .kwWhile
    case "for": .kwFor
    case "in": .kwIn
    case "break": .kwBreak
    case "continue": .kwContinue
    case "return": .kwReturn
    case "true": .kwTrue
    case "false": .kwFalse
    case "nil": .kwNil
    case "and": .kwAnd
    case "or": .kwOr
    case "not": .kwNot
    default: nil
    }
}

var keywordNames: [String] {
    ["let", "fn", "if", "else", "while", "for", "in", "break", "continue", "return", "true", "false", "nil", "and", "or", "not"]
}

/// Turns source bytes into tokens. Newlines inside `(` or `[` are not statement ends, so calls and
/// lists can span lines; inside `{` they are, because braces hold statements.
struct Lexer {
    let bytes: [UInt8]
    let fileID: Int
    private var position: Int
    private let limit: Int
    private var openBrackets: [UInt8] = []
    var tokens: [Token] = []
    var strings: [[StringPart]] = []

    init(file: SourceFile, fileID: Int, range: Range<Int>? = nil) {
        self.bytes = file.bytes
        self.fileID = fileID
        self.position = range?.lowerBound ?? 0
        self.limit = range?.upperBound ?? file.bytes.count
    }

    private func span(_ start: Int, _ end: Int) -> SourceSpan { SourceSpan(file: fileID, start: start, end: end) }

    private func peek(_ ahead: Int = 0) -> UInt8 {
        position + ahead < limit ? bytes[position + ahead] : 0
    }

    private var atNoBreakSpace: Bool { peek() == 0xC2 && peek(1) == 0xA0 }

    mutating func tokenize() throws -> (tokens: [Token], strings: [[StringPart]]) {
        while true {
            skipSpaceAndComments()
            let start = position
            guard position < limit else {
                tokens.append(Token(kind: .eof, start: limit, end: limit))
                return (tokens, strings)
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\n") {
                position += 1
                if openBrackets.last != UInt8(ascii: "(") && openBrackets.last != UInt8(ascii: "[") {
                    if let last = tokens.last, last.kind != .newline { add(.newline, start) }
                }
                continue
            }
            if isDigit(byte) || (byte == UInt8(ascii: ".") && isDigit(peek(1))) {
                try lexNumber(start)
            } else if isIdentifierStart(byte) {
                while position < limit, isIdentifierPart(bytes[position]), !atNoBreakSpace { position += 1 }
                let word = String(decoding: bytes[start..<position], as: UTF8.self)
                add(keywordKind(word) ?? .identifier, start)
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                try lexString(start, quote: byte)
            } else {
                try lexPunctuation(start, byte)
            }
        }
    }

    private mutating func add(_ kind: TokenKind, _ start: Int) {
        tokens.append(Token(kind: kind, start: start, end: position))
    }

    private mutating func skipSpaceAndComments() {
        // A byte-order mark, which some editors put at the start of UTF-8 files.
        if position == 0, peek() == 0xEF, peek(1) == 0xBB, peek(2) == 0xBF { position = 3 }
        while position < limit {
            let byte = bytes[position]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                position += 1
            } else if atNoBreakSpace {
                position += 2  // a no-break space, as pasted from web pages and PDFs
            } else if byte == UInt8(ascii: "#") {
                while position < limit, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            } else if byte == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\n") {
                position += 2  // an explicit line continuation
            } else {
                return
            }
        }
    }

    private mutating func lexNumber(_ start: Int) throws {
        var text = ""
        func digits() {
            while position < limit, isDigit(bytes[position]) || bytes[position] == UInt8(ascii: "_") {
                if bytes[position] != UInt8(ascii: "_") { text.append(Character(UnicodeScalar(bytes[position]))) }
                position += 1
            }
        }
        digits()
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) || (!isIdentifierStart(peek(1)) && peek(1) != UInt8(ascii: ".")) {
            text.append(".")
            position += 1
            digits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 1 : 0
            if isDigit(peek(1 + sign)) {
                text.append("e")
                if sign == 1 { text.append(Character(UnicodeScalar(peek(1)))) }
                position += 1 + sign
                digits()
            }
        }
        if position < limit, isIdentifierStart(bytes[position]), !atNoBreakSpace {
            let badStart = position
            while position < limit, isIdentifierPart(bytes[position]) { position += 1 }
            throw Diagnostic("invalid number literal '\(String(decoding: bytes[start..<position], as: UTF8.self))'",
                             at: SourceSpan(file: fileID, start: start, end: position, point: badStart))
        }
        guard let value = Double(text) else {
            throw Diagnostic("invalid number literal '\(text)'", at: span(start, position))
        }
        var token = Token(kind: .number, start: start, end: position)
        token.number = value
        tokens.append(token)
    }

    private mutating func lexString(_ start: Int, quote: UInt8) throws {
        position += 1
        var parts: [StringPart] = []
        var text: [UInt8] = []
        while true {
            guard position < limit, bytes[position] != UInt8(ascii: "\n") else {
                throw Diagnostic("unterminated string literal", at: span(start, position))
            }
            let byte = bytes[position]
            if byte == quote { position += 1; break }
            if byte != UInt8(ascii: "\\") {
                text.append(byte)
                position += 1
                continue
            }
            let escapeStart = position
            position += 1
            let escaped = peek()
            position += 1
            switch escaped {
            case UInt8(ascii: "n"): text.append(10)
            case UInt8(ascii: "t"): text.append(9)
            case UInt8(ascii: "r"): text.append(13)
            case UInt8(ascii: "0"): text.append(0)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): text.append(escaped)
            case UInt8(ascii: "u"):
                text.append(contentsOf: try lexUnicodeEscape(escapeStart))
            case UInt8(ascii: "("):
                if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
                let codeStart = position
                try skipInterpolation(escapeStart)
                parts.append(.code(start: codeStart, end: position - 1))
            default:
                throw Diagnostic("unknown escape sequence '\\\(Character(UnicodeScalar(escaped)))' in string",
                                 at: span(escapeStart, position))
            }
        }
        if !text.isEmpty || parts.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
        var token = Token(kind: .string, start: start, end: position)
        token.stringIndex = strings.count
        strings.append(parts)
        tokens.append(token)
    }

    private mutating func lexUnicodeEscape(_ escapeStart: Int) throws -> [UInt8] {
        guard peek() == UInt8(ascii: "{") else {
            throw Diagnostic("expected '{' after '\\u', as in \"\\u{3B7}\"", at: span(escapeStart, position))
        }
        position += 1
        let digitsStart = position
        while position < limit, bytes[position] != UInt8(ascii: "}"), bytes[position] != UInt8(ascii: "\n") { position += 1 }
        let hex = String(decoding: bytes[digitsStart..<position], as: UTF8.self)
        position += 1
        guard let code = UInt32(hex, radix: 16), let scalar = UnicodeScalar(code) else {
            throw Diagnostic("invalid unicode escape '\\u{\(hex)}'", at: span(escapeStart, position))
        }
        return Array(String(Character(scalar)).utf8)
    }

    /// Skips to the `)` closing an interpolation, stepping over nested brackets and strings.
    private mutating func skipInterpolation(_ escapeStart: Int) throws {
        var depth = 1
        while position < limit, bytes[position] != UInt8(ascii: "\n") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                var nested = Lexer(bytes: bytes, fileID: fileID, position: position, limit: limit)
                try nested.lexString(position, quote: byte)
                position = nested.position
                continue
            }
            if byte == UInt8(ascii: "(") { depth += 1 }
            if byte == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { position += 1; return }
            }
            position += 1
        }
        throw Diagnostic("unterminated interpolation: '\\(' needs a closing ')' on the same line",
                         at: span(escapeStart, position))
    }

    private init(bytes: [UInt8], fileID: Int, position: Int, limit: Int) {
        self.bytes = bytes
        self.fileID = fileID
        self.position = position
        self.limit = limit
    }

    private mutating func lexPunctuation(_ start: Int, _ byte: UInt8) throws {
        position += 1
        let next = peek()
        func two(_ kind: TokenKind) -> TokenKind { position += 1; return kind }
        let kind: TokenKind
        switch byte {
        case UInt8(ascii: "("): kind = .leftParen; openBrackets.append(byte)
        case UInt8(ascii: "["): kind = .leftBracket; openBrackets.append(byte)
        case UInt8(ascii: "{"): kind = .leftBrace; openBrackets.append(byte)
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            kind = byte == UInt8(ascii: ")") ? .rightParen : byte == UInt8(ascii: "]") ? .rightBracket : .rightBrace
            if !openBrackets.isEmpty { openBrackets.removeLast() }
        case UInt8(ascii: ","): kind = .comma
        case UInt8(ascii: "."): kind = .dot
        case UInt8(ascii: ":"): kind = .colon
        case UInt8(ascii: ";"): kind = .semicolon
        case UInt8(ascii: "@"): kind = .at
        case UInt8(ascii: "%"): kind = .percent
        case UInt8(ascii: "+"): kind = next == UInt8(ascii: "=") ? two(.plusAssign) : .plus
        case UInt8(ascii: "-"): kind = next == UInt8(ascii: "=") ? two(.minusAssign) : .minus
        case UInt8(ascii: "*"):
            kind = next == UInt8(ascii: "*") ? two(.starStar) : next == UInt8(ascii: "=") ? two(.starAssign) : .star
        case UInt8(ascii: "/"):
            kind = next == UInt8(ascii: "/") ? two(.slashSlash) : next == UInt8(ascii: "=") ? two(.slashAssign) : .slash
        case UInt8(ascii: "="):
            kind = next == UInt8(ascii: "=") ? two(.equal) : next == UInt8(ascii: ">") ? two(.arrow) : .assign
        case UInt8(ascii: "!"):
            guard next == UInt8(ascii: "=") else {
                throw Diagnostic("unexpected '!'; use 'not' for logical negation", at: span(start, position))
            }
            kind = two(.notEqual)
        case UInt8(ascii: "<"): kind = next == UInt8(ascii: "=") ? two(.lessEqual) : .less
        case UInt8(ascii: ">"): kind = next == UInt8(ascii: "=") ? two(.greaterEqual) : .greater
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            let word = byte == UInt8(ascii: "&") ? "and" : "or"
            if next == byte { position += 1 }
            throw Diagnostic("unexpected '\(String(decoding: bytes[start..<position], as: UTF8.self))'; use '\(word)'",
                             at: span(start, position))
        default:
            throw Diagnostic("unexpected character '\(String(decoding: bytes[start..<position], as: UTF8.self))'",
                             at: span(start, position))
        }
        add(kind, start)
    }
}

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
@inline(__always) func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || byte == 95 || byte >= 0x80
}
@inline(__always) func isIdentifierPart(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || isDigit(byte) }
