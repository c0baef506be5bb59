import Foundation
import KernelKit

/// `kernelkit-bench pde-fine [NAME …] [--grid N,N,…] [--learn-grid M] [--iterations I] [--components Q]
/// [--kernel gaussian|student-t] [--tolerance T] [--test-grid M2] [--refinement R]
/// [--balance none|equation|boundary] [--no-continuation]`: the fine-grid 1-D route. As on that route
/// (`learnCoarseSolveFine`), the learning is `fit`'s with its 1-D equation-precision continuation;
/// `--no-continuation` turns it off.
/// `--balance` (default none: the learned precisions as they are, the route of
/// `ToeplitzCollocation.learnCoarseSolveFine`) rescales them for the fine grid: `equation` multiplies
/// w_eq by h_fine/h_coarse (the equation term as the same Riemann sum per unit length as on the
/// learning grid), `boundary` divides w_bc by it. `--refinement` sets the K⁻¹ refinement steps (2).
/// For each problem (default poisson1d-sin100, poisson1d-xsin200, poisson1d-sin500): learn the kernel
/// with `KernelLearning.fit` on the coarse grid (default: the paper's grid), then for each fine grid
/// size (default 1e5 and 1e6) solve the collocation objective exactly with the learned kernel and
/// weights by `ToeplitzCollocation` (PCG with FFT products, started from the coarse solution
/// interpolated to the fine grid, which is kept when PCG ends above it: `kept_coarse_start`). Reports, per fine grid: the relative L2
/// error of the GP mean on the 300-point test grid and on a finer test grid (default 3001 points),
/// PCG iterations, the true relative residual, the kernel eigenspace's dimension r, and process CPU
/// seconds of the learning, the fine set-up and the fine solve (run with OPENBLAS_NUM_THREADS=1).
/// One JSON object per line.
func benchPDEFineGrid(_ args: [String]) throws {
    if args.first == "check" { return try benchPDEFineGridCheck(Array(args.dropFirst())) }
    var names: [String] = []
    var grids = [100_000, 1_000_000]
    var learnGrid: Int? = nil
    var iterations = 60, components = 30
    var family = SpectralFamily.gaussian
    var tolerance = 1e-10
    var fineTest = 3001
    var refinement = 2
    var balance = "none"
    var continuation: [Double]? = nil
    var i = 0
    func value(_ k: Int) throws -> String {
        guard k < args.count else { throw PDEError.invalidProblem("\(args[k - 1]) needs a value") }
        return args[k]
    }
    while i < args.count {
        switch args[i] {
        case "--grid": grids = try value(i + 1).split(separator: ",").compactMap { Int($0) }; i += 2
        case "--learn-grid": learnGrid = Int(try value(i + 1)); i += 2
        case "--iterations": iterations = Int(try value(i + 1)) ?? iterations; i += 2
        case "--components": components = Int(try value(i + 1)) ?? components; i += 2
        case "--kernel": family = try value(i + 1) == "student-t" ? .studentT : .gaussian; i += 2
        case "--tolerance": tolerance = Double(try value(i + 1)) ?? tolerance; i += 2
        case "--test-grid": fineTest = Int(try value(i + 1)) ?? fineTest; i += 2
        case "--refinement": refinement = Int(try value(i + 1)) ?? refinement; i += 2
        case "--balance": balance = try value(i + 1); i += 2
        case "--no-continuation": continuation = []; i += 1
        default: names.append(args[i]); i += 1
        }
    }
    if names.isEmpty { names = ["poisson1d-sin100", "poisson1d-xsin200", "poisson1d-sin500"] }
    for name in names {
        let p = try BenchmarkProblem.named(name)
        guard p.dimension == 1 else { throw PDEError.invalidProblem("\(name) is not a 1-D problem") }
        let coarseSize = learnGrid ?? p.defaultGridSize
        let c0 = cpuSeconds()
        let coarse = try p.problem(gridSize: coarseSize)
        let learning = KernelLearningOptions(components: components, family: family, iterations: iterations,
                                             equationWeightContinuation: continuation)
        let fit = try KernelLearning.fit(coarse, options: learning)
        let learnSeconds = cpuSeconds() - c0
        let tests = try [300, fineTest].map { try p.grid(size: $0).axes[0].points }
        func relativeError(_ u: [Double], _ x: [Double]) -> Double {
            var num = 0.0, den = 0.0
            for j in u.indices {
                let t = p.exactSolution([x[j]])
                num += (u[j] - t) * (u[j] - t)
                den += t * t
            }
            return (num / den).squareRoot()
        }
        let coarseError = relativeError(fit.system.interpolate(fit.solution.values, to: TensorGrid([try UniformGrid(
            lower: p.lower, upper: p.upper, count: 300)])), tests[0])
        print("{\"problem\": \"\(name)\", \"learn_grid\": \(coarseSize), \"learn_cpu_s\": \(learnSeconds), "
            + "\"learn_iterations\": \(fit.iterations), \"coarse_rel_l2_test300\": \(coarseError)}")
        fflush(nil)
        for n in grids {
            let c1 = cpuSeconds()
            let fine = try p.problem(gridSize: n)
            let system = try ToeplitzCollocation(grid: fine.grid.axes[0], kernel: fit.kernels[0],
                                                 jitter: ToeplitzCollocation.fineGridJitter(learning.jitter, kernel: fit.kernels[0], scale: fit.scale),
                                                 refinementSteps: refinement)
            let c2 = cpuSeconds()
            let ratio = Double(coarseSize - 1) / Double(n - 1)
            let weights = balance == "equation" ? CollocationWeights(boundary: fit.weights.boundary, equation: fit.weights.equation * ratio)
                : balance == "boundary" ? CollocationWeights(boundary: fit.weights.boundary / ratio, equation: fit.weights.equation) : fit.weights
            let (solution, keptStart) = try system.solve(fine, startingFrom: fit, weights: weights, tolerance: tolerance)
            let c3 = cpuSeconds()
            let errors = tests.map { relativeError(system.predict(coefficients: solution.coefficients, at: $0), $0) }
            print("{\"problem\": \"\(name)\", \"grid\": \(n), \"rel_l2_test300\": \(errors[0]), "
                + "\"rel_l2_test\(fineTest)\": \(errors[1]), \"cg_iterations\": \(solution.conjugateGradientIterations), "
                + "\"gauss_newton\": \(solution.gaussNewtonIterations), \"relative_residual\": \(solution.relativeResidual), \"kept_coarse_start\": \(keptStart), "
                + "\"eigenspace_dimension\": \(system.eigenspaceDimension), \"setup_iterations\": \(system.setupIterations), \"setup_cpu_s\": \(c2 - c1), "
                + "\"solve_cpu_per_cg_iteration\": \((c3 - c2) / Double(max(1, solution.conjugateGradientIterations))), "
                + "\"solve_cpu_s\": \(c3 - c2), \"total_cpu_s\": \(learnSeconds + c3 - c1)}")
            fflush(nil)
        }
    }
}

/// `kernelkit-bench pde-fine check [N …]`: ToeplitzCollocation against GPCollocation's dense solve with
/// the same kernel and weights, on the benchmark problems at small grids (default N = 400, 1000), for
/// several PCG tolerances: relative difference of u at the grid, of the GP mean on the 300-point test
/// grid, J(u_fast)/J(u_dense) − 1 with both evaluated by GPCollocation.objective, and the PCG iterations.
func benchPDEFineGridCheck(_ args: [String]) throws {
    let sizes = args.compactMap { Int($0) }
    for name in ["poisson1d-sin100", "poisson1d-xsin200", "poisson1d-sin500", "allencahn1d-sin100"] {
        let p = try BenchmarkProblem.named(name)
        for n in sizes.isEmpty ? [400, 1000] : sizes {
            guard let problem = try? p.problem(gridSize: n) else { continue }
            let omega = p.highestAngularFrequency / (2 * Double.pi)
            for family in SpectralFamily.allCases {
                let kernel = SpectralMixtureKernel(family: family, weights: [1, 0.1], rates: family == .gaussian ? [20, 5] : [3, 2],
                                                   frequencies: [omega, 0])
                for weights in [CollocationWeights(boundary: 1e6, equation: 1), CollocationWeights(boundary: 1e6, equation: 1e4)] {
                    let dense = try GPCollocation(grid: problem.grid, kernels: [kernel])
                    let reference = try dense.solve(problem, weights: weights, method: .dense)
                    let test = try UniformGrid(lower: p.lower, upper: p.upper, count: 300)
                    let denseTest = dense.interpolate(reference.values, to: TensorGrid([test]))
                    let fast = try ToeplitzCollocation(grid: problem.grid.axes[0], kernel: kernel)
                    for tolerance in [1e-8, 1e-10, 1e-12] {
                        let s = try fast.solve(problem, weights: weights, tolerance: tolerance)
                        let t = fast.predict(coefficients: s.coefficients, at: test.points)
                        func rel(_ a: [Double], _ b: [Double]) -> Double {
                            var num = 0.0, den = 0.0
                            for i in a.indices { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i] }
                            return (num / den).squareRoot()
                        }
                        print(String(format: "%@ N=%d %@ w_eq=%g tol=%g: u %.2e  test %.2e  J %.2e  cg %d  GN %d/%d", name, n,
                                     family.rawValue, weights.equation, tolerance, rel(s.values, reference.values), rel(t, denseTest),
                                     dense.objective(problem, s.values, weights: weights) / reference.objective - 1, s.conjugateGradientIterations,
                                     s.gaussNewtonIterations, reference.gaussNewtonIterations))
                        fflush(nil)
                    }
                }
            }
        }
    }
}
