/// How a Dense layer's weights are scaled (neural-tangents' `parameterization`).
///
/// - `ntk`: z = (σ_w/√n_in)·W x + σ_b·b with W, b ~ N(0, 1) trained directly (Jacot et al. 2018).
///   Kernel update K ← σ_w²K + σ_b², Θ ← K_new + σ_w²Θ; the width does not enter.
/// - `standard`: z = W x + b with W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²) trained directly
///   (Sohl-Dickstein et al. 2020). Same NNGP; Θ ← n_in·K_old + σ_w²Θ + 1[bias], so widths matter.
public enum Parameterization: String, Sendable, Codable {
    case ntk
    case standard
}

/// One layer of an infinitely wide network, as a pure map of the kernel record (NNGP, NTK and
/// per-point variances) — the `stax` design of neural-tangents (Novak et al. 2020). A network is
/// `.serial([...])`; residual blocks are `.parallelSum([.identity, .serial([...])])`.
public indirect enum Layer: Sendable, CustomStringConvertible {
    /// Fully connected layer with weight std σ_w, bias std σ_b (nil: no bias) and output width
    /// (used by the standard parameterization only).
    case dense(weightStd: Double, biasStd: Double?, width: Int, parameterization: Parameterization)
    /// Elementwise nonlinearity.
    case activation(Activation)
    /// Layer normalisation over features: K₁₂ ← K₁₂/√(K₁₁K₂₂), Θ₁₂ ← Θ₁₂/√(K₁₁K₂₂).
    case layerNorm
    /// Identity map (a skip connection inside `parallelSum`).
    case identity
    /// Layers applied one after another.
    case serial([Layer])
    /// Fan-out to independent branches, then fan-in by summation (K and Θ add).
    case parallelSum([Layer])

    /// `Dense` in NTK parameterization with bias (b_std = nil for none), as `stax.Dense(width, W_std, b_std)`.
    public static func dense(_ weightStd: Double, _ biasStd: Double? = 0, width: Int = 512,
                             parameterization: Parameterization = .ntk) -> Layer {
        .dense(weightStd: weightStd, biasStd: biasStd, width: width, parameterization: parameterization)
    }

    /// A residual block x ↦ x + f(x).
    public static func residual(_ branch: Layer) -> Layer { .parallelSum([.identity, branch]) }

    public var description: String {
        switch self {
        case let .dense(w, b, width, p):
            let bias = b.map { ",\($0)" } ?? ""
            return p == .ntk ? "dense(\(w)\(bias))" : "dense(\(w)\(bias.isEmpty ? ",none" : bias),\(width))"
        case let .activation(a): return a.description
        case .layerNorm: return "layer_norm"
        case .identity: return "identity"
        case let .serial(layers): return layers.map(\.description).joined(separator: ",")
        case let .parallelSum(branches): return "parallel(" + branches.map { "[\($0)]" }.joined(separator: ",") + ")"
        }
    }

    /// Checks every parameter of the architecture once, before any computation.
    func validate() throws {
        switch self {
        case let .dense(w, b, width, _):
            guard w.isFinite, b?.isFinite ?? true else { throw NTKError.invalidLayer("dense standard deviations must be finite") }
            guard width > 0 else { throw NTKError.invalidLayer("dense width must be positive, got \(width)") }
        case let .activation(a): try a.validate()
        case .layerNorm, .identity: return
        case let .serial(layers): for l in layers { try l.validate() }
        case let .parallelSum(branches):
            guard !branches.isEmpty else { throw NTKError.invalidLayer("parallel needs at least one branch") }
            for l in branches { try l.validate() }
        }
    }
}
