import Foundation

/// Reading a network from neural-tangents-style JSON: a list of layer objects
/// `{"type": "Dense", "out_dim": 512, "W_std": 1.5, "b_std": 0.05, "parameterization": "ntk"}`,
/// `{"type": "Relu"}`, `{"type": "LeakyRelu", "args": [0.1]}`, … — the schema of `arch` in the
/// reference file mlp_kernels.json. Type names are stax's (`Dense`, `Relu`, `LeakyRelu`, `ABRelu`,
/// `Abs`, `Erf`, `Sigmoid_like`, `Gelu`, `Sin`, `Cos`, `Rbf`, `Gaussian`, `Exp`, `Sign`, `Monomial`,
/// `RectifiedMonomial`, `Polynomial`, `Hermite`, `Tanh`, `LayerNorm`, `Identity`); `args` are the
/// positional arguments of the stax constructor and keyword fields (`a`, `b`, `c`, `alpha`, `gamma`,
/// `degree`, `coef`) are accepted too.
public enum ArchitectureJSON {
    /// Decodes a layer list.
    /// - Throws: `NTKError.parse` for malformed JSON, `.invalidLayer` for unknown types or bad arguments.
    public static func layers(from data: Data) throws -> [Layer] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw NTKError.parse(message: "not valid JSON (\(error.localizedDescription))", position: 0)
        }
        let list: [Any]
        if let l = object as? [Any] { list = l }
        else if let d = object as? [String: Any], let l = d["arch"] as? [Any] { list = l }
        else { throw NTKError.parse(message: "expected a JSON list of layers (or an object with an \"arch\" list)", position: 0) }
        return try list.enumerated().map { index, item in
            guard let fields = item as? [String: Any] else {
                throw NTKError.invalidLayer("layer \(index + 1) is not a JSON object")
            }
            return try layer(fields, index: index + 1)
        }
    }

    static func layer(_ f: [String: Any], index: Int) throws -> Layer {
        guard let type = f["type"] as? String else { throw NTKError.invalidLayer("layer \(index) has no \"type\"") }
        let args = (f["args"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
        func number(_ key: String, _ position: Int, default value: Double?) throws -> Double {
            if let v = f[key] as? NSNumber { return v.doubleValue }
            if position < args.count { return args[position] }
            if let value { return value }
            throw NTKError.invalidLayer("layer \(index) (\(type)) needs \(key)")
        }
        switch type.lowercased() {
        case "dense":
            let w = try number("W_std", 1, default: 1)
            let bias: Double?
            if f.keys.contains("b_std") { bias = (f["b_std"] as? NSNumber)?.doubleValue } else { bias = args.count > 2 ? args[2] : nil }
            let width = Int(try number("out_dim", 0, default: 512))
            let pString = (f["parameterization"] as? String) ?? "ntk"
            guard let p = Parameterization(rawValue: pString) else {
                throw NTKError.invalidLayer("layer \(index): parameterization must be 'ntk' or 'standard', got '\(pString)'")
            }
            return .dense(weightStd: w, biasStd: bias, width: width, parameterization: p)
        case "relu": return .activation(.relu)
        case "leakyrelu": return .activation(.leakyRelu(try number("alpha", 0, default: nil)))
        case "abrelu": return .activation(.abRelu(a: try number("a", 0, default: nil), b: try number("b", 1, default: nil)))
        case "abs": return .activation(.abs)
        case "erf":
            return .activation(.erf(a: try number("a", 0, default: 1), b: try number("b", 1, default: 1), c: try number("c", 2, default: 0)))
        case "sigmoid_like": return .activation(.sigmoidLike)
        case "gelu": return .activation(.gelu)
        case "sin":
            return .activation(.sin(a: try number("a", 0, default: 1), b: try number("b", 1, default: 1), c: try number("c", 2, default: 0)))
        case "cos":
            return .activation(.cos(a: try number("a", 0, default: 1), b: try number("b", 1, default: 1), c: try number("c", 2, default: 0)))
        case "rbf": return .activation(.rbf(gamma: try number("gamma", 0, default: 1)))
        case "gaussian": return .activation(.gaussian(a: try number("a", 0, default: 1), b: try number("b", 1, default: -1)))
        case "exp": return .activation(.exp(a: try number("a", 0, default: 1), b: try number("b", 1, default: 1)))
        case "sign": return .activation(.sign)
        case "monomial": return .activation(.monomial(try integer(number("degree", 0, default: nil), "degree", index)))
        case "rectifiedmonomial": return .activation(.rectifiedMonomial(try integer(number("degree", 0, default: nil), "degree", index)))
        case "polynomial":
            let coef = (f["coef"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? args
            return .activation(.polynomial(coef))
        case "hermite": return .activation(.hermite(try integer(number("degree", 0, default: nil), "degree", index)))
        case "tanh": return .activation(.tanh)
        case "layernorm": return .layerNorm
        case "identity": return .identity
        default:
            throw NTKError.invalidLayer("layer \(index): unknown type '\(type)' (known: Dense, Relu, LeakyRelu, ABRelu, Abs, Erf, Sigmoid_like, Gelu, Sin, Cos, Rbf, Gaussian, Exp, Sign, Monomial, RectifiedMonomial, Polynomial, Hermite, Tanh, LayerNorm, Identity)")
        }
    }

    private static func integer(_ x: Double, _ name: String, _ index: Int) throws -> Int {
        guard x == x.rounded(), abs(x) < 1e6 else { throw NTKError.invalidLayer("layer \(index): \(name) must be an integer, got \(x)") }
        return Int(x)
    }
}
