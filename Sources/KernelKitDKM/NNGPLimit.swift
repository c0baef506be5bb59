import KernelKitLinalg

extension DeepKernelMachine {
    /// The first-order correction to the NNGP as the KL weights grow: with ν_ℓ = t·`nu`[ℓ] and t → ∞,
    ///
    ///     t·(G_ℓ(t) − G_ℓ^NNGP) → C_ℓ,
    ///
    /// computed in closed form from the stationarity conditions linearised at the NNGP Grams G*_ℓ
    /// (where K(G*_{ℓ−1}) = G*_ℓ and ∂KL(N(0,G)‖N(0,K))/∂G ≈ ½K⁻¹(G − K)K⁻¹):
    ///   E_L = (2/ν_L) G*_L ḡ G*_L,  ḡ = ∂ log N(Y; 0, K(G_L) + σ²I)/∂G_L at G*_L,
    ///   E_ℓ = (ν_{ℓ+1}/ν_ℓ) G*_ℓ · sym(J_Kᵀ[G*_{ℓ+1}⁻¹ E_{ℓ+1} G*_{ℓ+1}⁻¹]) · G*_ℓ,
    ///   C_ℓ = E_ℓ + J_K[C_{ℓ−1}] (C₀ = 0),
    /// where E_ℓ = lim t·(G_ℓ − K(G_{ℓ−1})) and J_K is the kernel map's Jacobian at G*_{ℓ−1}. So
    /// ‖G_ℓ(ν) − G_ℓ^NNGP‖ ≈ ‖C_ℓ‖/t — the O(1/ν) approach to the NNGP. O(L·P³).
    /// - Throws: `DKMError.notPositiveDefinite` if an NNGP Gram or K(G*_L) + σ²I is singular.
    public func nngpLimitCorrection() throws(DKMError) -> [Matrix] {
        let star = nngpGrams
        let e = try evaluate(star, gradient: true)
        // At G*, the KL gradients vanish, so ∂L/∂G_L is the likelihood's gradient alone.
        var corrections = [Matrix](repeating: Matrix(rows: count, columns: count), count: layers)
        corrections[layers - 1] = (2 / nu[layers - 1]) * BLAS.matmul(star[layers - 1], BLAS.matmul(e.gradient![layers - 1], star[layers - 1]))
        if layers > 1 {
            for l in stride(from: layers - 2, through: 0, by: -1) {
                let upper = try dkmFactor(star[l + 1], "the NNGP Gram G*_\(l + 2)")
                let inner = upper.solve(upper.solve(corrections[l + 1]).transposed)
                let pulled = symmetrized(kernel.pullback(symmetrized(inner), at: star[l]))
                corrections[l] = (nu[l + 1] / nu[l]) * BLAS.matmul(star[l], BLAS.matmul(pulled, star[l]))
            }
        }
        var total: [Matrix] = []
        var previous = Matrix(rows: count, columns: count)
        var g = inputGram
        for l in 0..<layers {
            let c = corrections[l] + (l == 0 ? previous : kernel.pushforward(previous, at: g))
            total.append(symmetrized(c))
            previous = total[l]
            g = star[l]
        }
        return total
    }
}
