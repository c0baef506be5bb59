import Foundation
import KernelKit

/// `kernelkit-bench pde-3d [NAME …] [--grid N] [--iterations N] [--test-grid M]`: 3-D Poisson problems
/// Δu = f on a cube with Dirichlet values on all six faces (none is a GP-HM benchmark; the paper has no
/// 3-D problem), solved with the defaults of `KernelLearning.fit` (in 3-D: the initial kernel held
/// fixed, one exact Kronecker-PCG solve). Reports the final relative L2 error on a uniform M³ test grid
/// (default 60³), wall-clock and process CPU seconds and the CG iterations. The exact solution only
/// makes f and g and scores the result.
///   smooth  sin(πx) sin(2πy) sin(πz) + xyz        [0, 1]³
///   wave    sin(6x + 4y + 2z)                      [0, 2π]³
///   multi   sin x sin y sin z + 0.1 sin 20x sin 20y sin 20z, [0, 1]³ is too coarse for it: [0, π]³
func benchPDE3D(_ args: [String]) throws {
    var names: [String] = []
    var grid: Int? = nil, iterations: Int? = nil, testGrid = 60
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--grid": grid = Int(args[i + 1]); i += 2
        case "--iterations": iterations = Int(args[i + 1]); i += 2
        case "--test-grid": testGrid = Int(args[i + 1]) ?? testGrid; i += 2
        default: names.append(args[i]); i += 1
        }
    }
    typealias Field = ([Double]) -> Double
    // name: (upper end of [0, L]³, default points per axis, u, Δu)
    let problems: [(String, Double, Int, Field, Field)] = [
        ("smooth", 1, 24,
         { p in sin(.pi * p[0]) * sin(2 * .pi * p[1]) * sin(.pi * p[2]) + p[0] * p[1] * p[2] },
         { p in -6 * .pi * .pi * sin(.pi * p[0]) * sin(2 * .pi * p[1]) * sin(.pi * p[2]) }),
        ("wave", 2 * .pi, 40,
         { p in sin(6 * p[0] + 4 * p[1] + 2 * p[2]) },
         { p in -56 * sin(6 * p[0] + 4 * p[1] + 2 * p[2]) }),
        ("multi", .pi, 48,
         { p in sin(p[0]) * sin(p[1]) * sin(p[2]) + 0.1 * sin(20 * p[0]) * sin(20 * p[1]) * sin(20 * p[2]) },
         { p in -3 * sin(p[0]) * sin(p[1]) * sin(p[2]) - 120 * sin(20 * p[0]) * sin(20 * p[1]) * sin(20 * p[2]) }),
    ]
    let selected = names.isEmpty ? problems : problems.filter { names.contains($0.0) }
    print("problem  grid   rel_l2_error   seconds   cpu_seconds   cg_iterations")
    for (name, upper, defaultSize, u, laplacian) in selected {
        let n = grid ?? defaultSize
        let axis = try UniformGrid(lower: 0, upper: upper, count: n)
        let tensor = TensorGrid([axis, axis, axis])
        let problem = try PDEProblem(grid: tensor, equation: .laplacian(dimension: 3), source: tensor.sample(laplacian),
                                     boundaryValues: tensor.boundaryIndices.map { u(tensor.point($0)) })
        let start = Date(), c0 = cpuSeconds()
        let fit = try KernelLearning.fit(problem, options: KernelLearningOptions(iterations: iterations))
        let seconds = Date().timeIntervalSince(start), cpu = cpuSeconds() - c0
        let testAxis = try UniformGrid(lower: 0, upper: upper, count: testGrid)
        let test = TensorGrid([testAxis, testAxis, testAxis])
        let predicted = fit.system.interpolate(fit.solution.values, to: test)
        let truth = test.sample(u)
        var num = 0.0, den = 0.0
        for j in truth.indices { num += (predicted[j] - truth[j]) * (predicted[j] - truth[j]); den += truth[j] * truth[j] }
        let onGrid = tensor.sample(u)
        var gridNum = 0.0, gridDen = 0.0
        for j in onGrid.indices { gridNum += (fit.solution.values[j] - onGrid[j]) * (fit.solution.values[j] - onGrid[j]); gridDen += onGrid[j] * onGrid[j] }
        print(String(format: "%-7@ %3d³   %.3e   %8.2f   %8.2f   %d   (on the collocation grid: %.3e)", name as NSString, n, (num / den).squareRoot(), seconds, cpu,
                     fit.totalConjugateGradientIterations, (gridNum / gridDen).squareRoot()))
    }
}
