import KernelKitLinalg

/// Sum of kernels k(x, y) = Σₜ kₜ(x, y) (the covariance of a sum of independent processes).
///
/// Hyperparameters are the terms' hyperparameters in order, named with the prefix `k1.`, `k2.`, …
/// (scikit-learn's `k1__`). Gradients are the terms' gradients concatenated; the contraction
/// passes the same W to each term, so its memory is that of the largest term. Nested sums are
/// flattened by `+`. Expression: `a + b + c`.
public struct SumKernel: Kernel {
    /// The summed kernels (at least one).
    public var terms: [any Kernel]

    /// The sum of `terms`; terms that are themselves sums are flattened into this one, so the
    /// structure matches the printed expression. Precondition: at least one term, and terms that need
    /// a specific input dimension agree on it.
    public init(_ terms: [any Kernel]) {
        precondition(!terms.isEmpty, "SumKernel needs at least one term")
        let terms = terms.flatMap { ($0 as? SumKernel)?.terms ?? [$0] }
        precondition(Set(terms.compactMap(\.inputDimension)).count <= 1,
                     "SumKernel: terms require different input dimensions")
        self.terms = terms
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { prefixedHyperparameters(terms) }
        set { assignHyperparameters(newValue, to: &terms) }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { terms.lazy.compactMap(\.inputDimension).first }

    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        var k = terms[0](x, y)
        for t in terms.dropFirst() { addInPlace(&k, t(x, y)) }
        return k
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        var k = terms[0].gram(x)
        for t in terms.dropFirst() { addInPlace(&k, t.gram(x)) }
        return k
    }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { terms.dropFirst().reduce(terms[0].diagonal(x)) { $0 + $1.diagonal(x) } }
    /// diag(k(x, x)) without observation noise (``Kernel/noiseFreeDiagonal(_:)``).
    public func noiseFreeDiagonal(_ x: Matrix) -> Vector {
        terms.dropFirst().reduce(terms[0].noiseFreeDiagonal(x)) { $0 + $1.noiseFreeDiagonal(x) }
    }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { terms.flatMap { $0.gramGradient(x) } }
    /// K = Σ Kₜ with each term's contraction map; the terms' Gram matrices are not retained.
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        var maps: [(Matrix) -> [Double]] = []
        var k = Matrix(rows: x.rows, columns: x.rows)
        for t in terms {
            let (g, c) = t.gramWithGradientContraction(x)
            addInPlace(&k, g)
            maps.append(c)
        }
        return (k, { w in maps.flatMap { $0(w) } })
    }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        terms.flatMap { $0.gramGradientContraction(x, w) }
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String { terms.map(\.description).joined(separator: " + ") }
}

/// Product of kernels k(x, y) = Πₜ kₜ(x, y) (pointwise product of PSD kernels is PSD, Schur).
///
/// Hyperparameters are prefixed `k1.`, `k2.`, … as for ``SumKernel``. For a hyperparameter of
/// factor f, ∂K/∂θ = (Π_{g≠f} K_g) ∘ ∂K_f/∂θ, so the contraction passes W ∘ Π_{g≠f} K_g to factor
/// f: memory (F + 1)·n² for F factors plus the factor's own contraction. Nested products are flattened by `*`.
/// Expression: `a * b`, with sums in parentheses: `(a + b) * c`.
public struct ProductKernel: Kernel {
    /// The multiplied kernels (at least one).
    public var factors: [any Kernel]

    /// The product of `factors`; factors that are themselves products are flattened into this one.
    /// Precondition: at least one factor, and factors that need a specific input dimension agree on it.
    public init(_ factors: [any Kernel]) {
        precondition(!factors.isEmpty, "ProductKernel needs at least one factor")
        let factors = factors.flatMap { ($0 as? ProductKernel)?.factors ?? [$0] }
        precondition(Set(factors.compactMap(\.inputDimension)).count <= 1,
                     "ProductKernel: factors require different input dimensions")
        self.factors = factors
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { prefixedHyperparameters(factors) }
        set { assignHyperparameters(newValue, to: &factors) }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { factors.lazy.compactMap(\.inputDimension).first }

    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        var k = factors[0](x, y)
        for f in factors.dropFirst() { multiplyInPlace(&k, f(x, y)) }
        return k
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        var k = factors[0].gram(x)
        for f in factors.dropFirst() { multiplyInPlace(&k, f.gram(x)) }
        return k
    }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector {
        factors.dropFirst().reduce(factors[0].diagonal(x)) { $0.hadamard($1.diagonal(x)) }
    }
    /// diag(k(x, x)) without observation noise (``Kernel/noiseFreeDiagonal(_:)``).
    public func noiseFreeDiagonal(_ x: Matrix) -> Vector {
        factors.dropFirst().reduce(factors[0].noiseFreeDiagonal(x)) { $0.hadamard($1.noiseFreeDiagonal(x)) }
    }

    /// Π_{g≠f} K_g for each factor f (all-ones when there is a single factor).
    private func complementaryProducts(_ grams: [Matrix]) -> [Matrix] {
        let n = grams[0].rows
        return grams.indices.map { f in
            var p = Matrix(rows: n, columns: n, repeating: 1)
            for g in grams.indices where g != f { multiplyInPlace(&p, grams[g]) }
            return p
        }
    }

    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] {
        let others = complementaryProducts(factors.map { $0.gram(x) })
        return factors.indices.flatMap { f in factors[f].gramGradient(x).map { $0.hadamard(others[f]) } }
    }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    /// K = Π K_f with a contraction map that keeps the factor Gram matrices (constant factors as
    /// scalars): memory n² per non-constant factor, and no factor Gram matrix is computed twice.
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        var constants = [Double?](repeating: nil, count: factors.count)
        var grams = [Matrix?](repeating: nil, count: factors.count)
        var maps: [(Matrix) -> [Double]] = []
        var k = Matrix(rows: x.rows, columns: x.rows, repeating: 1)
        for (f, factor) in factors.enumerated() {
            if let c = factor as? ConstantKernel {
                constants[f] = c.constant.value
                for i in k.storage.indices { k.storage[i] *= c.constant.value }
                maps.append { w in c.gramGradientContraction(x, w) }
            } else {
                let (g, c) = factor.gramWithGradientContraction(x)
                multiplyInPlace(&k, g)
                grams[f] = g
                maps.append(c)
            }
        }
        let contraction = { (w: Matrix) -> [Double] in
            var weights = w
            return maps.indices.flatMap { f -> [Double] in
                weights.storage = w.storage
                var scale = 1.0
                for g in maps.indices where g != f {
                    if let c = constants[g] { scale *= c } else { multiplyInPlace(&weights, grams[g]!) }
                }
                if scale != 1 { for i in weights.storage.indices { weights.storage[i] *= scale } }
                return maps[f](weights)
            }
        }
        return (k, contraction)
    }

    /// Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θ for the product: factor f's parameters see W ∘ Π_{g≠f} K_g. O(F²·n²) plus the
    /// factors' own contractions.
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        let grams = factors.map { $0.gram(x) }
        var weights = w
        return factors.indices.flatMap { f -> [Double] in
            // W ∘ Π_{g≠f} K_g, rebuilt in one work matrix for each factor.
            weights.storage = w.storage
            for g in grams.indices where g != f { multiplyInPlace(&weights, grams[g]) }
            return factors[f].gramGradientContraction(x, weights)
        }
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        factors.map { $0 is SumKernel ? "(\($0.description))" : $0.description }.joined(separator: " * ")
    }
}

/// The sum kernel k₁ + k₂ (sums are flattened: `(a + b) + c` has three terms).
public func + (lhs: any Kernel, rhs: any Kernel) -> SumKernel { SumKernel([lhs, rhs]) }

/// The product kernel k₁ · k₂ (products are flattened: `(a * b) * c` has three factors).
public func * (lhs: any Kernel, rhs: any Kernel) -> ProductKernel { ProductKernel([lhs, rhs]) }

/// `c * k` = ``ConstantKernel``(c) · k: k scaled by a variance hyperparameter initialised to c > 0.
public func * (lhs: Double, rhs: any Kernel) -> ProductKernel { ConstantKernel(lhs) * rhs }

// MARK: Helpers shared by the composites

private func prefixedHyperparameters(_ children: [any Kernel]) -> [Hyperparameter] {
    children.enumerated().flatMap { index, child in
        child.hyperparameters.map { $0.renamed("k\(index + 1).\($0.name)") }
    }
}

/// Copy values, bounds and fixed flags (not names) from `flat` into the children in order.
private func assignHyperparameters(_ flat: [Hyperparameter], to children: inout [any Kernel]) {
    let total = children.reduce(0) { $0 + $1.parameterCount }
    precondition(flat.count == total, "expected \(total) hyperparameters, got \(flat.count)")
    var offset = 0
    for c in children.indices {
        var h = children[c].hyperparameters
        for k in h.indices {
            h[k].value = flat[offset + k].value
            h[k].bounds = flat[offset + k].bounds
            h[k].isFixed = flat[offset + k].isFixed
        }
        offset += h.count
        children[c].hyperparameters = h
    }
}

@inline(__always)
private func addInPlace(_ a: inout Matrix, _ b: Matrix) {
    precondition(a.rows == b.rows && a.columns == b.columns)
    for k in a.storage.indices { a.storage[k] += b.storage[k] }
}

@inline(__always)
private func multiplyInPlace(_ a: inout Matrix, _ b: Matrix) {
    precondition(a.rows == b.rows && a.columns == b.columns)
    for k in a.storage.indices { a.storage[k] *= b.storage[k] }
}
