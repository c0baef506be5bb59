import Foundation
import KernelKitLinalg

/// A kernel map on Gram matrices, K(G), with its vector–Jacobian products — the layer-to-layer prior
/// of a deep kernel machine.
///
/// Both maps act entrywise through k(c, a, b), where c = Gᵢⱼ is the cross entry and a = Gᵢᵢ,
/// b = Gⱼⱼ are the two diagonal entries: Kᵢⱼ = k(Gᵢⱼ, Gᵢᵢ, Gⱼⱼ). So K(G) needs only G, and the
/// cross-covariance between two point sets needs only their cross Gram and the two diagonals — which is
/// what makes the sparse (inducing-point) DKM linear in the number of data points.
public enum GramKernelMap: String, Sendable, CaseIterable {
    /// Diagonal-preserving arc-cosine map of order 1 (Cho & Saul 2009), i.e. twice the ReLU NNGP map:
    /// k(c, a, b) = (1/π)√(ab)(sin θ + (π − θ)cos θ), cos θ = c/√(ab); k(a, a, a) = a.
    case relu
    /// Squared exponential on the features a Gram matrix implies: k(c, a, b) = exp(−(a + b − 2c)/2);
    /// k(a, a, a) = 1.
    case se

    /// k(c, a, b) for one pair of points (see the type's documentation). O(1).
    @inlinable
    public func entry(_ c: Double, _ a: Double, _ b: Double) -> Double {
        switch self {
        case .relu:
            let (sinPart, theta) = Self.angle(c, a, b)
            return (sinPart + (Double.pi - theta) * c) / Double.pi
        case .se:
            return Foundation.exp(-(a + b - 2 * c) / 2)
        }
    }

    /// (k, ∂k/∂c, ∂k/∂a, ∂k/∂b). Arc-cosine: ∂k/∂c = (π − θ)/π, ∂k/∂a = √(ab) sin θ/(2πa),
    /// ∂k/∂b = √(ab) sin θ/(2πb). SE: ∂k/∂c = k, ∂k/∂a = ∂k/∂b = −k/2. O(1).
    @inlinable
    public func entryWithPartials(_ c: Double, _ a: Double, _ b: Double) -> (Double, Double, Double, Double) {
        switch self {
        case .relu:
            let (sinPart, theta) = Self.angle(c, a, b)
            let side = sinPart / (2 * Double.pi)
            return ((sinPart + (Double.pi - theta) * c) / Double.pi, (Double.pi - theta) / Double.pi, side / a, side / b)
        case .se:
            let k = Foundation.exp(-(a + b - 2 * c) / 2)
            return (k, k, -k / 2, -k / 2)
        }
    }

    /// k(a, a, a): the prior variance of a point whose Gram diagonal is a (a for arc-cosine, 1 for SE).
    @inlinable
    public func diagonalEntry(_ a: Double) -> Double { self == .relu ? a : 1 }

    /// d k(a, a, a)/da (1 for arc-cosine, 0 for SE).
    @inlinable
    public var diagonalDerivative: Double { self == .relu ? 1 : 0 }

    /// K(G) for a symmetric G. O(P²).
    public func callAsFunction(_ g: Matrix) -> Matrix {
        let p = g.rows
        var k = Matrix(rows: p, columns: p)
        for j in 0..<p {
            k[j, j] = diagonalEntry(g[j, j])
            for i in (j + 1)..<p {
                let v = entry(g[i, j], g[i, i], g[j, j])
                k[i, j] = v
                k[j, i] = v
            }
        }
        return k
    }

    /// The cross block K_XZ from the cross Gram G_XZ (rows × columns) and the diagonals of G_XX
    /// (`rowDiagonal`) and G_ZZ (`columnDiagonal`). O(rows · columns).
    public func cross(_ g: Matrix, rowDiagonal a: [Double], columnDiagonal b: [Double]) -> Matrix {
        precondition(a.count == g.rows && b.count == g.columns)
        var k = Matrix(rows: g.rows, columns: g.columns)
        for j in 0..<g.columns { for i in 0..<g.rows { k[i, j] = entry(g[i, j], a[i], b[j]) } }
        return k
    }

    /// Ḡ = Σᵢⱼ Āᵢⱼ ∂K(G)ᵢⱼ/∂G for the map of a symmetric G (Ā need not be symmetric; the result is the
    /// gradient with respect to the entries of G taken as independent, symmetrise before use). O(P²).
    public func pullback(_ abar: Matrix, at g: Matrix) -> Matrix {
        let p = g.rows
        var gbar = Matrix(rows: p, columns: p)
        for j in 0..<p {
            gbar[j, j] += abar[j, j] * diagonalDerivative
            for i in 0..<p where i != j {
                let (_, dc, da, db) = entryWithPartials(g[i, j], g[i, i], g[j, j])
                gbar[i, j] += abar[i, j] * dc
                gbar[i, i] += abar[i, j] * da
                gbar[j, j] += abar[i, j] * db
            }
        }
        return gbar
    }

    /// The directional derivative (Jacobian–vector product) of K at G along a symmetric dG:
    /// dKᵢⱼ = ∂k/∂c·dGᵢⱼ + ∂k/∂a·dGᵢᵢ + ∂k/∂b·dGⱼⱼ (i ≠ j), dKᵢᵢ = (dk(a,a,a)/da)·dGᵢᵢ. O(P²).
    public func pushforward(_ dg: Matrix, at g: Matrix) -> Matrix {
        let p = g.rows
        var dk = Matrix(rows: p, columns: p)
        for j in 0..<p {
            dk[j, j] = diagonalDerivative * dg[j, j]
            for i in 0..<p where i != j {
                let (_, dc, da, db) = entryWithPartials(g[i, j], g[i, i], g[j, j])
                dk[i, j] = dc * dg[i, j] + da * dg[i, i] + db * dg[j, j]
            }
        }
        return dk
    }

    /// Pullback of `cross`: given K̄ (rows × columns), returns (Ḡ_XZ, ā, b̄) with ā, b̄ the adjoints of the
    /// two diagonals. O(rows · columns).
    public func crossPullback(_ kbar: Matrix, at g: Matrix, rowDiagonal a: [Double], columnDiagonal b: [Double])
        -> (cross: Matrix, rowDiagonal: [Double], columnDiagonal: [Double]) {
        var gbar = Matrix(rows: g.rows, columns: g.columns)
        var abar = [Double](repeating: 0, count: g.rows), bbar = [Double](repeating: 0, count: g.columns)
        for j in 0..<g.columns {
            for i in 0..<g.rows {
                let (_, dc, da, db) = entryWithPartials(g[i, j], a[i], b[j])
                let w = kbar[i, j]
                gbar[i, j] = w * dc
                abar[i] += w * da
                bbar[j] += w * db
            }
        }
        return (gbar, abar, bbar)
    }

    /// (√(ab) sin θ, θ) = (√(ab − c²), atan2(√(ab − c²), c)) — exact at cos θ = ±1, and robust when
    /// rounding makes |c| slightly exceed √(ab).
    @inlinable
    static func angle(_ c: Double, _ a: Double, _ b: Double) -> (Double, Double) {
        let sinPart = Swift.max(a * b - c * c, 0).squareRoot()
        return (sinPart, atan2(sinPart, c))
    }
}
