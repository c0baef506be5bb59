import Foundation
import KernelKit

/// `kernelkit-bench pde [NAME …] [--iterations N (default: KernelLearning.defaultIterations)] [--components Q] [--kernel gaussian|student-t] [--grid N]
/// [--max-frequency F] [--margin M] [--equation-weight V] [--boundary-weight T] [--learn-precisions]
/// [--coarse NC [--fine-cg IT]] [--dump-kernels FILE]`: the GP-HM benchmark table. For each
/// built-in problem (default: all 1-D ones), learn the kernel (L-BFGS-B, exact solve for u at every step)
/// on the paper's grid and report the FINAL iterate's relative L2 error on the uniform 300-point
/// (300 × 300) test grid, wall-clock and process CPU seconds, L-BFGS-B iterations, solves (evaluations),
/// surviving components, the CG iterations summed over all solves, the data frequency bound and the six
/// heaviest components per axis. `--max-frequency`/`--margin` override the initial frequency range;
/// `--coarse NC` learns on an NC-point grid instead and then solves once on the paper's grid with the
/// learned kernels (PCG warm-started from the coarse GP interpolant, at most IT iterations, default 2000),
/// printing both errors — the coarse-learning experiment of the report. `--dump-kernels FILE` writes the
/// learned components, one per line: axis, weight, rate, frequency (cycles/unit).
func benchPDE(_ args: [String]) throws {
    var names: [String] = []
    var iterations: Int? = nil, components = 30
    var family = SpectralFamily.gaussian
    var grid: Int? = nil
    var coarse: Int? = nil
    var maxFrequency: Double? = nil
    var fineIterations = 2000
    var margin: Double? = nil
    var equationWeight: Double? = nil, boundaryWeight: Double? = nil
    var learnPrecisions = false
    var dump: String? = nil
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--iterations": iterations = Int(args[i + 1]); i += 2
        case "--components": components = Int(args[i + 1]) ?? components; i += 2
        case "--kernel": family = args[i + 1] == "student-t" ? .studentT : .gaussian; i += 2
        case "--grid": grid = Int(args[i + 1]); i += 2
        case "--coarse": coarse = Int(args[i + 1]); i += 2
        case "--max-frequency": maxFrequency = Double(args[i + 1]); i += 2
        case "--margin": margin = Double(args[i + 1]); i += 2
        case "--equation-weight": equationWeight = Double(args[i + 1]); i += 2
        case "--boundary-weight": boundaryWeight = Double(args[i + 1]); i += 2
        case "--learn-precisions": learnPrecisions = true; i += 1
        case "--dump-kernels": dump = args[i + 1]; i += 2
        case "--fine-cg": fineIterations = Int(args[i + 1]) ?? fineIterations; i += 2
        default: names.append(args[i]); i += 1
        }
    }
    let problems = names.isEmpty ? BenchmarkProblem.all.filter { $0.dimension == 1 } : try names.map { try BenchmarkProblem.named($0) }
    print("problem                grid   rel_l2_error   seconds   iterations  evaluations  surviving")
    for p in problems {
        let size = grid ?? p.defaultGridSize
        let test = try p.grid(size: 300)
        let truth = test.sample(p.exactSolution)
        func error(_ u: [Double]) -> Double {
            var num = 0.0, den = 0.0
            for j in u.indices { num += (u[j] - truth[j]) * (u[j] - truth[j]); den += truth[j] * truth[j] }
            return (num / den).squareRoot()
        }
        let start = Date()
        let c0 = cpuSeconds()
        let learnSize = coarse ?? size
        let pde = try p.problem(gridSize: learnSize)
        print("  data frequency bound (cycles/unit):", KernelLearning.dataFrequencyBound(pde).map { String(format: "%.2f (%.1f rad)", $0, 2 * Double.pi * $0) })
        let fit = try KernelLearning.fit(pde, options: KernelLearningOptions(
            components: components, family: family, maxFrequency: maxFrequency.map { Array(repeating: $0, count: p.dimension) },
            initialWeights: KernelLearning.initialWeights(pde, boundary: boundaryWeight, equation: equationWeight),
            iterations: iterations,
            learnPrecisions: learnPrecisions, frequencyMargin: margin))
        let seconds = Date().timeIntervalSince(start)
        let u = fit.system.interpolate(fit.solution.values, to: test)
        let surviving = fit.kernels[0].components.filter { $0.weight > 1e-6 * (fit.kernels[0].components.map(\.weight).max() ?? 0) }.count
        print(String(format: "%-22@ %5d   %.3e   %8.2f   %5d       %5d        %d  cg=%d cpu=%.2f", p.name as NSString, learnSize, error(u),
                     seconds, fit.iterations, fit.evaluations, surviving, fit.totalConjugateGradientIterations, cpuSeconds() - c0))
        print(String(format: "  precisions: boundary %.3e, equation %.3e; stop: %@", fit.weights.boundary, fit.weights.equation, fit.stopReason as NSString))
        let misfits = fit.system.misfits(pde, fit.solution.values)
        print(String(format: "  misfits (relative RMS): boundary %.2e, equation %.2e", misfits.boundary, misfits.equation))
        if let difference = fit.fixedKernelDifference {
            print(String(format: "  cross-check against the fixed initial kernel: relative difference %.2e%@", difference, fit.learningRejected ? " (learning rejected)" : ""))
        }
        for k in fit.kernels {
            print("  comps:", k.components.sorted { $0.weight > $1.weight }.prefix(6).map { String(format: "om=%.2f w=%.2e r=%.2e", 2 * Double.pi * $0.frequency, $0.weight, $0.rate) }.joined(separator: "; "))
        }
        if let dump {
            let lines = fit.kernels.enumerated().flatMap { k, kernel in
                kernel.components.map { String(format: "%d %.17g %.17g %.17g", k, $0.weight, $0.rate, $0.frequency) }
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: dump, atomically: true, encoding: .utf8)
        }
        if coarse != nil {
            let fine = try p.problem(gridSize: size)
            let t1 = Date()
            let system = try GPCollocation(grid: fine.grid, kernels: fit.kernels)
            let t2 = Date()
            fflush(nil)
            let coarseU = fit.system.interpolate(fit.solution.values, to: fine.grid)
            let sol = try system.solve(fine, weights: fit.weights, method: .conjugateGradient(tolerance: 1e-10, maxIterations: fineIterations), initialGuess: coarseU)
            let t3 = Date()
            let uf = system.interpolate(sol.values, to: test)
            print(String(format: "  fine %d: error %.3e  build %.2f s  solve %.2f s  cg %d  GN %d", size, error(uf),
                         t2.timeIntervalSince(t1), t3.timeIntervalSince(t2), sol.conjugateGradientIterations, sol.gaussNewtonIterations))
        }
    }
}
