import Foundation
import KernelKitLinalg

/// The NTK eigenspectrum of a dataset and the convergence time of each eigendirection under
/// gradient flow (Jacot, Gabriel & Hongler 2018, §5): with Θ_DD = Σᵢ λᵢ vᵢvᵢᵀ and the MSE loss
/// (1/2N)‖f − y‖², the training residual along vᵢ decays as e^{−ηλᵢt/N}, so direction i converges
/// on the time scale τᵢ = N/(ηλᵢ) — the top eigendirections are learnt first ("early stopping
/// fits the kernel principal components of largest eigenvalue").
/// Cost: one O(n³) symmetric eigendecomposition.
public struct NTKSpectrum: Sendable {
    /// Eigenvalues λᵢ in decreasing order.
    public let eigenvalues: [Double]
    /// Matching unit eigenvectors (columns).
    public let eigenvectors: Matrix
    /// τᵢ = N/(η λᵢ) (∞ for λᵢ ≤ 0).
    public let timescales: [Double]
    /// Squared projections (vᵢᵀ y)² of the targets, i.e. how much of ‖y‖² each direction carries.
    public let targetEnergy: [Double]?

    /// Eigendecomposes Θ (n × n, symmetric) and, with targets, projects y on the eigenvectors. O(n³).
    public init(ntk: Matrix, targets y: Vector? = nil, learningRate: Double = 1) throws {
        precondition(ntk.isSquare)
        let e = try SymmetricEigen(ntk)
        let n = ntk.rows
        let order = (0..<n).reversed()  // SymmetricEigen returns ascending eigenvalues
        eigenvalues = order.map { e.eigenvalues[$0] }
        eigenvectors = Matrix(rows: n, columns: n) { i, j in e.eigenvectors[i, n - 1 - j] }
        let nTargets = Double(n)
        timescales = eigenvalues.map { $0 > 0 ? nTargets / (learningRate * $0) : .infinity }
        if let y {
            precondition(y.count == n)
            let p = BLAS.matvec(eigenvectors, y, .transpose)
            targetEnergy = p.elements.map { $0 * $0 }
        } else {
            targetEnergy = nil
        }
    }

    /// Residual ‖P_i(f_t − y)‖² per direction at time t for the infinite-width mean (f₀ = 0):
    /// (vᵢᵀy)² e^{−2ηλᵢt/N}. Needs targets.
    public func residualEnergy(at t: Double, learningRate: Double = 1) -> [Double]? {
        guard let targetEnergy else { return nil }
        let n = Double(eigenvalues.count)
        return zip(eigenvalues, targetEnergy).map { lam, e in e * Foundation.exp(-2 * learningRate * lam * t / n) }
    }
}

/// How the empirical NTK of finite networks approaches the infinite-width NTK as the width grows
/// (Jacot et al. 2018, Fig. 1): for each width, the relative Frobenius deviation
/// ‖Θ_w − Θ_∞‖_F / ‖Θ_∞‖_F averaged over `seeds` random initialisations, and the least-squares slope
/// of log(deviation) against log(width), which the law of large numbers predicts to be −1/2.
public struct WidthConvergence: Sendable {
    /// The widths studied, in the order given.
    public let widths: [Int]
    /// Mean relative deviation per width.
    public let relativeDeviation: [Double]
    /// Standard error of that mean per width.
    public let standardError: [Double]
    /// Slope of log(deviation) vs log(width) (nil with fewer than two widths).
    public let slope: Double?

    /// Runs the study for an architecture whose hidden Dense layers get each width in turn (the
    /// readout keeps its width).
    public init(layers: [Layer], inputs x: Matrix, widths: [Int], seeds: Int, seed: UInt64 = 0) throws {
        precondition(!widths.isEmpty && seeds >= 1)
        let infinite = try InfiniteWidthNetwork(layers).kernels(x, get: .ntk).ntk!
        let norm = Foundation.sqrt(infinite.storage.reduce(0) { $0 + $1 * $1 })
        var means: [Double] = [], errors: [Double] = []
        for w in widths {
            var devs: [Double] = []
            for s in 0..<seeds {
                let net = try FiniteWidthNetwork(Self.withHiddenWidth(layers, w), inputDimension: x.columns,
                                                 seed: seed &+ UInt64(s) &* 7919 &+ UInt64(w))
                let diff = try net.empiricalKernels(x).ntk! - infinite
                devs.append(Foundation.sqrt(diff.storage.reduce(0) { $0 + $1 * $1 }) / norm)
            }
            let m = devs.reduce(0, +) / Double(seeds)
            let v = seeds > 1 ? devs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(seeds - 1) : 0
            means.append(m)
            errors.append((v / Double(seeds)).squareRoot())
        }
        let lx = widths.map { Foundation.log(Double($0)) }, ly = means.map { Foundation.log($0) }
        let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
        let sxy = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        self.widths = widths
        self.relativeDeviation = means
        self.standardError = errors
        self.slope = sxx > 0 ? sxy / sxx : nil
    }

    /// The architecture with every Dense layer except the last given width `w`.
    public static func withHiddenWidth(_ layers: [Layer], _ w: Int) -> [Layer] {
        var flat: [Layer] = []
        func flatten(_ l: Layer) { if case let .serial(ls) = l { ls.forEach(flatten) } else { flat.append(l) } }
        layers.forEach(flatten)
        guard let last = flat.lastIndex(where: { if case .dense = $0 { return true } else { return false } }) else { return flat }
        return flat.enumerated().map { i, l in
            if case let .dense(ws, b, _, p) = l, i != last { return .dense(weightStd: ws, biasStd: b, width: w, parameterization: p) }
            return l
        }
    }
}
