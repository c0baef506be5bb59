/// The kernel expression language: parse `--kernel EXPR` strings into kernels, and print kernels
/// back (every kernel's `description` is an expression in this language).
///
/// Grammar (whitespace is ignored; `*` binds tighter than `+`):
///
///     expression := term ('+' term)*
///     term       := factor ('*' factor)*
///     factor     := NUMBER | NAME [ '(' [argument (',' argument)*] ')' ] | '(' expression ')'
///     argument   := KEY '=' value
///     value      := entry | '[' entry (',' entry)* ']' modifiers
///     entry      := NUMBER modifiers
///     modifiers  := ( 'fixed' | 'in' '[' NUMBER ',' NUMBER ']' )*
///
/// Names: `rbf` (alias `se`), `matern12`, `matern32`, `matern52`, `periodic`, `rq`, `linear`,
/// `white`, `constant`, `sm`. A bare number c is `constant(value=c)`, so `2.5*rbf` scales `rbf`.
/// Keywords: rbf/matern `length` (a list gives ARD lengthscales); periodic `length`, `period`;
/// rq `length`, `alpha`; linear `sigma0`; white `noise`; constant `value`; sm `q`, `d`,
/// `weights`, `means`, `variances`. `in [lo, hi]` sets a hyperparameter's bounds (natural units,
/// default [1e-5, 1e5]) and `fixed` excludes it from optimisation; after a list they apply to every
/// entry without its own.
///
/// Example: `rbf(length=50) + periodic(length=1, period=1 fixed) * rbf(length=100) + white(noise=0.1 in [1e-3, 1])`.
///
/// Printing writes every value with the shortest decimal form that reads back to the same Double,
/// and bounds/`fixed` only where they differ from the defaults, so `parse(k.description)` rebuilds
/// k exactly (round trip). Parsing is O(length of the expression).
public enum KernelExpression {
    /// The kernel names the parser accepts.
    public static let kernelNames = ["rbf", "se", "matern12", "matern32", "matern52", "periodic", "rq",
                                     "linear", "white", "constant", "sm"]

    /// Parse an expression into a kernel.
    /// - Throws: ``KernelExpressionError`` naming the position and what was expected, unknown
    ///   kernel or parameter names with the valid ones, and out-of-domain values.
    public static func parse(_ text: String) throws -> any Kernel {
        var parser = Parser(text: text)
        let kernel = try parser.parseExpression()
        let token = try parser.peek()
        if token.kind != .end {
            throw parser.syntaxError(at: token, expected: "'+', '*' or the end of the expression")
        }
        return kernel
    }

    // MARK: Printing

    /// One keyword argument of a printed kernel call.
    struct Argument {
        let key: String
        let parameters: [Hyperparameter]
        let list: Bool
        let integer: Int?

        init(key: String, _ parameters: [Hyperparameter], list: Bool = false) {
            self.key = key
            self.parameters = parameters
            self.list = list
            self.integer = nil
        }

        init(key: String, integer: Int) {
            self.key = key
            self.parameters = []
            self.list = false
            self.integer = integer
        }
    }

    /// `name(key=value, …)` with values, non-default bounds and fixed flags.
    static func formatCall(_ name: String, _ arguments: [Argument]) -> String {
        let parts = arguments.map { a -> String in
            if let i = a.integer { return "\(a.key)=\(i)" }
            if !a.list { return "\(a.key)=" + formatEntry(a.parameters[0], withModifiers: true) }
            let first = a.parameters[0]
            let shared = a.parameters.allSatisfy { $0.bounds == first.bounds && $0.isFixed == first.isFixed }
            let entries = a.parameters.map { formatEntry($0, withModifiers: !shared) }
            return "\(a.key)=[" + entries.joined(separator: ", ") + "]" + (shared ? modifiers(first) : "")
        }
        return "\(name)(" + parts.joined(separator: ", ") + ")"
    }

    private static func formatEntry(_ h: Hyperparameter, withModifiers: Bool) -> String {
        formatNumber(h.value) + (withModifiers ? modifiers(h) : "")
    }

    private static func modifiers(_ h: Hyperparameter) -> String {
        var s = ""
        if h.bounds != Hyperparameter.defaultBounds {
            s += " in [\(formatNumber(h.bounds.lowerBound)), \(formatNumber(h.bounds.upperBound))]"
        }
        if h.isFixed { s += " fixed" }
        return s
    }

    /// Shortest round-tripping decimal form; integers without a trailing ".0".
    static func formatNumber(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return x.description
    }
}

// MARK: - Lexer and parser

private struct Token: Equatable {
    enum Kind: Equatable { case name, number, plus, star, leftParen, rightParen, leftBracket, rightBracket, comma, equals, end }
    let kind: Kind
    let text: String
    let position: Int
    var number: Double { Double(text) ?? .nan }
}

/// One parsed number with its own modifiers.
private struct Entry {
    var value: Double
    var bounds: ClosedRange<Double>?
    var fixed: Bool
    let position: Int
}

/// The value of one keyword argument: a scalar entry or a list of entries.
private struct ArgumentValue {
    var entries: [Entry]
    let isList: Bool
    let keyPosition: Int
    let valuePosition: Int
}

private struct Parser {
    let text: String
    let characters: [Character]
    var index = 0
    var lookahead: Token?

    init(text: String) {
        self.text = text
        self.characters = Array(text)
    }

    // MARK: Lexing

    mutating func peek() throws -> Token {
        if let t = lookahead { return t }
        let t = try lex()
        lookahead = t
        return t
    }

    mutating func next() throws -> Token {
        let t = try peek()
        lookahead = nil
        return t
    }

    private mutating func lex() throws -> Token {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        let start = index
        guard index < characters.count else { return Token(kind: .end, text: "", position: start) }
        let c = characters[index]
        let single: [Character: Token.Kind] = ["+": .plus, "*": .star, "(": .leftParen, ")": .rightParen,
                                                "[": .leftBracket, "]": .rightBracket, ",": .comma, "=": .equals]
        if let kind = single[c] {
            index += 1
            return Token(kind: kind, text: String(c), position: start)
        }
        if c.isLetter || c == "_" {
            while index < characters.count, characters[index].isLetter || characters[index].isNumber
                || characters[index] == "_" { index += 1 }
            return Token(kind: .name, text: String(characters[start..<index]), position: start)
        }
        let startsNumber = c.isNumber || c == "." || (c == "-" && index + 1 < characters.count
            && (characters[index + 1].isNumber || characters[index + 1] == "."))
        if startsNumber {
            if c == "-" { index += 1 }
            while index < characters.count, characters[index].isNumber || characters[index] == "." { index += 1 }
            if index < characters.count, characters[index] == "e" || characters[index] == "E" {
                var j = index + 1
                if j < characters.count, characters[j] == "+" || characters[j] == "-" { j += 1 }
                if j < characters.count, characters[j].isNumber {
                    index = j
                    while index < characters.count, characters[index].isNumber { index += 1 }
                }
            }
            let s = String(characters[start..<index])
            guard Double(s) != nil else {
                throw KernelExpressionError.syntax(expression: text, position: start, expected: "a number",
                                                   found: "'\(s)'")
            }
            return Token(kind: .number, text: s, position: start)
        }
        throw KernelExpressionError.syntax(expression: text, position: start,
                                           expected: "a kernel name, a number, '(' or an operator",
                                           found: "'\(c)'")
    }

    func syntaxError(at token: Token, expected: String) -> KernelExpressionError {
        .syntax(expression: text, position: token.position, expected: expected,
                found: token.kind == .end ? "the end of the expression" : "'\(token.text)'")
    }

    func invalid(_ position: Int, _ message: String) -> KernelExpressionError {
        .invalidValue(expression: text, position: position, message: message)
    }

    mutating func expect(_ kind: Token.Kind, _ description: String) throws -> Token {
        let t = try next()
        guard t.kind == kind else { throw syntaxError(at: t, expected: description) }
        return t
    }

    // MARK: Expressions

    mutating func parseExpression() throws -> any Kernel {
        let start = try peek().position
        var terms = [try parseTerm()]
        while try peek().kind == .plus {
            _ = try next()
            terms.append(try parseTerm())
        }
        return terms.count == 1 ? terms[0] : try combine(terms, at: start, sum: true)
    }

    mutating func parseTerm() throws -> any Kernel {
        let start = try peek().position
        var factors = [try parseFactor()]
        while try peek().kind == .star {
            _ = try next()
            factors.append(try parseFactor())
        }
        return factors.count == 1 ? factors[0] : try combine(factors, at: start, sum: false)
    }

    /// Flatten nested sums/products (as the operators do) after checking input dimensions agree.
    private func combine(_ parts: [any Kernel], at position: Int, sum: Bool) throws -> any Kernel {
        let dims = Set(parts.compactMap(\.inputDimension))
        guard dims.count <= 1 else {
            throw invalid(position, "combined kernels need different input dimensions \(dims.sorted())")
        }
        return sum ? SumKernel(parts) : ProductKernel(parts)
    }

    mutating func parseFactor() throws -> any Kernel {
        let t = try next()
        switch t.kind {
        case .number:
            let v = t.number
            guard v > 0 && v.isFinite else { throw invalid(t.position, "a scale factor must be positive, got \(t.text)") }
            return ConstantKernel(v)
        case .leftParen:
            let inner = try parseExpression()
            _ = try expect(.rightParen, "')'")
            return inner
        case .name:
            let name = t.text.lowercased()
            guard KernelExpression.kernelNames.contains(name) else {
                throw KernelExpressionError.unknownKernel(expression: text, position: t.position, name: t.text,
                                                          valid: KernelExpression.kernelNames)
            }
            var arguments: [String: ArgumentValue] = [:]
            var order: [String] = []
            if try peek().kind == .leftParen {
                _ = try next()
                if try peek().kind != .rightParen {
                    while true {
                        let key = try expect(.name, "a parameter name")
                        _ = try expect(.equals, "'=' after '\(key.text)'")
                        guard arguments[key.text] == nil else {
                            throw invalid(key.position, "parameter '\(key.text)' is given twice")
                        }
                        arguments[key.text] = try parseValue(keyPosition: key.position)
                        order.append(key.text)
                        let separator = try next()
                        if separator.kind == .rightParen { break }
                        guard separator.kind == .comma else { throw syntaxError(at: separator, expected: "',' or ')'") }
                    }
                } else {
                    _ = try next()
                }
            }
            return try build(name, at: t.position, arguments)
        default:
            throw syntaxError(at: t, expected: "a kernel name, a number or '('")
        }
    }

    // MARK: Values

    mutating func parseValue(keyPosition: Int) throws -> ArgumentValue {
        let first = try peek()
        if first.kind == .leftBracket {
            _ = try next()
            var entries = [try parseEntry()]
            while true {
                let t = try next()
                if t.kind == .rightBracket { break }
                guard t.kind == .comma else { throw syntaxError(at: t, expected: "',' or ']'") }
                entries.append(try parseEntry())
            }
            let shared = try parseModifiers()
            for k in entries.indices {
                if entries[k].bounds == nil { entries[k].bounds = shared.bounds }
                entries[k].fixed = entries[k].fixed || shared.fixed
            }
            return ArgumentValue(entries: entries, isList: true, keyPosition: keyPosition, valuePosition: first.position)
        }
        return ArgumentValue(entries: [try parseEntry()], isList: false, keyPosition: keyPosition,
                             valuePosition: first.position)
    }

    mutating func parseEntry() throws -> Entry {
        let t = try expect(.number, "a number")
        let m = try parseModifiers()
        return Entry(value: t.number, bounds: m.bounds, fixed: m.fixed, position: t.position)
    }

    mutating func parseModifiers() throws -> (bounds: ClosedRange<Double>?, fixed: Bool) {
        var bounds: ClosedRange<Double>?
        var fixed = false
        while try peek().kind == .name {
            let t = try peek()
            switch t.text {
            case "fixed":
                _ = try next()
                fixed = true
            case "in":
                _ = try next()
                _ = try expect(.leftBracket, "'[' after 'in'")
                let lo = try expect(.number, "a lower bound")
                _ = try expect(.comma, "','")
                let hi = try expect(.number, "an upper bound")
                _ = try expect(.rightBracket, "']'")
                guard lo.number > 0, hi.number.isFinite, lo.number <= hi.number else {
                    throw invalid(lo.position, "bounds must satisfy 0 < lower ≤ upper < ∞, got [\(lo.text), \(hi.text)]")
                }
                bounds = lo.number...hi.number
            default:
                throw syntaxError(at: t, expected: "'fixed', 'in', ',' or ')'")
            }
        }
        return (bounds, fixed)
    }

    // MARK: Building kernels

    private func build(_ name: String, at position: Int, _ args: [String: ArgumentValue]) throws -> any Kernel {
        let valid: [String] = switch name {
        case "rbf", "se", "matern12", "matern32", "matern52": ["length"]
        case "periodic": ["length", "period"]
        case "rq": ["length", "alpha"]
        case "linear": ["sigma0"]
        case "white": ["noise"]
        case "constant": ["value"]
        default: ["q", "d", "weights", "means", "variances"]
        }
        for (key, value) in args where !valid.contains(key) {
            throw KernelExpressionError.unknownParameter(expression: text, position: value.keyPosition,
                                                         kernel: name, name: key, valid: valid)
        }
        for value in args.values {
            for e in value.entries where !(e.value > 0 && e.value.isFinite) {
                throw invalid(e.position, "hyperparameter values must be positive and finite, got \(e.value)")
            }
        }
        var kernel: any Kernel
        switch name {
        case "rbf", "se":
            kernel = RBFKernel(lengthScales: args["length"]?.entries.map(\.value) ?? [1])
        case "matern12", "matern32", "matern52":
            kernel = MaternKernel(MaternKernel.Smoothness(rawValue: name)!,
                                  lengthScales: args["length"]?.entries.map(\.value) ?? [1])
        case "periodic":
            kernel = PeriodicKernel(lengthScale: try scalar(args["length"]), period: try scalar(args["period"]))
        case "rq":
            kernel = RationalQuadraticKernel(lengthScale: try scalar(args["length"]), alpha: try scalar(args["alpha"]))
        case "linear":
            kernel = LinearKernel(sigma0: try scalar(args["sigma0"]))
        case "white":
            kernel = WhiteKernel(noiseLevel: try scalar(args["noise"]))
        case "constant":
            kernel = ConstantKernel(try scalar(args["value"]))
        default:
            kernel = try spectralMixture(at: position, args)
        }
        // Bounds and fixed flags, in the kernel's hyperparameter order (keys in `valid` order).
        var h = kernel.hyperparameters
        var offset = 0
        for key in valid where key != "q" && key != "d" {
            let count: Int
            if let sm = kernel as? SpectralMixtureKernel {
                count = key == "weights" ? sm.components : sm.components * sm.dimension
            } else {
                count = key == "length" ? h.count - (valid.count - 1) : 1
            }
            if let value = args[key] {
                for k in 0..<count {
                    let e = value.entries[value.entries.count == 1 ? 0 : k]
                    if let b = e.bounds { h[offset + k].bounds = b }
                    h[offset + k].isFixed = e.fixed
                }
            }
            offset += count
        }
        kernel.hyperparameters = h
        return kernel
    }

    private func scalar(_ value: ArgumentValue?) throws -> Double {
        guard let value else { return 1 }
        guard !value.isList else { throw invalid(value.valuePosition, "this parameter takes one number, not a list") }
        return value.entries[0].value
    }

    private func integer(_ value: ArgumentValue?, _ key: String) throws -> Int? {
        guard let value else { return nil }
        let v = value.entries[0].value
        guard !value.isList, v == v.rounded(), v >= 1, v <= 1000 else {
            throw invalid(value.valuePosition, "'\(key)' must be a whole number between 1 and 1000")
        }
        return Int(v)
    }

    private func spectralMixture(at position: Int, _ args: [String: ArgumentValue]) throws -> any Kernel {
        let q = try integer(args["q"], "q") ?? args["weights"]?.entries.count ?? 1
        if let w = args["weights"], w.entries.count != q {
            throw invalid(w.valuePosition, "sm: \(w.entries.count) weights for q=\(q) components")
        }
        let listed = args["means"]?.entries.count ?? args["variances"]?.entries.count
        let d = try integer(args["d"], "d") ?? (listed.map { max(1, $0 / q) } ?? 1)
        for key in ["means", "variances"] {
            if let v = args[key], v.entries.count != q * d {
                throw invalid(v.valuePosition, "sm: '\(key)' needs q·d = \(q * d) entries (component-major), got \(v.entries.count)")
            }
        }
        let defaults = SpectralMixtureKernel(components: q, dimension: d)
        return SpectralMixtureKernel(weights: args["weights"]?.entries.map(\.value) ?? defaults.weights.map(\.value),
                                     means: args["means"]?.entries.map(\.value) ?? defaults.means.map(\.value),
                                     variances: args["variances"]?.entries.map(\.value) ?? defaults.variances.map(\.value))
    }
}
