import Foundation
import KernelKitLinalg

/// Which kernels to compute.
public enum KernelSelection: String, Sendable, CaseIterable {
    case nngp, ntk, both
}

/// NNGP and NTK matrices of an infinitely wide network (rows index the first input set).
public struct NeuralKernels: Sendable {
    /// K: the NNGP covariance, E[f(x)f(x′)] at initialisation (Lee et al. 2018).
    public let nngp: Matrix?
    /// Θ: the neural tangent kernel (Jacot et al. 2018).
    public let ntk: Matrix?
}

/// An infinitely wide network: the composition of `Layer` kernel maps, with the input kernel
/// K₀ = x·x′/d and Θ₀ = 0 (neural-tangents' conventions).
///
/// `kernels(x1, x2)` computes K and Θ tile by tile: the input Gram matrix comes from one BLAS
/// syrk/gemm into the output buffer, then each tile passes once through all layers (all
/// intermediate state is per-tile), so memory beyond the outputs is O(tile² + n).
/// Cost: O(n₁n₂d) for the Gram matrix plus O(n₁n₂·L) elementwise work for L layers (half of each
/// for a symmetric kernel).
public struct InfiniteWidthNetwork: Sendable, CustomStringConvertible {
    /// The layers, applied in order.
    public let layers: [Layer]

    /// A network from its layers (checked once here).
    public init(_ layers: [Layer]) throws {
        self.layers = layers
        try Layer.serial(layers).validate()
    }

    public var description: String { Layer.serial(layers).description }

    /// NNGP and/or NTK between the rows of `x1` and the rows of `x2` (`nil`: x2 = x1, symmetric).
    /// - Throws: `NTKError.shapeMismatch`, `.nonFinite`, `.degenerate`.
    /// `threads` tiles are processed concurrently (results do not depend on it); the BLAS call uses
    /// OpenBLAS's own thread setting.
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, get: KernelSelection = .both,
                        tileSize: Int = 256, threads: Int = 1) throws -> NeuralKernels {
        guard x1.isFinite else { throw NTKError.nonFinite("first input") }
        if let x2 {
            guard x2.isFinite else { throw NTKError.nonFinite("second input") }
            guard x2.columns == x1.columns else {
                throw NTKError.shapeMismatch("inputs have \(x1.columns) and \(x2.columns) features")
            }
        }
        guard x1.columns > 0 else { throw NTKError.shapeMismatch("inputs have no features") }
        let plan = try CompiledNetwork(layers: Layer.serial(layers), inputDimension: x1.columns)
        let symmetric = x2 == nil
        let b = x2 ?? x1
        let (n1, n2, d) = (x1.rows, b.rows, x1.columns)

        // Per-point input variances ‖x‖²/d by one fixed-order loop; near-parallel pairs are
        // recomputed by the same loop so duplicated inputs give bitwise-equal k₁₂ = k₁₁ = k₂₂.
        let xt1 = x1.transposed, xt2 = symmetric ? xt1 : b.transposed
        let var1 = (0..<n1).map { exactDot(xt1, $0, xt1, $0) / Double(d) }
        let var2 = symmetric ? var1 : (0..<n2).map { exactDot(xt2, $0, xt2, $0) / Double(d) }

        var k = Matrix(rows: n1, columns: n2)
        if symmetric {
            BLAS.syrk(.lower, .none, alpha: 1 / Double(d), x1, &k)
        } else {
            BLAS.gemm(.none, .transpose, alpha: 1 / Double(d), x1, b, &k)
        }
        let wantNTK = get != .nngp

        let tile = Swift.max(16, tileSize)
        let tiles: [(Range<Int>, Range<Int>)] = stride(from: 0, to: n2, by: tile).flatMap { j0 in
            stride(from: symmetric ? j0 : 0, to: n1, by: tile).map { i0 in
                (i0..<Swift.min(i0 + tile, n1), j0..<Swift.min(j0 + tile, n2))
            }
        }
        // Tiles are independent: each reads its own block of K₀ and writes its own block of K and Θ
        // (plus the mirror image, for a symmetric kernel, which no tile reads).
        let workers = Swift.max(1, Swift.min(threads, tiles.count))
        var theta = wantNTK ? Matrix(rows: n1, columns: n2) : Matrix(rows: 0, columns: 0)
        try k.withConcurrentBlocks { kBlocks in
            try theta.withConcurrentBlocks { thetaBlocks in
                try concurrentForEach(workers, threads: workers) { worker in
                    var state = TileState(withNTK: wantNTK)
                    for t in stride(from: worker, to: tiles.count, by: workers) {
                        let (rows, columns) = tiles[t]
                        let diagonal = symmetric && rows.lowerBound == columns.lowerBound
                        state.load(kBlocks, rows: rows, columns: columns, rowVariance: var1[rows], columnVariance: var2[columns])
                        state.fixNearParallel(xt1, xt2, rowOffset: rows.lowerBound, columnOffset: columns.lowerBound,
                                              dimension: d, symmetricDiagonal: diagonal)
                        try plan.run(&state)
                        if diagonal { state.symmetrizeFromLower() }
                        let mirror = symmetric && !diagonal
                        kBlocks.setBlock(rows: rows, columns: columns, from: state.nngp, mirrored: mirror)
                        if let values = state.ntk { thetaBlocks.setBlock(rows: rows, columns: columns, from: values, mirrored: mirror) }
                    }
                }
            }
        }
        return NeuralKernels(nngp: get == .ntk ? nil : k, ntk: wantNTK ? theta : nil)
    }
}

/// Σₖ a[k, i]·b[k, j] over columns i of `a` and j of `b` (points stored as columns), in one fixed
/// order: the reference dot product for variances and near-parallel pairs.
@inline(__always)
func exactDot(_ a: Matrix, _ i: Int, _ b: Matrix, _ j: Int) -> Double {
    let d = a.rows
    var s = 0.0
    for k in 0..<d { s += a.storage[k + i * d] * b.storage[k + j * d] }
    return s
}

/// The kernel state of one tile while it passes through the layers. One instance is reused for
/// every tile of a computation, so its buffers are allocated once.
struct TileState {
    var nngp: [Double] = []
    var ntk: [Double]?
    var rowVariance: [Double] = []
    var columnVariance: [Double] = []
    /// n_in for the next standard-parameterization Dense layer.
    var fanIn: Int = 0
    /// Scratch space for the duals (same size as the tile).
    var scratch: [Double] = []
    var scratch2: [Double] = []

    init(withNTK: Bool) { ntk = withNTK ? [] : nil }

    /// Starts a new tile: K₀ entries from `k`, Θ₀ = 0, the given per-point variances.
    mutating func load(_ k: ConcurrentBlocks, rows: Range<Int>, columns: Range<Int>, rowVariance r: ArraySlice<Double>,
                       columnVariance c: ArraySlice<Double>) {
        k.copyBlock(rows: rows, columns: columns, into: &nngp)
        if ntk != nil {
            if ntk!.count == nngp.count {
                for i in ntk!.indices { ntk![i] = 0 }
            } else {
                ntk = [Double](repeating: 0, count: nngp.count)
            }
        }
        rowVariance = Array(r)
        columnVariance = Array(c)
    }

    /// Replaces Gram entries with cos² within 2e-12 of 1 (and the diagonal of a symmetric tile) by
    /// the fixed-order dot product, so they are consistent with the per-point variances.
    mutating func fixNearParallel(_ xt1: Matrix, _ xt2: Matrix, rowOffset: Int, columnOffset: Int,
                                  dimension d: Int, symmetricDiagonal: Bool) {
        let rows = rowVariance.count
        for j in columnVariance.indices {
            let v2 = columnVariance[j]
            for i in 0..<rows {
                let idx = i + j * rows
                if symmetricDiagonal && i == j {
                    nngp[idx] = rowVariance[i]
                    continue
                }
                let c = nngp[idx]
                if c * c >= (1 - 2e-12) * (rowVariance[i] * v2) {
                    nngp[idx] = exactDot(xt1, rowOffset + i, xt2, columnOffset + j) / Double(d)
                }
            }
        }
    }

    /// Copies the lower triangle of a square (diagonal) tile onto its upper triangle.
    mutating func symmetrizeFromLower() {
        let n = rowVariance.count
        for j in 0..<n {
            for i in (j + 1)..<Swift.max(j + 1, n) {
                nngp[j + i * n] = nngp[i + j * n]
                if ntk != nil { ntk![j + i * n] = ntk![i + j * n] }
            }
        }
    }
}

/// A network with its activation duals prepared (coefficient tables, quadrature nodes).
struct CompiledNetwork: Sendable {
    indirect enum Step: Sendable {
        case dense(w: Double, b: Double?, width: Int, parameterization: Parameterization)
        case activation(DualMap)
        case layerNorm
        case identity
        case serial([Step])
        case parallelSum([Step])
    }
    let root: Step
    let inputDimension: Int

    init(layers: Layer, inputDimension: Int) throws {
        func compile(_ l: Layer) throws -> Step {
            switch l {
            case let .dense(w, b, width, p): return .dense(w: w, b: b, width: width, parameterization: p)
            case let .activation(a): return .activation(try DualMap(a))
            case .layerNorm: return .layerNorm
            case .identity: return .identity
            case let .serial(ls): return .serial(try ls.map(compile))
            case let .parallelSum(ls): return .parallelSum(try ls.map(compile))
            }
        }
        root = try compile(layers)
        self.inputDimension = inputDimension
    }

    func run(_ state: inout TileState) throws {
        state.fanIn = inputDimension
        try apply(root, &state)
    }

    private func apply(_ step: Step, _ s: inout TileState) throws {
        switch step {
        case let .dense(w, b, width, p):
            let w2 = w * w, b2 = (b ?? 0) * (b ?? 0)
            let nIn = Double(s.fanIn), one = b == nil ? 0.0 : 1.0
            if var theta = s.ntk {
                s.ntk = nil
                s.nngp.withUnsafeBufferPointer { k in
                    theta.withUnsafeMutableBufferPointer { t in
                        switch p {
                        case .ntk: for i in 0..<t.count { t[i] = (w2 * k[i] + b2) + w2 * t[i] }
                        case .standard: for i in 0..<t.count { t[i] = nIn * k[i] + w2 * t[i] + one }
                        }
                    }
                }
                s.ntk = theta
            }
            s.nngp.withUnsafeMutableBufferPointer { k in for i in 0..<k.count { k[i] = w2 * k[i] + b2 } }
            for i in s.rowVariance.indices { s.rowVariance[i] = w2 * s.rowVariance[i] + b2 }
            for i in s.columnVariance.indices { s.columnVariance[i] = w2 * s.columnVariance[i] + b2 }
            s.fanIn = width
        case let .activation(dual):
            try dual.apply(nngp: &s.nngp, ntk: &s.ntk, rowVariance: s.rowVariance, columnVariance: s.columnVariance,
                           scratch: &s.scratch, scratch2: &s.scratch2)
            try dual.applyToVariances(&s.rowVariance)
            try dual.applyToVariances(&s.columnVariance)
        case .layerNorm:
            guard s.rowVariance.allSatisfy({ $0 > 0 }) && s.columnVariance.allSatisfy({ $0 > 0 }) else {
                throw NTKError.degenerate("layer_norm of an input with zero variance (an all-zero input row?)")
            }
            let rows = s.rowVariance.count
            let r = s.rowVariance.map { 1 / $0.squareRoot() }
            let c = s.columnVariance.map { 1 / $0.squareRoot() }
            for j in c.indices {
                for i in 0..<rows { s.nngp[i + j * rows] *= r[i] * c[j] }
            }
            if var theta = s.ntk {
                s.ntk = nil
                for j in c.indices { for i in 0..<rows { theta[i + j * rows] *= r[i] * c[j] } }
                s.ntk = theta
            }
            s.rowVariance = s.rowVariance.map { _ in 1 }
            s.columnVariance = s.columnVariance.map { _ in 1 }
        case .identity:
            return
        case let .serial(steps):
            for st in steps { try apply(st, &s) }
        case let .parallelSum(branches):
            var total: TileState? = nil
            for br in branches {
                var copy = s
                try apply(br, &copy)
                if var t = total {
                    for i in t.nngp.indices { t.nngp[i] += copy.nngp[i] }
                    if var theta = t.ntk, let add = copy.ntk {
                        t.ntk = nil
                        for i in theta.indices { theta[i] += add[i] }
                        t.ntk = theta
                    }
                    for i in t.rowVariance.indices { t.rowVariance[i] += copy.rowVariance[i] }
                    for i in t.columnVariance.indices { t.columnVariance[i] += copy.columnVariance[i] }
                    total = t
                } else {
                    total = copy
                }
            }
            s = total!
        }
    }
}
