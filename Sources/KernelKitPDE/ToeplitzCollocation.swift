import Foundation
import KernelKitLinalg

/// GP collocation on a very fine uniform 1-D grid (N ≈ 1e4 … 1e6) without any N × N matrix: the
/// minimiser of the same objective as `GPCollocation`,
///   J(u) = ½ uᵀK⁻¹u + (w_bc/2) ‖S u − g‖² + (w_eq/2) ‖E(u) − f‖²,
/// with K = [k(xᵢ − xⱼ)] + εI, E(u) = a D₂u + b D₁u + c u + γ u³, D₂ = K₂K⁻¹, D₁ = K₁K⁻¹ (GP-HM,
/// Fang et al., ICLR 2024), through Toeplitz structure and FFTs.
///
/// Method. A stationary kernel on a uniform grid makes K, K₁ = [k′(xᵢ − xⱼ)] and K₂ = [k″(xᵢ − xⱼ)]
/// Toeplitz: products cost O(N log N) by circulant embedding (length L = fastLength(2N − 1)).
/// - The kernel's eigenspace: a fine grid oversamples the kernel, so K₀ = K − εI has only r ≪ N
///   eigenvalues above τε (τ = `eigenspaceThreshold`); `ToeplitzEigenspace` finds them (randomized
///   range finder + Rayleigh–Ritz, 2r FFT products and an N × r SVD). Ĝ = Q(D + εI)⁻¹Qᵀ + (I − QQᵀ)/ε
///   is then K⁻¹ to relative accuracy ≈ τ.
/// - K⁻¹ is applied by the Gohberg–Semencul formula K⁻¹ = (L(x)L(x)ᵀ − L(x̃)L(x̃)ᵀ)/x₀, x = K⁻¹e₀,
///   x̃ = (0, x_{N−1}, …, x₁), L(v) the lower-triangular Toeplitz matrix with first column v (six FFTs),
///   followed by `refinementSteps` steps of iterative refinement y ← y + Ĝ(v − Ky): the formula alone
///   is not backward stable (its error is ≈ 1e-8 relative for cond K ≈ 1e10), each Ĝ step contracts
///   the error by ≈ τ down to that of a residual-based solve. x is computed once by PCG on K
///   preconditioned by Ĝ (to ‖r‖ ≤ 1e-14 ‖e₀‖; 3–4 iterations at N = 2e4…1e5).
/// - The minimiser solves the normal equations in u (the formulation of `GPCollocation`),
///   (K⁻¹ + w_bc SᵀS + w_eq AᵀA) u = w_bc Sᵀg + w_eq Aᵀs,  A = (a K₂ + b K₁) K⁻¹ + diag(d),
///   (d = c, s = f for a linear PDE), by PCG (`ConjugateGradient.solve`), two K⁻¹ per iteration,
///   preconditioned by the eigenspace (`CollocationPreconditioner`), and restarted from the
///   recomputed residual b − Hu (at most `maximumRestarts` times, while it decreases): the reported
///   residual is the true one, not PCG's recursive estimate, which drifts below it.
/// - A cubic term (Allen–Cahn) is handled by Gauss–Newton with this solve inside (`GPCollocation`'s
///   rule).
/// Cost per PCG iteration ≈ 2·(6 + 2·refinementSteps) + 4 FFTs of length L and ≈ 4(refinementSteps + 1)
/// products with the N × r basis: O(N log N + N r) time, O(N r) memory.
///
/// Why not the "natural" substitution u = Kα, whose normal matrix K + w_eq BᵀB (B = aK₂ + bK₁) needs
/// no inverse: that matrix is K H_u K, so its condition number is cond(K)²·cond(H_u) ≳ 1e19 already
/// at N = 400; in double precision its products lose the jitter-scale directions entirely and PCG
/// (measured: T. Chan or symbol circulant, Woodbury boundary) diverges or needs ≫ 1000 iterations.
///
/// Conditioning caveats. cond(K) ≈ λ_max/ε grows like 1/h (≈ 1e9…1e10 at N = 1e5 for the benchmark
/// kernels), and the products with H carry a relative error floor that grows with it (measured true
/// residual floors 1e-9 at N = 2e4 to 1e-8…3e-5 at N = 1e5, depending on the learned kernel): below
/// it no solver of these normal equations can go, and with w_bc = 1e6 against an equation term that
/// grows like N the boundary data sit near that floor. `ToeplitzCollocationSolution.converged` is false
/// when the tolerance was not reached. Measured against the dense solve at N = 400 (`kernelkit-bench
/// pde-fine check`): the same agreement as the previous circulant preconditioner (4e-7 for w_eq = 1),
/// with 3–15 instead of 40–3000 iterations.
///
/// Sources: I. Gohberg and A. Semencul (1972); R. H. Chan and M. K. Ng, "Conjugate gradient methods
/// for Toeplitz systems", SIAM Review 38(3), 1996; Golub & Van Loan, Matrix Computations, 4th ed., §4.7.
public struct ToeplitzCollocation: Sendable {
    /// The uniform grid x₀ … x_{N−1}.
    public let grid: UniformGrid
    /// The stationary kernel.
    public let kernel: SpectralMixtureKernel
    /// The jitter ε added to K's diagonal (not to K₁, K₂), as in `AxisOperators`.
    public let jitter: Double
    /// Iterative-refinement steps y ← y + Ĝ(v − Ky) after the Gohberg–Semencul formula in each K⁻¹.
    public let refinementSteps: Int
    /// PCG iterations spent computing x = K⁻¹e₀ at construction.
    public let setupIterations: Int
    let embedding: ToeplitzEmbedding
    /// Embedding spectra of K (with jitter), K₁, K₂ and of the Gohberg–Semencul factors L(x), L(x̃).
    let spectrumK: ComplexVector, spectrumK1: ComplexVector, spectrumK2: ComplexVector
    let spectrumL1: ComplexVector, spectrumL2: ComplexVector
    let firstInverseEntry: Double
    /// K₀'s eigenspace above τε (`eigenspaceThreshold`), the basis of both preconditioners.
    let eigenspace: ToeplitzEigenspace

    /// τ: eigenvalues of K₀ below τε are treated as zero by the preconditioners (not by the solution,
    /// which is exact). 1e-4: the relative error of the preconditioner in the discarded directions is
    /// ≤ τ, and that of the equation term there ≈ w_eq ω⁴τ²ε (≤ 1e-3 for ω ≤ 500 rad/unit, w_eq = 1,
    /// ε = 1e-6); smaller τ enlarges r (Szegő counts at N = 1e5 for the benchmark kernels: 70–310 at
    /// τ = 1e-4, up to 1300 at τ = 1e-6).
    static let eigenspaceThreshold = 1e-4

    /// r, the dimension of the kernel's eigenspace kept by the preconditioners.
    public var eigenspaceDimension: Int { eigenspace.dimension }

    /// Restarts of PCG from the recomputed residual in `solve`.
    static let maximumRestarts = 6
    /// Tabulates the kernel at the N lags, transforms the Toeplitz generators, finds the kernel's
    /// eigenspace and computes K⁻¹e₀. O(N Q + r L log L + N r²) plus one PCG solve with K (a few iterations).
    /// - Throws: `PDEError.invalidProblem` for jitter ≤ 0 or refinementSteps < 0; `PDEError.nonFinite` for
    ///   kernel values that are not finite; `PDEError.solverFailed` when K⁻¹e₀ cannot be computed to
    ///   ‖r‖ ≤ 1e-10 (K numerically singular: raise the jitter).
    public init(grid: UniformGrid, kernel: SpectralMixtureKernel, jitter: Double = 1e-6, refinementSteps: Int = 2) throws {
        guard jitter > 0 && jitter.isFinite else {
            throw PDEError.invalidProblem("the jitter must be positive and finite, got \(jitter)")
        }
        guard refinementSteps >= 0 else { throw PDEError.invalidProblem("refinementSteps must be ≥ 0, got \(refinementSteps)") }
        let n = grid.count, h = grid.spacing
        var v = [Double](repeating: 0, count: n), d1 = v, d2 = v
        for l in 0..<n {
            let k = kernel.derivatives(at: Double(l) * h)
            v[l] = k.value
            d1[l] = k.first
            d2[l] = k.second
        }
        guard v.allSatisfy(\.isFinite) && d1.allSatisfy(\.isFinite) && d2.allSatisfy(\.isFinite) else {
            throw PDEError.nonFinite("kernel values on the grid (parameters out of range)")
        }
        let e = ToeplitzEmbedding(order: n)
        var withJitter = v
        withJitter[0] += jitter
        let sK = e.spectrum(column: withJitter, row: withJitter)
        // The periodised symbol λ_K(ξⱼ) = (1/h) Σₘ S(ξⱼ + m/h) + ε on the rfft bins ξⱼ = j/(Nh) (Poisson
        // summation; aliases summed until they fall below 1e-3 ε), for the Szegő estimate of r.
        let bins = n / 2 + 1
        var lambdaK = [Double](repeating: jitter, count: bins)
        for m in 0..<64 {
            var largest = 0.0
            for shift in m == 0 ? [0] : [m, -m] {
                for j in 0..<bins {
                    let density = kernel.spectralDensity(Double(j) / (Double(n) * h) + Double(shift) / h) / h
                    lambdaK[j] += density
                    largest = Swift.max(largest, density)
                }
            }
            if m > 0 && largest <= 1e-3 * jitter { break }
        }
        guard lambdaK.allSatisfy(\.isFinite) else {
            throw PDEError.nonFinite("the kernel's spectral density on the grid's frequencies")
        }
        let sK0 = e.spectrum(column: v, row: v)
        let space = try ToeplitzEigenspace(
            count: n, estimatedDimension: ToeplitzEigenspace.estimatedDimension(
                symbol: lambdaK, count: n, jitter: jitter, relativeThreshold: Self.eigenspaceThreshold),
            threshold: Self.eigenspaceThreshold * jitter, applyKernel: { e.apply([.init(sK0, e.transform($0))]) })
        // x = K⁻¹e₀ by PCG preconditioned with Q(D + εI)⁻¹Qᵀ + (I − QQᵀ)/ε.
        var e0 = [Double](repeating: 0, count: n)
        e0[0] = 1
        let first: ConjugateGradient.Result
        do {
            first = try ConjugateGradient.solve(
                Vector(e0), relativeTolerance: 1e-14, maxIterations: 2000,
                onNonConvergence: .returnLastIterate,
                preconditioner: { Vector(space.approximateInverse($0.elements, jitter: jitter)) },
                matrixVectorProduct: { Vector(e.apply([.init(sK, e.transform($0.elements))])) })
        } catch {
            throw PDEError.solverFailed("solving K x = e₀ (N = \(n)) failed: \(error); raise the jitter")
        }
        guard first.relativeResidual <= 1e-10, first.solution[0] > 0 else {
            throw PDEError.solverFailed("K x = e₀ (N = \(n)) reached only relative residual \(first.relativeResidual) in \(first.iterations) PCG iterations; K is numerically singular, raise the jitter")
        }
        let x = first.solution.elements
        var shifted = [Double](repeating: 0, count: n)
        for i in 1..<n { shifted[i] = x[n - i] }
        let zeros = [Double](repeating: 0, count: n)
        self.grid = grid
        self.kernel = kernel
        self.jitter = jitter
        self.refinementSteps = refinementSteps
        self.setupIterations = first.iterations
        self.embedding = e
        self.spectrumK = sK
        self.spectrumK1 = e.spectrum(column: d1, row: d1.map { -$0 })
        self.spectrumK2 = e.spectrum(column: d2, row: d2)
        self.spectrumL1 = e.spectrum(column: x, row: zeros)
        self.spectrumL2 = e.spectrum(column: shifted, row: zeros)
        self.firstInverseEntry = x[0]
        self.eigenspace = space
    }

    /// The number of grid points N.
    public var count: Int { grid.count }

    /// K v (K with jitter). O(N log N).
    public func applyGram(_ v: [Double]) -> [Double] {
        precondition(v.count == count, "applyGram: \(v.count) values for \(count) grid points")
        return embedding.apply([.init(spectrumK, embedding.transform(v))])
    }

    /// K⁻¹ v: the Gohberg–Semencul formula followed by `refinementSteps` refinement steps (see the type's
    /// documentation). O(N log N); accuracy that of a residual-based solve, ≈ ε_mach · cond(K) relative.
    public func applyInverseGram(_ v: [Double]) -> [Double] {
        precondition(v.count == count, "applyInverseGram: \(v.count) values for \(count) grid points")
        var y = gohbergSemencul(v)
        for _ in 0..<refinementSteps {
            let ky = applyGram(y)
            let correction = applyApproximateInverseGram((0..<count).map { v[$0] - ky[$0] })
            for i in 0..<count { y[i] += correction[i] }
        }
        return y
    }

    /// Ĝr = Q(D + εI)⁻¹Qᵀr + (I − QQᵀ)r/ε, K⁻¹ to relative accuracy ≈ τ from the kernel's eigenspace
    /// (Q, D). 4Nr + O(N) flops.
    func applyApproximateInverseGram(_ r: [Double]) -> [Double] {
        eigenspace.approximateInverse(r, jitter: jitter)
    }

    /// (L(x)L(x)ᵀ − L(x̃)L(x̃)ᵀ) v / x₀ with six FFTs.
    private func gohbergSemencul(_ v: [Double]) -> [Double] {
        let e = embedding
        let vHat = e.transform(v)
        let a1 = e.apply([.init(spectrumL1, vHat, transpose: true)])
        let a2 = e.apply([.init(spectrumL2, vHat, transpose: true)])
        let scale = 1 / firstInverseEntry
        return e.apply([.init(spectrumL1, e.transform(a1), coefficient: scale),
                        .init(spectrumL2, e.transform(a2), coefficient: -scale)])
    }

    /// The derivative part (a K₂ + b K₁) v. O(N log N).
    private func applyDerivativeCovariance(_ op: DifferentialOperator, _ v: [Double], transpose: Bool = false) -> [Double] {
        let vHat = embedding.transform(v)
        var terms: [ToeplitzEmbedding.Term] = []
        if op.secondOrder[0] != 0 { terms.append(.init(spectrumK2, vHat, coefficient: op.secondOrder[0], transpose: transpose)) }
        if op.firstOrder[0] != 0 { terms.append(.init(spectrumK1, vHat, coefficient: op.firstOrder[0], transpose: transpose)) }
        return terms.isEmpty ? [Double](repeating: 0, count: count) : embedding.apply(terms)
    }

    /// E(u) = a D₂u + b D₁u + c u + γ u³ at the grid points, with α = K⁻¹u given. O(N log N).
    func applyOperator(_ op: DifferentialOperator, _ u: [Double], coefficients alpha: [Double]) -> [Double] {
        var y = applyDerivativeCovariance(op, alpha)
        for i in 0..<count { y[i] += op.linear * u[i] + op.cubic * u[i] * u[i] * u[i] }
        return y
    }

    /// J(u) for the problem and weights (see the type's documentation). O(N log N).
    public func objective(_ problem: PDEProblem, _ u: [Double], weights: CollocationWeights) -> Double {
        objective(problem, u, coefficients: applyInverseGram(u), weights: weights)
    }

    func objective(_ problem: PDEProblem, _ u: [Double], coefficients alpha: [Double], weights: CollocationWeights) -> Double {
        let e = applyOperator(problem.equation, u, coefficients: alpha)
        var prior = 0.0, equation = 0.0
        for i in 0..<count {
            prior += u[i] * alpha[i]
            equation += (e[i] - problem.source[i]) * (e[i] - problem.source[i])
        }
        let g = problem.boundaryValues
        let boundary = (u[0] - g[0]) * (u[0] - g[0]) + (u[count - 1] - g[1]) * (u[count - 1] - g[1])
        return 0.5 * prior + 0.5 * weights.boundary * boundary + 0.5 * weights.equation * equation
    }

    /// The GP mean m(x) = k(x, X) K⁻¹u = Σⱼ αⱼ k(x − xⱼ) at arbitrary points of the domain, for
    /// α = K⁻¹u (`ToeplitzCollocationSolution.coefficients`).
    ///
    /// When the grid oversamples the kernel's spectrum at least 16-fold (h ≤ 1/(16 ξ_b), ξ_b the
    /// frequency beyond which every component's spectral density is below ≈ 1e-10 of its peak:
    /// |μ| + 7σ for a Gaussian spectrum of standard deviation σ = √(a/2)/π, |μ| + 50ρ for the
    /// Student-t spectrum of scale ρ = √5 b/(2π)), m is evaluated by 12-point Lagrange interpolation of
    /// its grid values K₀α = u − εα (truncation error ≲ (2πξ_b h)¹²/12! ≈ 3e-15 of m's spectral
    /// amplitude); otherwise by the direct sum. Cost O(N log N + M), or O(M N Q) for the direct sum.
    public func predict(coefficients alpha: [Double], at points: [Double]) -> [Double] {
        precondition(alpha.count == count, "predict: \(alpha.count) coefficients for \(count) grid points")
        if grid.spacing * 16 * kernelBandwidth > 1 {
            let x = grid.points
            return points.map { p in
                var s = 0.0
                for j in 0..<count { s += alpha[j] * kernel.derivatives(at: p - x[j]).value }
                return s
            }
        }
        var mean = applyGram(alpha)
        for i in 0..<count { mean[i] -= jitter * alpha[i] }
        return points.map { lagrangeInterpolate(mean, at: $0) }
    }

    /// ξ_b: the frequency (cycles per unit) beyond which every component's spectral density is below
    /// ≈ 1e-10 of its peak (see `predict`).
    var kernelBandwidth: Double {
        kernel.components.map { c in
            switch kernel.family {
            case .gaussian: return abs(c.frequency) + 7 * (c.rate / 2).squareRoot() / Double.pi
            case .studentT: return abs(c.frequency) + 50 * 5.0.squareRoot() * c.rate / (2 * Double.pi)
            }
        }.max() ?? 0
    }

    /// 12-point equispaced Lagrange interpolation (barycentric form) of grid values at x, on the
    /// 12 consecutive grid points around x (shifted inside at the ends).
    private func lagrangeInterpolate(_ y: [Double], at x: Double) -> Double {
        let p = Swift.min(12, count)
        let t = (x - grid.lower) / grid.spacing
        let start = Swift.max(0, Swift.min(count - p, Int(t.rounded(.down)) - p / 2 + 1))
        var weight = 1.0, numerator = 0.0, denominator = 0.0
        // Barycentric weights for equispaced nodes: (−1)^k C(p−1, k).
        for k in 0..<p {
            if k > 0 { weight *= -Double(p - k) / Double(k) }
            let offset = t - Double(start + k)
            if offset == 0 { return y[start + k] }
            let c = weight / offset
            numerator += c * y[start + k]
            denominator += c
        }
        return numerator / denominator
    }

    /// Minimise J for a 1-D problem on this grid: one PCG solve for a linear operator, Gauss–Newton
    /// (the rule of `GPCollocation.solve`: halving line search, stop when ‖Δu‖ ≤ 1e-10 ‖u‖ or J decreases
    /// by ≤ 1e-12 |J|, at most 100 iterations) for a cubic term.
    ///
    /// - Parameters:
    ///   - tolerance: PCG stops at ‖b − H u‖₂ ≤ tolerance · ‖b‖₂ (recursive residual).
    ///   - maxIterations: PCG budget per linear solve.
    ///   - initialGuess: u to start from (e.g. a previous solution); zero when nil.
    /// - Throws: `PDEError.invalidProblem` for a problem on another grid or of another dimension;
    ///   `PDEError.solverFailed` when PCG does not converge or meets a non-positive curvature.
    public func solve(_ problem: PDEProblem, weights: CollocationWeights, tolerance: Double = 1e-10,
                      maxIterations: Int = 5000, initialGuess: [Double]? = nil) throws -> ToeplitzCollocationSolution {
        guard problem.grid.dimension == 1, problem.grid.axes[0] == grid else {
            throw PDEError.invalidProblem("the problem's grid (\(problem.grid.shape.map(String.init).joined(separator: " x "))) is not this 1-D grid of \(count) points on [\(grid.lower), \(grid.upper)]")
        }
        precondition(tolerance > 0 && maxIterations > 0, "solve: tolerance and maxIterations must be positive")
        if let u0 = initialGuess { precondition(u0.count == count, "solve: the initial guess has the wrong length") }
        let op = problem.equation
        if op.isLinear {
            let (u, iterations, residual) = try solveLinear(op, diagonal: [Double](repeating: op.linear, count: count),
                                                            source: problem.source, boundaryValues: problem.boundaryValues,
                                                            weights: weights, tolerance: tolerance,
                                                            maxIterations: maxIterations, initial: initialGuess)
            let alpha = applyInverseGram(u)
            return ToeplitzCollocationSolution(values: u, coefficients: alpha,
                                               objective: objective(problem, u, coefficients: alpha, weights: weights),
                                               conjugateGradientIterations: iterations, gaussNewtonIterations: 0,
                                               relativeResidual: residual, converged: residual <= tolerance)
        }
        return try gaussNewton(problem, weights: weights, tolerance: tolerance, maxIterations: maxIterations,
                               initial: initialGuess)
    }

    /// Gauss–Newton on J: r(u) = E(u) − f linearised at u, J_r = A + diag(c + 3γu²), whose linear
    /// objective has the source J_r u − r(u) = f + 2γu³.
    func gaussNewton(_ problem: PDEProblem, weights: CollocationWeights, tolerance: Double, maxIterations: Int,
                     initial: [Double]?) throws -> ToeplitzCollocationSolution {
        let op = problem.equation
        let n = count
        var u = initial ?? [Double](repeating: 0, count: n)
        var alpha = applyInverseGram(u)
        var value = objective(problem, u, coefficients: alpha, weights: weights)
        var cgIterations = 0
        var residual = 0.0
        func result(_ iterations: Int, _ converged: Bool) -> ToeplitzCollocationSolution {
            ToeplitzCollocationSolution(values: u, coefficients: alpha, objective: value,
                                        conjugateGradientIterations: cgIterations, gaussNewtonIterations: iterations,
                                        relativeResidual: residual, converged: converged)
        }
        for iteration in 1...100 {
            let diagonal = u.map { op.linear + 3 * op.cubic * $0 * $0 }
            let source = (0..<n).map { problem.source[$0] + 2 * op.cubic * u[$0] * u[$0] * u[$0] }
            let (candidate, iterations, relative) = try solveLinear(op, diagonal: diagonal, source: source,
                                                                    boundaryValues: problem.boundaryValues, weights: weights,
                                                                    tolerance: tolerance, maxIterations: maxIterations,
                                                                    initial: u)
            cgIterations += iterations
            residual = relative
            var step = 1.0, accepted = false
            var trial = candidate
            var trialAlpha = applyInverseGram(trial)
            var trialValue = objective(problem, trial, coefficients: trialAlpha, weights: weights)
            for _ in 0..<30 {
                if trialValue.isFinite && trialValue <= value { accepted = true; break }
                step /= 2
                trial = (0..<n).map { u[$0] + step * (candidate[$0] - u[$0]) }
                trialAlpha = applyInverseGram(trial)
                trialValue = objective(problem, trial, coefficients: trialAlpha, weights: weights)
            }
            guard accepted else { return result(iteration, false) }
            var change = 0.0, size = 0.0
            for i in 0..<n { change += (trial[i] - u[i]) * (trial[i] - u[i]); size += trial[i] * trial[i] }
            let stalled = value - trialValue <= 1e-12 * Swift.max(abs(value), 1)
            u = trial
            alpha = trialAlpha
            value = trialValue
            if change <= 1e-20 * size || stalled { return result(iteration, true) }
        }
        return result(100, false)
    }

    /// Solves (K⁻¹ + w_bc SᵀS + w_eq AᵀA) u = w_bc Sᵀg + w_eq Aᵀs, A = (aK₂ + bK₁)K⁻¹ + diag(d), by PCG.
    /// Returns u, the iteration count and the final relative residual.
    func solveLinear(_ op: DifferentialOperator, diagonal d: [Double], source: [Double], boundaryValues g: [Double],
                     weights: CollocationWeights, tolerance: Double, maxIterations: Int,
                     initial: [Double]?) throws -> ([Double], Int, Double) {
        let n = count
        let weq = weights.equation, wbc = weights.boundary
        // Aᵀ r = K⁻¹(aK₂ + bK₁)ᵀ r + d ∘ r.
        func applyTransposeA(_ r: [Double]) -> [Double] {
            var y = applyInverseGram(applyDerivativeCovariance(op, r, transpose: true))
            for i in 0..<n { y[i] += d[i] * r[i] }
            return y
        }
        var rhs = applyTransposeA(source)
        for i in 0..<n { rhs[i] *= weq }
        rhs[0] += wbc * g[0]
        rhs[n - 1] += wbc * g[1]
        func product(_ u: [Double]) -> [Double] {
            let alpha = applyInverseGram(u)
            var au = applyDerivativeCovariance(op, alpha)
            for i in 0..<n { au[i] += d[i] * u[i] }
            var y = applyTransposeA(au)
            for i in 0..<n { y[i] = alpha[i] + weq * y[i] }
            y[0] += wbc * u[0]
            y[n - 1] += wbc * u[n - 1]
            return y
        }
        let preconditioner = try CollocationPreconditioner(collocation: self, operator: op,
                                                           meanDiagonal: d.reduce(0, +) / Double(n), weights: weights)
        // PCG on the correction, restarted from the true residual b − Hu (recomputed, not recursive).
        let rhsNorm = Vector(rhs).norm
        var u = initial ?? [Double](repeating: 0, count: n)
        var residual = rhs
        if initial != nil {
            let hu = product(u)
            for i in 0..<n { residual[i] -= hu[i] }
        }
        var iterations = 0
        var relative = Vector(residual).norm / Swift.max(rhsNorm, .leastNormalMagnitude)
        for _ in 0..<Self.maximumRestarts {
            if relative <= tolerance || iterations >= maxIterations { break }
            let result: ConjugateGradient.Result
            do {
                result = try ConjugateGradient.solve(
                    Vector(residual), relativeTolerance: Swift.max(tolerance / relative, 1e-6),
                    maxIterations: maxIterations - iterations, onNonConvergence: .returnLastIterate,
                    preconditioner: { Vector(preconditioner.apply($0.elements)) },
                    matrixVectorProduct: { Vector(product($0.elements)) })
            } catch {
                throw PDEError.solverFailed("the Toeplitz PCG solve (N = \(n)) failed: \(error); raise the iteration budget, or lower the equation weight")
            }
            iterations += result.iterations
            let trial = (0..<n).map { u[$0] + result.solution[$0] }
            let hu = product(trial)
            let trialResidual = (0..<n).map { rhs[$0] - hu[$0] }
            let trialRelative = Vector(trialResidual).norm / Swift.max(rhsNorm, .leastNormalMagnitude)
            guard trialRelative < relative else { break }
            u = trial
            residual = trialResidual
            relative = trialRelative
        }
        return (u, iterations, relative)
    }
}

/// The fine-grid route for 1-D problems: the kernel learned on a coarse grid, the solution exact on
/// the fine one (`ToeplitzCollocation.learnCoarseSolveFine`).
public struct FineGridSolution: Sendable {
    /// The kernel learning on the coarse grid (`KernelLearning.fit`).
    public let learned: LearnedKernelSolution
    /// The fine-grid system with the learned kernel.
    public let collocation: ToeplitzCollocation
    /// The minimiser on the fine grid with the learned kernel and precisions (or, when
    /// `keptCoarseSolution`, the coarse solution interpolated to the fine grid).
    public let solution: ToeplitzCollocationSolution
    /// True when the fine-grid PCG, started from the coarse solution interpolated to the fine grid,
    /// ended at a higher objective than that start (the products' error floor, see
    /// `ToeplitzCollocation`), so the interpolated coarse solution was kept: u is then only as accurate
    /// as the coarse grid's.
    public var keptCoarseSolution = false

    /// The GP mean at `points` (see `ToeplitzCollocation.predict`).
    public func predict(at points: [Double]) -> [Double] {
        collocation.predict(coefficients: solution.coefficients, at: points)
    }
}

extension ToeplitzCollocation {
    /// Learn the kernel on `coarse` with `KernelLearning.fit` (log det K and its gradient are affordable
    /// there, not at N ≈ 1e5), then minimise the collocation objective on `fine` exactly with the learned
    /// kernel and precisions. The fine grid's jitter is relative, ε·max(1, k(0)) with ε = `options.jitter`:
    /// learned weights can reach k(0) ~ 1e4, and an absolute ε then leaves K on 1e5 points numerically
    /// singular (measured on poisson1d-sin100: the K⁻¹e₀ set-up solve stalled at residual 2.5e-4 at
    /// N = 1e5 and the solution was 1.3e-2 off at N = 2e4; with the relative jitter 1.1e-4 and 8.6e-5).
    /// The coarse grid must resolve the problem's frequencies (above
    /// Nyquist), e.g. the same `BenchmarkProblem` at its paper grid. The learning is `fit`'s on that grid,
    /// with its defaults (in 1-D the equation-precision continuation), so the coarse solution the fine
    /// solve starts from, and falls back to, is the one `fit` returns there. Measured at N = 1e5 with and
    /// without the continuation: poisson1d-sin100 3.3e-7 / 3.5e-7 (36 s / 16 s CPU), xsin200 1.7e-4 / 1.2e-5
    /// (294 s / 98 s), sin500 5.9e-4 / 2.1e-3 (coarse solution kept in both). Cost: the learning plus one
    /// `ToeplitzCollocation` set-up and solve, O(N log N) per PCG iteration.
    /// - Throws: `PDEError.invalidProblem` unless both problems are 1-D on the same interval with the
    ///   same operator; as `KernelLearning.fit`, `init` and `solve` otherwise.
    public static func learnCoarseSolveFine(_ fine: PDEProblem, coarse: PDEProblem,
                                            options: KernelLearningOptions = KernelLearningOptions(),
                                            tolerance: Double = 1e-10) throws -> FineGridSolution {
        guard fine.grid.dimension == 1, coarse.grid.dimension == 1 else {
            throw PDEError.invalidProblem("the fine-grid route is for 1-D problems")
        }
        let (f, c) = (fine.grid.axes[0], coarse.grid.axes[0])
        guard f.lower == c.lower, f.upper == c.upper, fine.equation == coarse.equation else {
            throw PDEError.invalidProblem("the coarse problem must be the fine one on a coarser grid of the same interval [\(f.lower), \(f.upper)] with the same equation")
        }
        let learned = try KernelLearning.fit(coarse, options: options)
        let collocation = try ToeplitzCollocation(grid: f, kernel: learned.kernels[0],
                                                  jitter: fineGridJitter(options.jitter, kernel: learned.kernels[0], scale: learned.scale))
        let (solution, kept) = try collocation.solve(fine, startingFrom: learned, weights: learned.weights, tolerance: tolerance)
        var result = FineGridSolution(learned: learned, collocation: collocation, solution: solution)
        result.keptCoarseSolution = kept
        return result
    }
}

extension ToeplitzCollocation {
    /// Minimise the collocation objective on `fine` (this grid) by PCG started from the coarse GP
    /// solution `coarse` interpolated to this grid; when PCG ends at a higher objective than that start,
    /// the start is returned instead (`keptStart`, with `converged` false). Why: the products with H
    /// carry an error floor (see the type's notes), under which PCG can drift to a far worse point
    /// (poisson1d-sin500, N = 1e5, from a zero start: objective 2.1e8 against 2.9e6 for the interpolated
    /// coarse solution, relative L2 error 9.2 against 4.4e-4, the excess all in the prior term,
    /// 2.1e8 against 3.3 for the exact solution). Cost: the solve, the interpolation
    /// (O(N n Q′) for the coarse grid's n points and Q′ non-negligible components) and one objective.
    public func solve(_ fine: PDEProblem, startingFrom coarse: LearnedKernelSolution, weights: CollocationWeights,
                      tolerance: Double = 1e-10) throws -> (solution: ToeplitzCollocationSolution, keptStart: Bool) {
        let start = coarse.system.interpolate(coarse.solution.values, to: fine.grid)
        let solution = try solve(fine, weights: weights, tolerance: tolerance, initialGuess: start)
        let startAlpha = applyInverseGram(start)
        let startObjective = objective(fine, start, coefficients: startAlpha, weights: weights)
        guard !(solution.objective <= startObjective) else { return (solution, false) }
        return (ToeplitzCollocationSolution(values: start, coefficients: startAlpha, objective: startObjective,
                                            conjugateGradientIterations: solution.conjugateGradientIterations,
                                            gaussNewtonIterations: solution.gaussNewtonIterations,
                                            relativeResidual: solution.relativeResidual, converged: false), true)
    }

    /// The fine grid's jitter for a learned kernel: ε·max(s², k(0)), relative to the kernel's variance
    /// k(0) = Σ w_q once that exceeds s² (see `learnCoarseSolveFine`); for k(0) ≤ s² the jitter of the
    /// coarse grid where the kernel was learned. s is the fit's data scale (`LearnedKernelSolution.scale`;
    /// ε and the threshold 1 belong to the problem for u/s).
    public static func fineGridJitter(_ epsilon: Double, kernel: SpectralMixtureKernel, scale: Double = 1) -> Double {
        epsilon * max(scale * scale, kernel.derivatives(at: 0).value)
    }
}

/// The result of `ToeplitzCollocation.solve`.
public struct ToeplitzCollocationSolution: Sendable {
    /// u at the grid points.
    public let values: [Double]
    /// α = K⁻¹u; `ToeplitzCollocation.predict` evaluates the GP mean from it.
    public let coefficients: [Double]
    /// The objective J at the solution.
    public let objective: Double
    /// PCG iterations summed over all linear solves.
    public let conjugateGradientIterations: Int
    /// Gauss–Newton iterations (0 for a linear PDE).
    public let gaussNewtonIterations: Int
    /// ‖b − Hu‖/‖b‖ of the last linear solve, recomputed from u (not PCG's recursive residual).
    public let relativeResidual: Double
    /// False when Gauss–Newton used its budget or found no decreasing step, or (linear PDE) when the
    /// true relative residual stayed above the tolerance: in double precision the products with H carry
    /// an error floor (≈ 1e-9…1e-5 relative at N = 1e5, growing with cond K), below which no solver
    /// of the normal equations can go.
    public let converged: Bool
}

/// P⁻¹ for the normal matrix H = K⁻¹ + w_eq AᵀA + w_bc UUᵀ (U = [e₀, e_{N−1}], A = B̃K⁻¹ with
/// B̃ = aK₂ + bK₁ + d̄K for the mean d̄ of the diagonal d), from K₀'s eigenspace (Q, D)
/// (`ToeplitzEigenspace`, D_ε = D + εI):
///   K⁻¹ ≈ Q D_ε⁻¹ Qᵀ + (I − QQᵀ)/ε,  A ≈ B̃Q D_ε⁻¹ Qᵀ,
/// so with F = B̃Q D_ε^{-1/2} (N × r) the bulk H₀ = K⁻¹ + w_eq AᵀA is approximated by
///   Ĥ₀ = (I − QQᵀ)/ε + Q D_ε^{-1/2}(I + w_eq FᵀF)D_ε^{-1/2} Qᵀ,
///   Ĥ₀⁻¹ = εI + Q [D_ε^{1/2}(I + w_eq FᵀF)⁻¹D_ε^{1/2} − εI] Qᵀ,
/// the r × r inverse through the eigendecomposition of I + w_eq FᵀF (eigenvalues ≥ 1, so its
/// inverse is accurate to ε_mach‖w_eq FᵀF‖ absolute, ample for a preconditioner), and the boundary
/// term exactly by Woodbury: P⁻¹ = Ĥ₀⁻¹ − Ĥ₀⁻¹U (I/w_bc + UᵀĤ₀⁻¹U)⁻¹ UᵀĤ₀⁻¹.
/// In the directions left out of Q, K₀ < τε, so K⁻¹ is 1/ε to relative accuracy τ and the equation
/// term is ≈ w_eq ω⁴τ²: P⁻¹H is a small perturbation of the identity and PCG needs few iterations
/// whatever N (a circulant for H instead approximates K⁻¹, whose boundary layers carry the 1/ε-large
/// out-of-band part). Measured at N = 1e5: 18 PCG iterations on poisson1d-sin100 (circulant: 132),
/// 12–24 on poisson1d-sin500; but for learned kernels whose products have a high error floor
/// (see `ToeplitzCollocation`) PCG still needs ≈ 240 iterations per restart.
/// Set-up: r products with B̃ by FFT, O(N r²) for FᵀF; per application 4Nr flops + O(N).
struct CollocationPreconditioner {
    let eigenspace: ToeplitzEigenspace
    let jitter: Double
    /// D_ε^{1/2}(I + w_eq FᵀF)⁻¹D_ε^{1/2} − εI, r × r.
    let core: Matrix
    /// Ĥ₀⁻¹e₀ and Ĥ₀⁻¹e_{N−1}.
    let z0: [Double], z1: [Double]
    /// (I/w_bc + UᵀĤ₀⁻¹U)⁻¹, 2 × 2 row major.
    let inverse2: [Double]

    init(collocation t: ToeplitzCollocation, operator op: DifferentialOperator, meanDiagonal: Double,
         weights: CollocationWeights) throws {
        let n = t.count, space = t.eigenspace, r = space.dimension
        let eps = t.jitter
        let scale = space.values.map { ($0 + eps).squareRoot() }
        var core = Matrix(rows: r, columns: r)
        if r > 0 {
            // F = B̃ Q D_ε^{-1/2}, column by column.
            var f = Matrix(rows: n, columns: r)
            let a = op.secondOrder[0], b = op.firstOrder[0]
            for j in 0..<r {
                let q = Array(space.basis.storage[j * n..<(j + 1) * n])
                let qHat = t.embedding.transform(q)
                var terms: [ToeplitzEmbedding.Term] = []
                if a != 0 { terms.append(.init(t.spectrumK2, qHat, coefficient: a)) }
                if b != 0 { terms.append(.init(t.spectrumK1, qHat, coefficient: b)) }
                if meanDiagonal != 0 { terms.append(.init(t.spectrumK, qHat, coefficient: meanDiagonal)) }
                let column = terms.isEmpty ? [Double](repeating: 0, count: n) : t.embedding.apply(terms)
                let s = 1 / scale[j]
                f.storage.replaceSubrange(j * n..<(j + 1) * n, with: column.map { $0 * s })
            }
            var gram = Matrix(rows: r, columns: r)
            BLAS.syrk(.lower, .transpose, alpha: weights.equation, f, &gram)
            gram.symmetrizeFromLower()
            gram.addToDiagonal(1)
            guard gram.isFinite else { throw PDEError.nonFinite("the preconditioner's equation term") }
            let eigen: SymmetricEigen
            do { eigen = try SymmetricEigen(gram) } catch {
                throw PDEError.solverFailed("the preconditioner's \(r) × \(r) eigenproblem failed: \(error)")
            }
            // core = S W Γ⁻¹ Wᵀ S − εI with S = D_ε^{1/2}.
            var sw = eigen.eigenvectors
            for j in 0..<r {
                let g = 1 / Swift.max(1, eigen.eigenvalues[j]).squareRoot()
                for i in 0..<r { sw[i, j] *= scale[i] * g }
            }
            BLAS.syrk(.lower, .none, sw, &core)
            core.symmetrizeFromLower()
            core.addToDiagonal(-eps)
        }
        self.eigenspace = space
        self.jitter = eps
        self.core = core
        var e0 = [Double](repeating: 0, count: n), e1 = e0
        e0[0] = 1
        e1[n - 1] = 1
        let z0 = Self.applyBulk(space, core, eps, e0), z1 = Self.applyBulk(space, core, eps, e1)
        let m00 = 1 / weights.boundary + z0[0], m01 = 0.5 * (z1[0] + z0[n - 1]), m11 = 1 / weights.boundary + z1[n - 1]
        let det = m00 * m11 - m01 * m01
        guard det > 0 && det.isFinite else {
            throw PDEError.solverFailed("the boundary part of the preconditioner is singular (determinant \(det)); reduce w_bc")
        }
        self.z0 = z0
        self.z1 = z1
        self.inverse2 = [m11 / det, -m01 / det, -m01 / det, m00 / det]
    }

    /// Ĥ₀⁻¹r = εr + Q core Qᵀr.
    private static func applyBulk(_ space: ToeplitzEigenspace, _ core: Matrix, _ eps: Double, _ r: [Double]) -> [Double] {
        var y = r.map { eps * $0 }
        guard space.dimension > 0 else { return y }
        space.addExpansion(BLAS.matvec(core, Vector(space.project(r))).elements, to: &y)
        return y
    }

    func apply(_ r: [Double]) -> [Double] {
        var y = Self.applyBulk(eigenspace, core, jitter, r)
        let n = y.count
        let t0 = y[0], t1 = y[n - 1]
        let c0 = inverse2[0] * t0 + inverse2[1] * t1, c1 = inverse2[2] * t0 + inverse2[3] * t1
        for i in 0..<n { y[i] -= c0 * z0[i] + c1 * z1[i] }
        return y
    }
}
