import Foundation
import KernelKitLinalg

/// A finite-width fully connected network with random Gaussian parameters — the object whose
/// kernels converge to the infinite-width NNGP and NTK as the width grows (Jacot et al. 2018,
/// Theorem 1 and Fig. 1).
///
/// Layers are `.dense` and `.activation` only (in any order, starting with Dense, ending with the
/// readout Dense whose width is the number of outputs; only the first output is used for kernels).
/// Parameterizations as in `Parameterization`.
public struct FiniteWidthNetwork: Sendable {
    struct DenseLayer: Sendable {
        var weights: Matrix      // n_out × n_in, entries N(0, 1)
        var bias: Vector?        // n_out, entries N(0, 1)
        let weightStd: Double
        let biasStd: Double
        let parameterization: Parameterization
        /// Multiplier of W x in the forward pass: σ_w/√n_in (ntk) or σ_w/√n_in folded into W's
        /// initial variance (standard) — both give the same forward function at initialisation.
        var weightScale: Double { weightStd / Double(weights.columns).squareRoot() }
        var biasScale: Double { biasStd }
    }
    enum Step: Sendable {
        case dense(DenseLayer)
        case activation(Activation)
    }
    var steps: [Step]
    /// Input dimension d.
    public let inputDimension: Int

    init(steps: [Step], inputDimension: Int) {
        self.steps = steps
        self.inputDimension = inputDimension
    }

    /// Draws a network with the architecture `layers` for inputs of dimension `inputDimension`.
    /// - Throws: `NTKError.invalidLayer` for layers other than Dense and activations.
    public init(_ layers: [Layer], inputDimension: Int, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var width = inputDimension
        var steps: [Step] = []
        func flatten(_ l: Layer) throws -> [Layer] {
            if case let .serial(ls) = l { return try ls.flatMap(flatten) }
            return [l]
        }
        for layer in try layers.flatMap(flatten) {
            switch layer {
            case let .dense(w, b, out, p):
                let weights = rng.normalMatrix(rows: out, columns: width)
                let bias = b.map { _ in rng.normalVector(count: out) }
                steps.append(.dense(DenseLayer(weights: weights, bias: bias, weightStd: w, biasStd: b ?? 0, parameterization: p)))
                width = out
            case let .activation(a):
                try a.validate()
                steps.append(.activation(a))
            default:
                throw NTKError.invalidLayer("finite-width networks support dense layers and activations only, not \(layer)")
            }
        }
        guard case .dense = steps.last else { throw NTKError.invalidLayer("a finite-width network must end with a dense readout layer") }
        self.steps = steps
        self.inputDimension = inputDimension
    }

    /// Outputs f(x) for each row of `x` (n × n_out). O(n · Σ n_in n_out).
    public func callAsFunction(_ x: Matrix) -> Matrix {
        var h = x.transposed  // features × n: points are columns
        for step in steps {
            switch step {
            case let .dense(l):
                var z = Matrix(rows: l.weights.rows, columns: h.columns)
                if let b = l.bias {
                    for j in 0..<z.columns { for i in 0..<z.rows { z[i, j] = l.biasScale * b[i] } }
                }
                BLAS.gemm(.none, .none, alpha: l.weightScale, l.weights, h, beta: 1, &z)
                h = z
            case let .activation(a):
                h = h.map(a.value)
            }
        }
        return h.transposed
    }

    /// The empirical NTK of the first output, Θ(x, x′) = Σ_p ∂f(x)/∂p · ∂f(x′)/∂p, and the empirical
    /// NNGP of the readout, σ_w²·h_L(x)·h_L(x′)/n_L + σ_b² (the last hidden layer's feature kernel).
    ///
    /// For each Dense layer l with input activations H_{l−1} (n × n_in) and back-propagated
    /// sensitivities Δ_l = ∂f/∂z_l (n × n_out), its parameters contribute
    /// (Δ_l Δ_lᵀ) ∘ (c_l² H_{l−1} H_{l−1}ᵀ + s_l²) — the Jacobian contraction done by two syrk/gemm
    /// calls per layer, never forming the n × P Jacobian. c_l, s_l are the derivatives of z_l with
    /// respect to the trained parameters: σ_w/√n_in and σ_b (ntk) or 1 and 1 (standard, where W and b are
    /// trained directly). Cost O(n² Σ(n_in + n_out) + n Σ n_in n_out).
    public func empiricalKernels(_ x: Matrix) throws -> NeuralKernels {
        guard x.columns == inputDimension else {
            throw NTKError.shapeMismatch("inputs have \(x.columns) features, the network expects \(inputDimension)")
        }
        guard x.isFinite else { throw NTKError.nonFinite("input") }
        let n = x.rows
        // Forward pass, keeping each Dense layer's input and each activation's pre-activation.
        var inputs: [Matrix] = []       // per Dense: n × n_in (rows = points)
        var preActivations: [Matrix] = []  // per activation: n × width
        var h = x
        for step in steps {
            switch step {
            case let .dense(l):
                inputs.append(h)
                var z = Matrix(rows: n, columns: l.weights.rows)
                if let b = l.bias {
                    for j in 0..<z.columns { for i in 0..<n { z[i, j] = l.biasScale * b[j] } }
                }
                BLAS.gemm(.none, .transpose, alpha: l.weightScale, h, l.weights, beta: 1, &z)
                h = z
            case let .activation(a):
                preActivations.append(h)
                h = h.map(a.value)
            }
        }
        // Backward pass for output 0: δ = ∂f₀/∂z, starting at the readout (e₀ for every point).
        var delta = Matrix(rows: n, columns: h.columns)
        for i in 0..<n { delta[i, 0] = 1 }
        var theta = Matrix(rows: n, columns: n)
        var nngp = Matrix(rows: n, columns: n)
        var denseIndex = inputs.count, activationIndex = preActivations.count
        var isReadout = true
        for step in steps.reversed() {
            switch step {
            case let .dense(l):
                denseIndex -= 1
                let input = inputs[denseIndex]
                let (c, s): (Double, Double) = l.parameterization == .ntk
                    ? (l.weightScale, l.bias == nil ? 0 : l.biasStd)
                    : (1, l.bias == nil ? 0 : 1)
                var features = Matrix(rows: n, columns: n)
                BLAS.syrk(.lower, .none, alpha: c * c, input, &features)
                features.symmetrizeFromLower()
                for i in features.storage.indices { features.storage[i] += s * s }
                let sensitivity = BLAS.gram(delta)
                theta = theta + sensitivity.hadamard(features)
                if isReadout {
                    var k = Matrix(rows: n, columns: n)
                    BLAS.syrk(.lower, .none, alpha: l.weightScale * l.weightScale, input, &k)
                    k.symmetrizeFromLower()
                    let b2 = l.bias == nil ? 0 : l.biasStd * l.biasStd
                    for i in k.storage.indices { k.storage[i] += b2 }
                    nngp = k
                    isReadout = false
                }
                // δ_{l−1} = c_fwd · δ_l W (then ∘ φ′ at the activation below)
                var back = Matrix(rows: n, columns: l.weights.columns)
                BLAS.gemm(.none, .none, alpha: l.weightScale, delta, l.weights, &back)
                delta = back
            case let .activation(a):
                activationIndex -= 1
                let z = preActivations[activationIndex]
                delta = delta.hadamard(z.map(a.derivative))
            }
        }
        return NeuralKernels(nngp: nngp, ntk: theta)
    }

    /// Full-batch gradient descent on the MSE loss L = (1/2N)‖f(X) − Y‖² (N = number of targets, the
    /// scaling of neural-tangents' `gradient_descent_mse`), updating the trained parameters of
    /// every Dense layer in place: θ ← θ − η ∂L/∂θ, with θ the N(0,1) variables of the NTK
    /// parameterization or the weights and biases themselves in the standard one. For small η, `steps`
    /// steps approximate gradient flow up to time t = η·steps — the dynamics whose infinite-width
    /// limit `GradientDescentEnsemble` solves in closed form (Lee et al. 2019).
    /// Returns the loss before each step and after the last. Cost per step: two passes of
    /// O(n Σ n_in n_out) through BLAS.
    /// - Throws: `NTKError.shapeMismatch` for bad shapes, `.degenerate` if the loss becomes non-finite
    ///   (learning rate too large).
    @discardableResult
    public mutating func train(inputs x: Matrix, targets y: Matrix, learningRate: Double, steps iterations: Int) throws -> [Double] {
        guard x.columns == inputDimension else {
            throw NTKError.shapeMismatch("inputs have \(x.columns) features, the network expects \(inputDimension)")
        }
        guard case let .dense(readout) = self.steps.last!, y.rows == x.rows, y.columns == readout.weights.rows else {
            throw NTKError.shapeMismatch("targets must be \(x.rows) × (network outputs)")
        }
        guard x.isFinite, y.isFinite else { throw NTKError.nonFinite("training data") }
        precondition(learningRate > 0 && iterations >= 0)
        let n = x.rows, count = Double(y.rows * y.columns)
        var losses: [Double] = []
        for step in 0...iterations {
            // Forward pass, keeping what the backward pass needs.
            var inputs: [Matrix] = [], preActivations: [Matrix] = []
            var h = x
            for layer in self.steps {
                switch layer {
                case let .dense(l):
                    inputs.append(h)
                    var z = Matrix(rows: n, columns: l.weights.rows)
                    if let b = l.bias { for j in 0..<z.columns { for i in 0..<n { z[i, j] = l.biasScale * b[j] } } }
                    BLAS.gemm(.none, .transpose, alpha: l.weightScale, h, l.weights, beta: 1, &z)
                    h = z
                case let .activation(a):
                    preActivations.append(h)
                    h = h.map(a.value)
                }
            }
            let residual = h - y
            let loss = residual.storage.reduce(0) { $0 + $1 * $1 } / (2 * count)
            guard loss.isFinite else { throw NTKError.degenerate("training diverged at step \(step) (learning rate \(learningRate) too large?)") }
            losses.append(loss)
            if step == iterations { break }
            // Backward pass: δ = ∂L/∂z for each layer's output, starting from (f − y)/N.
            var delta = (1 / count) * residual
            var denseIndex = inputs.count, activationIndex = preActivations.count
            for index in self.steps.indices.reversed() {
                var layer = self.steps[index]
                guard case .dense(var l) = layer else {
                    if case let .activation(a) = layer {
                        activationIndex -= 1
                        delta = delta.hadamard(preActivations[activationIndex].map(a.derivative))
                    }
                    continue
                }
                denseIndex -= 1
                var back = Matrix(rows: n, columns: l.weights.columns)
                BLAS.gemm(.none, .none, alpha: l.weightScale, delta, l.weights, &back)
                // ∂L/∂W_eff = δᵀ H; the trained variable is W (ntk: W_eff = c·W) or W_eff (standard).
                var gradient = Matrix(rows: l.weights.rows, columns: l.weights.columns)
                BLAS.gemm(.transpose, .none, delta, inputs[denseIndex], &gradient)
                let c = l.weightScale
                let rate = l.parameterization == .ntk ? learningRate * c : learningRate / c
                for k in l.weights.storage.indices { l.weights.storage[k] -= rate * gradient.storage[k] }
                if var b = l.bias, l.biasStd > 0 {
                    let rateB = l.parameterization == .ntk ? learningRate * l.biasStd : learningRate / l.biasStd
                    for j in b.indices {
                        var g = 0.0
                        for i in 0..<n { g += delta[i, j] }
                        b[j] -= rateB * g
                    }
                    l.bias = b
                }
                layer = .dense(l)
                self.steps[index] = layer
                delta = back
            }
        }
        return losses
    }
}
