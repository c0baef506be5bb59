import KernelKitLinalg

/// One layer of GP conditioning on inducing points, forward and reverse mode — the step that makes the
/// sparse DKM linear in the number of data points.
///
/// With K = K(G_{ℓ−1}) over inducing points i and a batch of points b (only K_ii, K_bi and diag K_bb
/// are formed, from G_{ℓ−1}'s inducing block, cross block and the batch's diagonal),
///   A = K_bi K_ii⁻¹,   c_b = k_bb − Σ_j A_bj (K_bi)_bj      (conditional variance),
///   projected = A P,   diagonal_b = (A C Aᵀ)_bb + c_b,
/// where for a hidden layer P = C = G_ℓ (the learned inducing Gram: the batch's cross Gram and Gram
/// diagonal), and for the output layer P = m, C = S (q(u) = N(m, S): the batch's predictive means and
/// latent variances). Cost O(B·M² + M³).
struct ConditionalLayer {
    let kernel: GramKernelMap
    let kFactor: Cholesky
    let previousCross: Matrix
    let previousDiagonal: [Double]
    let previousInducingGram: Matrix
    let projectedSource: Matrix
    let covariance: Matrix
    let kCross: Matrix
    let a: Matrix
    let aCov: Matrix
    /// A·P (B × columns of P).
    let cross: Matrix
    /// diag(A C Aᵀ) + c.
    let diagonal: [Double]

    /// Hidden layer: P = C = `gram`.
    init(kernel: GramKernelMap, kFactor: Cholesky, previousCross: Matrix, previousDiagonal: [Double],
         previousInducingGram: Matrix, gram: Matrix) {
        self.init(kernel: kernel, kFactor: kFactor, previousCross: previousCross, previousDiagonal: previousDiagonal,
                  previousInducingGram: previousInducingGram, projected: gram, covariance: gram, sameSource: true)
    }

    init(kernel: GramKernelMap, kFactor: Cholesky, previousCross: Matrix, previousDiagonal: [Double],
         previousInducingGram: Matrix, projected p: Matrix, covariance c: Matrix, sameSource: Bool = false) {
        self.kernel = kernel
        self.kFactor = kFactor
        self.previousCross = previousCross
        self.previousDiagonal = previousDiagonal
        self.previousInducingGram = previousInducingGram
        projectedSource = p
        covariance = c
        kCross = kernel.cross(previousCross, rowDiagonal: previousDiagonal, columnDiagonal: previousInducingGram.diagonal.elements)
        a = kFactor.solve(kCross.transposed).transposed
        aCov = BLAS.matmul(a, c)
        cross = sameSource ? aCov : BLAS.matmul(a, p)
        let b = a.rows, m = a.columns
        var d = [Double](repeating: 0, count: b)
        for j in 0..<m {
            for i in 0..<b { d[i] += a[i, j] * (aCov[i, j] - kCross[i, j]) }
        }
        for i in 0..<b { d[i] += kernel.diagonalEntry(previousDiagonal[i]) }
        diagonal = d
    }

    /// Adjoints of the inputs given those of `cross` (C̄, or nil for zero) and `diagonal` (ḡ), plus an
    /// extra adjoint `kBar` of K_ii (e.g. from a KL term):
    ///   Ā = C̄Pᵀ + 2 diag(ḡ)AC − diag(ḡ)K_bi,  P̄ = AᵀC̄,  C̄ov = Aᵀdiag(ḡ)A,
    ///   K̄_bi = ĀK_ii⁻¹ − diag(ḡ)A,  K̄_ii = kBar − AᵀĀK_ii⁻¹,  k̄_bb = ḡ,
    /// then pulled back through the kernel map to G_{ℓ−1}'s cross block, batch diagonal and inducing block.
    func backward(crossBar: Matrix?, diagonalBar gbar: [Double], kBar: Matrix?)
        -> (projected: Matrix?, covariance: Matrix, previousCross: Matrix, previousDiagonal: [Double], previousInducingGram: Matrix) {
        let b = a.rows, m = a.columns
        var abar = Matrix(rows: b, columns: m)
        for j in 0..<m { for i in 0..<b { abar[i, j] = gbar[i] * (2 * aCov[i, j] - kCross[i, j]) } }
        var projectedBar: Matrix? = nil
        if let crossBar {
            abar = abar + BLAS.matmul(crossBar, projectedSource, .none, .transpose)
            projectedBar = BLAS.matmul(a, crossBar, .transpose)
        }
        var scaledA = a
        for j in 0..<m { for i in 0..<b { scaledA[i, j] *= gbar[i] } }
        let covarianceBar = BLAS.matmul(a, scaledA, .transpose)
        let abarKInv = kFactor.solve(abar.transposed).transposed
        let kCrossBar = abarKInv - scaledA
        var kInducingBar = -1 * BLAS.matmul(a, abarKInv, .transpose)
        if let kBar { kInducingBar = kInducingBar + kBar }
        let pulled = kernel.crossPullback(kCrossBar, at: previousCross, rowDiagonal: previousDiagonal,
                                          columnDiagonal: previousInducingGram.diagonal.elements)
        var diagBar = pulled.rowDiagonal
        for i in 0..<b { diagBar[i] += gbar[i] * kernel.diagonalDerivative }
        var inducingBar = kernel.pullback(kInducingBar, at: previousInducingGram)
        for j in 0..<m { inducingBar[j, j] += pulled.columnDiagonal[j] }
        return (projectedBar, covarianceBar, pulled.cross, diagBar, inducingBar)
    }
}
