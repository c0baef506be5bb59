import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitPDE

/// Fixtures/gp_poisson_{1d,2d_small}_ref.json: dense (NumPy) minimisers of the fixed-kernel GP-HM
/// collocation objective J(u) = ½uᵀK⁻¹u + w_bc/2‖u_b − g‖² + w_eq/2‖Dop u − f‖², K with jitter 1e-6,
/// Dop = K″K⁻¹ per axis, boundary in GP-HM order (2-D corners twice). Copied from
/// shared/reference/pde; the files' "conventions" fields define the objective.
enum PDEReference {
    static func json(_ name: String) -> [String: Any] {
        let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json")!
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
    static var oneD: [String: Any] { json("gp_poisson_1d_ref") }
    static var twoD: [String: Any] { json("gp_poisson_2d_small_ref") }

    static func doubles(_ any: Any?) -> [Double] { (any as! [NSNumber]).map(\.doubleValue) }
    static func number(_ any: Any?) -> Double { (any as! NSNumber).doubleValue }

    /// The 1-D problem u = sin(2πx) + 0.1 sin(50πx) on linspace(0, 1, 200).
    static func problem1D() throws -> PDEProblem {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 200)])
        let f = grid.sample { x in
            -pow(2 * .pi, 2) * sin(2 * .pi * x[0]) - 0.1 * pow(50 * .pi, 2) * sin(50 * .pi * x[0])
        }
        let g = grid.boundaryIndices.map { r in
            let x = grid.point(r)[0]
            return sin(2 * .pi * x) + 0.1 * sin(50 * .pi * x)
        }
        return try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: f, boundaryValues: g)
    }

    /// The 2-D problem u = sin(2πx)sin(2πy) + 0.1 sin(8πx)sin(8πy) on a 32 × 32 grid of [0, 1]².
    static func problem2D() throws -> PDEProblem {
        let axis = try UniformGrid(lower: 0, upper: 1, count: 32)
        let grid = TensorGrid([axis, axis])
        func u(_ p: [Double]) -> Double {
            sin(2 * .pi * p[0]) * sin(2 * .pi * p[1]) + 0.1 * sin(8 * .pi * p[0]) * sin(8 * .pi * p[1])
        }
        let f = grid.sample { p in
            -2 * pow(2 * .pi, 2) * sin(2 * .pi * p[0]) * sin(2 * .pi * p[1])
                - 0.1 * 2 * pow(8 * .pi, 2) * sin(8 * .pi * p[0]) * sin(8 * .pi * p[1])
        }
        let g = grid.boundaryIndices.map { u(grid.point($0)) }
        return try PDEProblem(grid: grid, equation: .laplacian(dimension: 2), source: f, boundaryValues: g)
    }

    static func kernel1D(_ c: [String: Any]) -> SpectralMixtureKernel {
        let params = c["params"] as! [String: Any]
        let gaussian = (c["kernel"] as! String) == "se_cos"
        return SpectralMixtureKernel(family: gaussian ? .gaussian : .studentT, weights: doubles(params["w"]),
                                     rates: doubles(params[gaussian ? "a" : "b"]), frequencies: doubles(params["mu"]))
    }
}

@Suite("PDE reference solutions (dense NumPy minimisers of the GP-HM objective)")
struct PDEReferenceTests {
    /// Tolerances: K has condition number ≈ 6e7 here, so the minimiser is only defined to about
    /// ε·cond(K) in double precision. Measured spread between two independent double-precision
    /// formulations (normal equations in u; whitened least squares u = Lz by SVD): ≤ 1.2e-8 for
    /// w_eq ≤ 1e4 and ≤ 1.4e-7 for w_eq = 1e6; J (itself evaluated through K⁻¹ and K″K⁻¹) differs from
    /// the file by ≤ 4e-6 with either formulation. Hence u to 3e-8 (3e-7 at w_eq = 1e6) and J to 1e-5.
    @Test("1-D: all 8 fixed-kernel cases (SE×cos and Matérn-5/2×cos, w_eq = 1 … 1e6)")
    func oneDimensional() throws {
        let problem = try PDEReference.problem1D()
        for c in PDEReference.oneD["cases"] as! [[String: Any]] {
            let kernel = PDEReference.kernel1D(c)
            let weights = CollocationWeights(boundary: PDEReference.number(c["w_bc"]), equation: PDEReference.number(c["w_eq"]))
            let system = try GPCollocation(grid: problem.grid, kernels: [kernel], jitter: 1e-6)
            let solution = try system.solve(problem, weights: weights, method: .dense)
            let reference = PDEReference.doubles(c["u_grid"])
            let rel = relativeDifference(solution.values, reference)
            let tolerance = weights.equation >= 1e6 ? 3e-7 : 3e-8
            #expect(rel <= tolerance, "\(c["kernel"]!) w_eq=\(weights.equation): relative difference \(rel)")
            expectClose(solution.objective, PDEReference.number(c["objective_J"]), rtol: 1e-5)
            // The test-grid error the file reports (a property of the objective, not of the solver).
            let test = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 300)])
            let predicted = system.interpolate(solution.values, to: test)
            let truth = test.sample { sin(2 * .pi * $0[0]) + 0.1 * sin(50 * .pi * $0[0]) }
            expectClose(relativeDifference(predicted, truth), PDEReference.number(c["rel_l2_test300"]), rtol: 1e-5)
        }
    }

    /// 2-D, 32 × 32 (N = 1024), Matérn-5/2×cos in each axis. The file's own dense-vs-PCG difference is
    /// 3e-11 at w_eq = 1e4 (well conditioned) and 1.5e-7 at w_eq = 1. Measured here: dense 1.3e-9 and
    /// 1.9e-7. Tolerances: 5e-9 (w_eq = 1e4) and 1e-6 (w_eq = 1, the issue's bound is 1e-4).
    @Test("2-D: both cases, by the dense solve and by Kronecker PCG")
    func twoDimensional() throws {
        let problem = try PDEReference.problem2D()
        let json = PDEReference.twoD
        let params = json["params"] as! [String: Any]
        let kernel = SpectralMixtureKernel(family: .studentT, weights: PDEReference.doubles(params["w"]),
                                           rates: PDEReference.doubles(params["b"]), frequencies: PDEReference.doubles(params["mu"]))
        let system = try GPCollocation(grid: problem.grid, kernels: [kernel, kernel], jitter: PDEReference.number(json["jitter"]))
        for c in json["cases"] as! [[String: Any]] {
            let weights = CollocationWeights(boundary: PDEReference.number(c["w_bc"]), equation: PDEReference.number(c["w_eq"]))
            let reference = (c["U_dense"] as! [[NSNumber]]).flatMap { $0.map(\.doubleValue) }
            let tolerance = weights.equation == 1 ? 1e-6 : 5e-9
            for method in [LinearSolveMethod.dense, .conjugateGradient(tolerance: 1e-12, maxIterations: 5000)] {
                let solution = try system.solve(problem, weights: weights, method: method)
                let rel = relativeDifference(solution.values, reference)
                #expect(rel <= tolerance, "w_eq=\(weights.equation) \(method): relative difference \(rel)")
                expectClose(solution.objective, PDEReference.number(c["objective_J"]), rtol: 1e-5)
            }
        }
    }
}

/// ‖a − b‖₂ / ‖b‖₂.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    Vector(zip(a, b).map { $0 - $1 }).norm / Vector(b).norm
}
