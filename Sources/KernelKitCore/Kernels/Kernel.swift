import KernelKitLinalg

/// A positive semi-definite covariance function k(x, x′) on ℝᵈ with positive hyperparameters.
///
/// Points are the rows of a matrix: `k(x, y)` maps an n×d and an m×d matrix to the n×m matrix
/// [k(xᵢ, yⱼ)]. Hyperparameters form one flat list (`hyperparameters`), seen by optimisers as the
/// log-space vector θ = `logParameters` with box `bounds`, in the spirit of scikit-learn's
/// `Kernel.theta`/`bounds` (unlike scikit-learn, θ here includes fixed hyperparameters; `isFixed`
/// marks them and `GaussianProcessRegressor.optimize` leaves them alone).
///
/// Kernels combine with `+` (``SumKernel``), `*` (``ProductKernel``) and `Double * kernel`
/// (a ``ConstantKernel`` factor). `description` is a canonical kernel expression (see
/// ``KernelExpression``) holding every hyperparameter value, bound and fixed flag, such that
/// `try KernelExpression.parse(k.description)` rebuilds the same kernel.
///
/// Noise kernels (``WhiteKernel``) distinguish the Gram matrix of one point set, `gram(x)`, which
/// carries the noise on its diagonal, from cross-covariances `k(x, y)`, which never do — even when
/// called with `y == x`. `k(x, x)` is thus the covariance of the latent function, `gram(x)` that of
/// noisy observations.
///
/// Conformers must be value types (or immutable) so that kernels are `Sendable`.
public protocol Kernel: Sendable, CustomStringConvertible {
    /// Every hyperparameter in canonical order (the order of `description`). Setting it must keep
    /// the count and names; only values, bounds and fixed flags change.
    var hyperparameters: [Hyperparameter] { get set }

    /// The input dimension d the kernel requires (ARD lengthscales, multi-dimensional spectral
    /// mixtures), or nil when any d works.
    var inputDimension: Int? { get }

    /// Cross-covariance [k(xᵢ, yⱼ)] of the rows of `x` (n×d) and `y` (m×d): an n×m matrix.
    /// Noise kernels contribute nothing here.
    func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix

    /// Gram matrix K = [k(xᵢ, xⱼ)] of the rows of `x`, symmetric n×n, including noise on the
    /// diagonal. Implementations exploit symmetry (syrk, half the pairs).
    func gram(_ x: Matrix) -> Matrix

    /// diag(gram(x)) in O(n·d), noise included.
    func diagonal(_ x: Matrix) -> Vector

    /// diag(k(x, x)) in O(n·d): the prior variance of the latent function, noise excluded.
    func noiseFreeDiagonal(_ x: Matrix) -> Vector

    /// [∂K/∂θₖ] for every log-hyperparameter θₖ = log hₖ, in `hyperparameters` order, where
    /// K = gram(x). Memory: one n×n matrix per hyperparameter; prefer `gramGradientContraction`.
    func gramGradient(_ x: Matrix) -> [Matrix]

    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ for a symmetric n×n weight matrix W, K = gram(x). This is the
    /// contraction the log-marginal-likelihood gradient needs (W = ½(ααᵀ − K⁻¹)); conformers compute
    /// it without materialising all ∂K/∂θₖ at once (extra memory O(n²) for leaves).
    func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double]

    /// K = gram(x) together with the map W ↦ gramGradientContraction(x, W) for the same x, so work
    /// done for K (factor Gram matrices of products) is not repeated for the gradient: the
    /// log-marginal-likelihood gradient calls it once per evaluation. The returned function may
    /// retain O(n²) memory per non-constant factor of each product. The default computes K and
    /// contracts from scratch.
    func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double])
}

extension Kernel {
    /// Number of hyperparameters (fixed ones included).
    public var parameterCount: Int { hyperparameters.count }

    /// θ = log of every hyperparameter value, in `hyperparameters` order.
    /// Setting it sets `value = exp(θₖ)` for every entry that differs from the current log value, so
    /// writing back an unchanged entry leaves its value bit-identical (bounds are not enforced here).
    public var logParameters: [Double] {
        get { hyperparameters.map(\.logValue) }
        set {
            var h = hyperparameters
            precondition(newValue.count == h.count, "logParameters: expected \(h.count) values, got \(newValue.count)")
            for k in h.indices where newValue[k] != h[k].logValue { h[k].logValue = newValue[k] }
            hyperparameters = h
        }
    }

    /// Hyperparameter names, e.g. `["k1.constant.value", "k1.rbf.length", "k2.white.noise"]`.
    public var parameterNames: [String] { hyperparameters.map(\.name) }

    /// Log-space box [log lower, log upper] of every hyperparameter.
    public var bounds: [ClosedRange<Double>] { hyperparameters.map(\.logBounds) }

    /// Which hyperparameters are excluded from optimisation.
    public var isFixed: [Bool] { hyperparameters.map(\.isFixed) }

    /// Indices of the hyperparameters an optimiser may change.
    public var freeParameterIndices: [Int] { hyperparameters.indices.filter { !hyperparameters[$0].isFixed } }

    /// Fix (or free) the hyperparameter at `index`.
    public mutating func setFixed(_ fixed: Bool, at index: Int) {
        var h = hyperparameters
        h[index].isFixed = fixed
        hyperparameters = h
    }

    /// Default: `gram(x)`, and the contraction recomputed from scratch by `gramGradientContraction`.
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        (gram(x), { self.gramGradientContraction(x, $0) })
    }

    /// Kernels that have no noise component: the noise-free diagonal is the diagonal.
    public func noiseFreeDiagonal(_ x: Matrix) -> Vector { diagonal(x) }

    /// Contraction through the full gradient matrices: Σᵢⱼ Wᵢⱼ (∂K/∂θₖ)ᵢⱼ. Memory P·n² for P
    /// hyperparameters, so only kernels with one or two hyperparameters rely on it.
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        gramGradient(x).map { frobeniusInner($0, w) }
    }
}

/// Σᵢⱼ Aᵢⱼ Bᵢⱼ (the Frobenius inner product). O(n·m).
@inline(__always)
func frobeniusInner(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "frobeniusInner: shape mismatch")
    var s = 0.0
    let (p, q) = (a.storage, b.storage)
    for k in p.indices { s += p[k] * q[k] }
    return s
}

/// Σᵢⱼ Wᵢⱼ = 1ᵀW1. O(n·m).
@inline(__always)
func elementSum(_ w: Matrix) -> Double { w.storage.reduce(0, +) }

/// aₖ ← exp(aₖ) in place (vectorised), for arguments ≤ ~0 as kernels produce.
///
/// Arguments below −700 give 0 instead of a value ≤ 1e-304: libm and libmvec take a slow path
/// (≈20 ns/element) for results that underflow, and in a kernel matrix most entries can be such
/// far-apart pairs. The absolute change is below 1e-304.
func expInPlace(_ a: inout [Double]) {
    let floor = -700.0
    for k in a.indices where a[k] < floor { a[k] = floor }
    VectorMath.exp(&a)
    let tiny = 9.9e-305  // just above exp(−700) ≈ 9.86e-305
    for k in a.indices where a[k] < tiny { a[k] = 0 }
}
