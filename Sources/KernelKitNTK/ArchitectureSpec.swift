/// The compact architecture strings of the command line, e.g.
///
///     dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)
///
/// Grammar (whitespace ignored, names case-insensitive):
///
///     network  := layer ("," layer)*
///     layer    := name [ "(" [arg ("," arg)*] ")" ]
///     arg      := number | "none" | "[" network "]"
///
/// `dense(W)` has no bias, `dense(W,b)` has bias std b, `dense(W,b,width)` declares the width (it
/// matters only with the standard parameterization; default 512); `dense(W,none,width)` is a
/// bias-free standard layer. Activations take stax's positional arguments: `relu`, `leaky_relu(α)`,
/// `ab_relu(a,b)`, `abs`, `erf(a,b,c)`, `sigmoid_like`, `gelu`, `sin(a,b,c)`, `cos(a,b,c)`, `rbf(γ)`,
/// `gaussian(a,b)`, `exp(a,b)`, `sign`, `monomial(k)`, `rectified_monomial(k)`,
/// `polynomial(c0,c1,…)`, `hermite(k)`, `tanh`. Structure: `layer_norm`, `identity`,
/// `residual([network])` (x + f(x)) and `parallel([network],[network],…)` (fan-out, sum).
public enum ArchitectureSpec {
    /// Parses a compact architecture string; Dense layers get `parameterization`.
    /// - Throws: `NTKError.parse` with the character position and what was expected.
    public static func parse(_ text: String, parameterization: Parameterization = .ntk) throws -> [Layer] {
        var parser = Parser(chars: Array(text), parameterization: parameterization)
        let layers = try parser.network()
        parser.skipSpace()
        guard parser.pos == parser.chars.count else {
            throw NTKError.parse(message: "unexpected '\(parser.chars[parser.pos])' (expected ',' between layers)", position: parser.pos)
        }
        guard !layers.isEmpty else { throw NTKError.parse(message: "empty architecture", position: 0) }
        return layers
    }

    private enum Argument {
        case number(Double)
        case none
        case network([Layer])
    }

    private struct Parser {
        let chars: [Character]
        let parameterization: Parameterization
        var pos = 0

        mutating func skipSpace() { while pos < chars.count && chars[pos].isWhitespace { pos += 1 } }

        mutating func network() throws -> [Layer] {
            var layers = [try layer()]
            skipSpace()
            while pos < chars.count && chars[pos] == "," {
                pos += 1
                layers.append(try layer())
                skipSpace()
            }
            return layers
        }

        mutating func layer() throws -> Layer {
            skipSpace()
            let start = pos
            while pos < chars.count && (chars[pos].isLetter || chars[pos] == "_" || (pos > start && chars[pos].isNumber)) { pos += 1 }
            guard pos > start else {
                throw NTKError.parse(message: pos < chars.count ? "expected a layer name, found '\(chars[pos])'" : "expected a layer name at the end", position: pos)
            }
            let name = String(chars[start..<pos]).lowercased()
            skipSpace()
            var args: [Argument] = []
            if pos < chars.count && chars[pos] == "(" {
                pos += 1
                skipSpace()
                if pos < chars.count && chars[pos] == ")" { pos += 1 } else {
                    while true {
                        args.append(try argument())
                        skipSpace()
                        guard pos < chars.count else { throw NTKError.parse(message: "missing ')'", position: pos) }
                        if chars[pos] == "," { pos += 1; continue }
                        if chars[pos] == ")" { pos += 1; break }
                        throw NTKError.parse(message: "expected ',' or ')', found '\(chars[pos])'", position: pos)
                    }
                }
            }
            return try build(name, args, at: start)
        }

        mutating func argument() throws -> Argument {
            skipSpace()
            guard pos < chars.count else { throw NTKError.parse(message: "expected an argument", position: pos) }
            if chars[pos] == "[" {
                pos += 1
                let inner = try network()
                skipSpace()
                guard pos < chars.count && chars[pos] == "]" else { throw NTKError.parse(message: "missing ']'", position: pos) }
                pos += 1
                return .network(inner)
            }
            let start = pos
            while pos < chars.count && !",)]".contains(chars[pos]) && !chars[pos].isWhitespace { pos += 1 }
            let token = String(chars[start..<pos])
            if token.lowercased() == "none" { return .none }
            guard let v = Double(token), v.isFinite else {
                throw NTKError.parse(message: "expected a number, found '\(token)'", position: start)
            }
            return .number(v)
        }

        func build(_ name: String, _ args: [Argument], at position: Int) throws -> Layer {
            func numbers(_ allowed: ClosedRange<Int>) throws -> [Double] {
                guard allowed.contains(args.count) else {
                    let want = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
                    throw NTKError.parse(message: "\(name) takes \(want) argument(s), got \(args.count)", position: position)
                }
                return try args.map {
                    guard case let .number(v) = $0 else { throw NTKError.parse(message: "\(name) takes numbers", position: position) }
                    return v
                }
            }
            func integer(_ v: Double) throws -> Int {
                guard v == v.rounded(), abs(v) < 1e6 else { throw NTKError.parse(message: "\(name) needs an integer, got \(v)", position: position) }
                return Int(v)
            }
            switch name {
            case "dense":
                guard (1...3).contains(args.count) else {
                    throw NTKError.parse(message: "dense takes 1 to 3 arguments (W_std[, b_std[, width]]), got \(args.count)", position: position)
                }
                guard case let .number(w) = args[0] else { throw NTKError.parse(message: "dense: W_std must be a number", position: position) }
                var bias: Double? = nil
                if args.count >= 2 {
                    switch args[1] {
                    case let .number(b): bias = b
                    case .none: bias = nil
                    case .network: throw NTKError.parse(message: "dense: b_std must be a number or none", position: position)
                    }
                }
                var width = 512
                if args.count == 3 {
                    guard case let .number(wd) = args[2], wd >= 1 else { throw NTKError.parse(message: "dense: width must be a positive integer", position: position) }
                    width = try integer(wd)
                }
                return .dense(weightStd: w, biasStd: bias, width: width, parameterization: parameterization)
            case "relu": _ = try numbers(0...0); return .activation(.relu)
            case "leaky_relu", "leakyrelu": return .activation(.leakyRelu(try numbers(1...1)[0]))
            case "ab_relu", "abrelu": let a = try numbers(2...2); return .activation(.abRelu(a: a[0], b: a[1]))
            case "abs": _ = try numbers(0...0); return .activation(.abs)
            case "erf":
                let a = try numbers(0...3)
                return .activation(.erf(a: a.count > 0 ? a[0] : 1, b: a.count > 1 ? a[1] : 1, c: a.count > 2 ? a[2] : 0))
            case "sigmoid_like": _ = try numbers(0...0); return .activation(.sigmoidLike)
            case "gelu": _ = try numbers(0...0); return .activation(.gelu)
            case "sin", "cos":
                let a = try numbers(0...3)
                let (p, q, r) = (a.count > 0 ? a[0] : 1, a.count > 1 ? a[1] : 1, a.count > 2 ? a[2] : 0)
                return .activation(name == "sin" ? .sin(a: p, b: q, c: r) : .cos(a: p, b: q, c: r))
            case "rbf": let a = try numbers(0...1); return .activation(.rbf(gamma: a.first ?? 1))
            case "gaussian": let a = try numbers(0...2); return .activation(.gaussian(a: a.count > 0 ? a[0] : 1, b: a.count > 1 ? a[1] : -1))
            case "exp": let a = try numbers(0...2); return .activation(.exp(a: a.count > 0 ? a[0] : 1, b: a.count > 1 ? a[1] : 1))
            case "sign": _ = try numbers(0...0); return .activation(.sign)
            case "monomial": return .activation(.monomial(try integer(try numbers(1...1)[0])))
            case "rectified_monomial", "rectifiedmonomial": return .activation(.rectifiedMonomial(try integer(try numbers(1...1)[0])))
            case "polynomial": return .activation(.polynomial(try numbers(1...64)))
            case "hermite": return .activation(.hermite(try integer(try numbers(1...1)[0])))
            case "tanh": _ = try numbers(0...0); return .activation(.tanh)
            case "layer_norm", "layernorm": _ = try numbers(0...0); return .layerNorm
            case "identity": _ = try numbers(0...0); return .identity
            case "residual", "parallel":
                let branches: [Layer] = try args.map {
                    guard case let .network(l) = $0 else { throw NTKError.parse(message: "\(name) takes bracketed networks, e.g. \(name)([dense(1),relu])", position: position) }
                    return .serial(l)
                }
                if name == "residual" {
                    guard branches.count == 1 else { throw NTKError.parse(message: "residual takes one bracketed network", position: position) }
                    return .residual(branches[0])
                }
                guard !branches.isEmpty else { throw NTKError.parse(message: "parallel needs at least one branch", position: position) }
                return .parallelSum(branches)
            default:
                throw NTKError.parse(message: "unknown layer '\(name)' (known: dense, relu, leaky_relu, ab_relu, abs, erf, sigmoid_like, gelu, sin, cos, rbf, gaussian, exp, sign, monomial, rectified_monomial, polynomial, hermite, tanh, layer_norm, identity, residual, parallel)", position: position)
            }
        }
    }
}
