import Foundation
import KernelKit

/// `kernelkit-bench pde [NAME …] [--iterations N] [--components Q] [--kernel gaussian|student-t] [--grid N]`:
/// the GP-HM benchmark table. For each built-in problem (default: all 1-D ones), learn the kernel
/// (L-BFGS-B, exact solve for u at every step) on the paper's grid and report the FINAL iterate's
/// relative L2 error on the uniform 300-point (300 × 300) test grid and the wall-clock seconds.
func benchPDE(_ args: [String]) throws {
    var names: [String] = []
    var iterations = 60, components = 30
    var family = SpectralFamily.gaussian
    var grid: Int? = nil
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--iterations": iterations = Int(args[i + 1]) ?? iterations; i += 2
        case "--components": components = Int(args[i + 1]) ?? components; i += 2
        case "--kernel": family = args[i + 1] == "student-t" ? .studentT : .gaussian; i += 2
        case "--grid": grid = Int(args[i + 1]); i += 2
        default: names.append(args[i]); i += 1
        }
    }
    let problems = names.isEmpty ? BenchmarkProblem.all.filter { $0.dimension == 1 } : try names.map { try BenchmarkProblem.named($0) }
    print("problem                grid   rel_l2_error   seconds   iterations  evaluations  surviving")
    for p in problems {
        let size = grid ?? p.defaultGridSize
        let pde = try p.problem(gridSize: size)
        let start = Date()
        let fit = try KernelLearning.fit(pde, options: KernelLearningOptions(
            components: components, family: family,
            initialWeights: CollocationWeights(boundary: 1e6, equation: 1), iterations: iterations))
        let seconds = Date().timeIntervalSince(start)
        let test = try p.grid(size: 300)
        let u = fit.system.interpolate(fit.solution.values, to: test)
        let truth = test.sample(p.exactSolution)
        var num = 0.0, den = 0.0
        for j in u.indices { num += (u[j] - truth[j]) * (u[j] - truth[j]); den += truth[j] * truth[j] }
        let surviving = fit.kernels[0].components.filter { $0.weight > 1e-6 * (fit.kernels[0].components.map(\.weight).max() ?? 0) }.count
        print(String(format: "%-22@ %5d   %.3e   %8.2f   %5d       %5d        %d", p.name as NSString, size, (num / den).squareRoot(),
                     seconds, fit.iterations, fit.evaluations, surviving))
    }
}
