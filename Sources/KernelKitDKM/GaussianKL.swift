import Foundation
import KernelKitLinalg

/// KL(N(0, G) ‖ N(0, K)) = ½(tr(K⁻¹G) − P − log det G + log det K) from the Cholesky factors of G and K,
/// with, on request, its gradients (used by the DKM's layer terms)
///   ∂KL/∂G = ½(K⁻¹ − G⁻¹),   ∂KL/∂K = ½(K⁻¹ − K⁻¹GK⁻¹).
/// KL(N(0,G) ‖ N(0,G)) = 0 exactly up to rounding. Cost O(P³).
struct GaussianKL {
    let value: Double
    let gradientG: Matrix?
    let gradientK: Matrix?

    init(g: Matrix, gFactor: Cholesky, kFactor: Cholesky, gradient: Bool) {
        let p = Double(g.rows)
        let kInvG = kFactor.solve(g)
        value = 0.5 * (kInvG.trace - p - gFactor.logDeterminant + kFactor.logDeterminant)
        if gradient {
            let kInv = kFactor.inverse()
            gradientG = 0.5 * (kInv - gFactor.inverse())
            gradientK = 0.5 * (kInv - BLAS.matmul(kInvG, kInv))
        } else {
            gradientG = nil
            gradientK = nil
        }
    }
}

/// Cholesky without jitter, with a DKM error naming the matrix.
func dkmFactor(_ m: Matrix, _ what: @autoclosure () -> String) throws(DKMError) -> Cholesky {
    do { return try Cholesky(m, jitter: .none) } catch {
        throw DKMError.notPositiveDefinite("\(what()) is not positive definite")
    }
}

/// (A + Aᵀ)/2.
func symmetrized(_ a: Matrix) -> Matrix { 0.5 * (a + a.transposed) }

/// Packs lower-triangular factors column by column, the diagonal as its logarithm.
func packLower(_ l: Matrix, into theta: inout [Double]) {
    for j in 0..<l.rows { for i in j..<l.rows { theta.append(i == j ? Foundation.log(l[i, i]) : l[i, j]) } }
}

/// Inverse of `packLower` starting at `offset` (advanced past the factor).
func unpackLower(_ theta: [Double], _ n: Int, offset: inout Int) -> Matrix {
    var l = Matrix(rows: n, columns: n)
    for j in 0..<n { for i in j..<n { l[i, j] = i == j ? Foundation.exp(theta[offset]) : theta[offset]; offset += 1 } }
    return l
}

/// Gradient with respect to the packed factor of a symmetric adjoint Ḡ of G = LLᵀ: ∂/∂L = 2ḠL,
/// times L_jj on the log-parameterised diagonal. Appends in `packLower` order.
func appendFactorGradient(_ gbar: Matrix, factor l: Matrix, sign: Double, to grad: inout [Double]) {
    let dl = 2 * BLAS.matmul(symmetrized(gbar), l)
    for j in 0..<l.rows { for i in j..<l.rows { grad.append(sign * (i == j ? dl[i, i] * l[i, i] : dl[i, j])) } }
}

extension DeepKernelMachine {
    /// KL(N(0, G) ‖ N(0, K)) = ½(tr(K⁻¹G) − P − log det G + log det K) ≥ 0, zero iff G = K. O(P³).
    /// - Throws: `DKMError.notPositiveDefinite` if G or K is not positive definite.
    public static func gaussianKL(_ g: Matrix, _ k: Matrix) throws(DKMError) -> Double {
        precondition(g.isSquare && k.rows == g.rows && k.columns == g.columns)
        return GaussianKL(g: g, gFactor: try dkmFactor(g, "G"), kFactor: try dkmFactor(k, "K"), gradient: false).value
    }
}
