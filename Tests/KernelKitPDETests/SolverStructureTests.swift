import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitPDE

@Suite("Structured assembly, boundary-corrected preconditioner and the data frequency bound")
struct SolverStructureTests {
    /// The structured dense normal matrix against H v computed by Kronecker mode products (an
    /// independent route) for every unit vector, on a 4 × 5 × 3 grid with all operator terms and a
    /// varying diagonal (as in a Gauss–Newton step). Tolerance 1e-9 relative to max |H|: the two
    /// sides sum the same products in different orders; factors have condition numbers ≲ 1e4.
    @Test("denseNormalMatrix equals the Kronecker matrix-vector product column by column (3-D)")
    func denseNormalMatrixMatchesProducts() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000)) { seed in
            let system = try! KroneckerOperatorTests.system(seed: seed)
            let n = system.grid.count
            var rng = TestRNG(seed: UInt64(seed))
            let diagonal = (0..<n).map { _ in standardNormal(using: &rng) }
            let op = DifferentialOperator(secondOrder: [1, -0.5, 2], firstOrder: [0.3, 0, -1], linear: 0)
            let weights = CollocationWeights(boundary: 50, equation: 2)
            let h = system.denseNormalMatrix(op, diagonal: diagonal, weights: weights)
            let scale = h.maxAbs
            for j in 0..<n {
                var e = [Double](repeating: 0, count: n)
                e[j] = 1
                let column = system.applyNormalMatrix(op, diagonal: diagonal, weights: weights, e)
                expectClose((0..<n).map { h[$0, j] }, column, rtol: 0, atol: 1e-9 * scale)
            }
        }
    }

    /// M⁻¹ r by the Woodbury identity against a dense solve with M = Q diag(p) Qᵀ + w SᵀS formed
    /// explicitly (S with the corners twice), on a 7 × 6 grid with random orthogonal Q₀, Q₁ (eigenvectors
    /// of random SPD matrices) and p in [1, 1e3]. Tolerance 1e-8 relative: cond(M) ≲ 1e6 here.
    @Test("the boundary-corrected preconditioner applies the inverse of P₀ + w SᵀS")
    func woodburyMatchesDense() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000)) { seed in
            var rng = TestRNG(seed: UInt64(seed))
            let grid = TensorGrid([try! UniformGrid(lower: 0, upper: 1, count: 7), try! UniformGrid(lower: 0, upper: 2, count: 6)])
            let shape = grid.shape, n = grid.count
            let q = shape.map { try! SymmetricEigen(randomSPDMatrix($0, using: &rng)).eigenvectors }
            let p = (0..<n).map { _ in exp(Double.random(in: 0...log(1e3), using: &rng)) }
            let w = 1e3
            let preconditioner = try! BoundaryCorrectedPreconditioner(eigenvectors: q, interiorDiagonal: p, shape: shape,
                                                                       boundaryIndices: grid.boundaryIndices, boundaryWeight: w)
            let qFull = KroneckerProduct(q).dense
            var m = BLAS.matmul(BLAS.matmul(qFull, Matrix.diagonal(p)), qFull, .none, .transpose)
            for r in grid.boundaryIndices { m[r, r] += w }
            let r = (0..<n).map { _ in standardNormal(using: &rng) }
            let expected = try! Cholesky(m, jitter: .none).solve(Vector(r)).elements
            let got = preconditioner.apply(r)
            expectClose(got, expected, rtol: 0, atol: 1e-8 * Vector(expected).maxAbs)
        }
    }

    /// A pure tone sin(2π·7x) on [0, 1] (200 points) in the source: the bound lies between the tone's
    /// 7 cycles/unit and 7 + 4/(nh) ≈ 11 (the Blackman–Harris main lobe; its sidelobes are below the
    /// 1e-8 threshold), plus one padded bin.
    @Test("the data frequency bound of a pure tone sits just above the tone")
    func boundOfPureTone() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 200)])
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1),
                                     source: grid.sample { sin(2 * .pi * 7 * $0[0]) }, boundaryValues: [0, 0])
        let bound = KernelLearning.dataFrequencyBound(problem)
        #expect(bound.count == 1 && bound[0] >= 7 && bound[0] <= 7 + 4 * 199 / 200.0 + 0.25, "bound \(bound)")
    }

    /// Advection 200u_x + u_y = 0 with u = sin(x − 200y): f ≡ 0, so only the boundary edges carry the
    /// frequencies: 200/(2π) ≈ 31.8 cycles/unit along y, 1/(2π) ≈ 0.16 along x. Bounds at most the
    /// main lobe's half-width 4/(nh) ≈ 4 cycles/unit (+ one padded bin) above.
    @Test("with a zero source the boundary values set the bound, per axis")
    func boundFromBoundary() throws {
        let problem = try BenchmarkProblem.named("advection-beta200").problem(gridSize: 120)
        let bound = KernelLearning.dataFrequencyBound(problem)
        #expect(bound.count == 2)
        #expect(bound[0] < 0.16 + 4.3, "bound along x \(bound[0])")
        #expect(bound[1] >= 200 / (2 * .pi) && bound[1] <= 200 / (2 * .pi) + 4.3, "bound along y \(bound[1])")
    }

    /// u = 10xyz + sin(πx) sin(2πy) sin(πz) on the unit cube (16³): the sine part vanishes on every
    /// face, so the faces carry 10xyz plus rounding, linear along every face fibre. Detrending leaves
    /// ~1e-15, which must not count as content: the bound is the source's, 0.5 or 1 cycle/unit plus the
    /// main lobe 4/(nh) = 3.75 (+ one padded bin), not the Nyquist frequency 7.5 (session 7: it was
    /// 7.5, and the fixed kernel's error 0.74 instead of 0.08).
    @Test("boundary data that are linear along an axis do not set the bound")
    func linearBoundaryData() throws {
        let axis = try UniformGrid(lower: 0, upper: 1, count: 16)
        let grid = TensorGrid([axis, axis, axis])
        let sines: ([Double]) -> Double = { p in sin(.pi * p[0]) * sin(2 * .pi * p[1]) * sin(.pi * p[2]) }
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 3), source: grid.sample { -6 * .pi * .pi * sines($0) },
                                     boundaryValues: grid.boundaryIndices.map { r in
                                         let p = grid.point(r)
                                         return 10 * p[0] * p[1] * p[2] + sines(p)
                                     })
        let bound = KernelLearning.dataFrequencyBound(problem)
        #expect(bound[0] <= 0.5 + 3.75 + 0.25 && bound[1] <= 1 + 3.75 + 0.25 && bound[2] <= 0.5 + 3.75 + 0.25, "bound \(bound)")
        let harmonic = try PDEProblem(grid: grid, equation: .laplacian(dimension: 3), source: [Double](repeating: 0, count: grid.count),
                                      boundaryValues: grid.boundaryIndices.map { r in 10 * grid.point(r).reduce(1, *) })
        #expect(KernelLearning.dataFrequencyBound(harmonic) == [0, 0, 0])
    }
}
