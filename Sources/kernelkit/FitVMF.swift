import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit fit vmf`: maximum-likelihood von Mises–Fisher fit (one distribution or an EM mixture)
/// to the rows of a data file, or κ̂ from the sufficient statistic R̄ alone.
struct FitVMFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmf",
        abstract: "Fit a von Mises-Fisher distribution (or a mixture) to directions in any dimension.",
        discussion: """
            The density on the unit sphere in R^p is f(x) = C_p(kappa) exp(kappa mu^T x). The \
            maximum-likelihood mean direction is the normalised sum of the rows; kappa solves \
            A_p(kappa) = I_{p/2}(kappa)/I_{p/2-1}(kappa) = Rbar exactly (safeguarded Newton on \
            log-scale Bessel functions), in any dimension (tested to p = 100000).

            DATA: --data takes a CSV or .npy file (one point per row) or a bundled dataset name \
            (default: digits). Rows that are not unit vectors are projected onto the sphere \
            (x/|x|) and counted in the output; zero rows and NaN/inf values are errors. --target \
            names a label column to leave out (bundled datasets: their target). --center subtracts \
            the column means before projecting (usual for clustering feature vectors).

            MIXTURES: --components K > 1 fits K components by EM with soft assignments (Banerjee \
            et al., JMLR 2005), k-means++ seeding, --restarts runs (the best is kept), --seed.

            SUFFICIENT STATISTIC: --rbar R --dim p [--n N] gives kappa (and the log-likelihood \
            N (log C_p(kappa) + kappa R) when N is given) without data.
            """)

    @Option(help: "Data file (.csv/.npy) or bundled dataset name (default: digits).")
    var data: String?

    @Option(help: "Label column to exclude from the features (name or index).")
    var target: String?

    @Flag(help: "Subtract the column means before projecting the rows onto the sphere.")
    var center = false

    @Option(help: "Number of mixture components K (default 1: a single vMF).")
    var components: Int = 1

    @Option(help: "EM runs from different seeds (mixtures only; the best log-likelihood is kept).")
    var restarts: Int = 5

    @Option(name: .customLong("max-iterations"), help: "Maximum EM iterations per run (mixtures only).")
    var maxIterations: Int = 300

    @Option(help: "Mean resultant length R in [0, 1): fit kappa from the sufficient statistic alone (with --dim).")
    var rbar: Double?

    @Option(help: "Dimension p >= 2 of the ambient space (with --rbar).")
    var dim: Int?

    @Option(help: "Number of points N behind --rbar (for the log-likelihood).")
    var n: Int?

    @OptionGroup var runtime: RuntimeOptions
    @Flag(help: "Print one JSON object on stdout instead of the human summary.")
    var json = false

    func validate() throws {
        if rbar != nil || dim != nil || n != nil {
            guard let rbar, let dim else { throw ValidationError("--rbar and --dim go together (and --n optionally)") }
            guard data == nil && target == nil && !center && components == 1 else {
                throw ValidationError("--rbar/--dim/--n fit from the statistic alone: drop --data, --target, --center and --components")
            }
            guard rbar >= 0 && rbar < 1 else {
                throw ValidationError("--rbar must be in [0, 1) (Rbar = 1 means kappa = infinity), got \(rbar)")
            }
            guard dim >= 2 else { throw ValidationError("--dim must be at least 2 (the circle), got \(dim)") }
            if let n, n < 1 { throw ValidationError("--n must be at least 1, got \(n)") }
        }
        guard components >= 1 else { throw ValidationError("--components must be at least 1, got \(components)") }
        guard restarts >= 1 else { throw ValidationError("--restarts must be at least 1, got \(restarts)") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1, got \(maxIterations)") }
    }

    func run() throws {
        runtime.apply()
        if let rbar, let dim { return try fitStatistic(rbar: rbar, dimension: dim) }
        let (path, defaultTarget) = try BundledData.resolve(data ?? "digits")
        let label = target ?? defaultTarget
        var dataset = try loadForCLI(path, DataReadOptions(target: label.map(dataColumn)))
        guard dataset.count >= 1, dataset.dimension >= 1 else { throw CLIError("\(path): no data rows") }
        if center { dataset.features = centered(dataset.features) }
        let x = dataset.features
        if components == 1 { try fitOne(x, path: path) } else { try fitMixture(x, path: path) }
    }

    /// κ̂ (and ℓ when --n is given) from R̄ and p, with the classical approximations beside it.
    private func fitStatistic(rbar: Double, dimension p: Int) throws {
        let kappa = try VonMisesFisher.concentration(meanResultantLength: rbar, dimension: p)
        let perPoint = try VonMisesFisher.logNormalizer(dimension: p, concentration: kappa) + kappa * rbar
        let approx = try approximations(rbar, p)
        if json {
            var object: [String: Any] = ["model": "vmf", "dimension": p, "mean_resultant_length": rbar,
                                         "kappa": jsonNumber(kappa), "log_likelihood_per_point": jsonNumber(perPoint),
                                         "approximations": approx.mapValues(jsonNumber)]
            if let n { object["n"] = n; object["log_likelihood"] = jsonNumber(Double(n) * perPoint) }
            try printJSON(object)
            return
        }
        print("von Mises-Fisher concentration from the mean resultant length Rbar = \(fmt(rbar, 17)) in p = \(p) dimensions")
        print("  kappa = \(fmt(kappa, 17))  (exact root of A_p(kappa) = Rbar)")
        print("  approximations: " + approx.sorted { $0.key < $1.key }.map { "\($0.key) \(fmt($0.value, 12))" }.joined(separator: ", "))
        if let n { print("  log-likelihood of \(n) points: \(fmt(Double(n) * perPoint, 12))") } else {
            print("  log-likelihood per point: \(fmt(perPoint, 12))")
        }
    }

    private func fitOne(_ x: Matrix, path: String) throws {
        let clock = ContinuousClock()
        var result: VonMisesFisherFit? = nil
        let elapsed = try clock.measure { result = try VonMisesFisher.fit(x) }
        let fit = result!
        let d = fit.distribution
        let approx = try approximations(fit.meanResultantLength, d.dimension)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if json {
            try printJSON(["model": "vmf", "data": path, "n": fit.count, "dimension": d.dimension,
                           "kappa": jsonNumber(d.concentration), "mean_resultant_length": jsonNumber(fit.meanResultantLength),
                           "mean_direction": d.meanDirection.elements.map(jsonNumber),
                           "log_likelihood": jsonNumber(fit.logLikelihood), "projected_rows": fit.offSphereRowCount,
                           "centered": center, "approximations": approx.mapValues(jsonNumber), "fit_seconds": seconds])
            return
        }
        print("von Mises-Fisher fit to \(path): n = \(fit.count) points in p = \(d.dimension) dimensions\(center ? " (columns centred)" : "")")
        print("  kappa = \(fmt(d.concentration, 12))  (mean resultant length Rbar = \(fmt(fit.meanResultantLength, 12)))")
        print("  mean direction: \(directionText(d.meanDirection))")
        print("  log-likelihood: \(fmt(fit.logLikelihood, 12))")
        print("  approximations of kappa: " + approx.sorted { $0.key < $1.key }.map { "\($0.key) \(fmt($0.value, 10))" }.joined(separator: ", "))
        print("  fit time (data in memory): \(fmt(seconds, 3)) s")
        if fit.offSphereRowCount > 0 {
            print("  note: \(fit.offSphereRowCount) of \(fit.count) rows were not unit vectors and were projected onto the sphere")
        }
    }

    private func fitMixture(_ x: Matrix, path: String) throws {
        let fit = try VonMisesFisherMixture.fit(x, components: components, restarts: restarts,
                                                maxIterations: maxIterations, seed: runtime.seed)
        let m = fit.mixture
        if json {
            try printJSON(["model": "vmf-mixture", "data": path, "n": x.rows, "dimension": m.dimension,
                           "components": components, "weights": m.weights.map(jsonNumber),
                           "kappa": m.components.map { jsonNumber($0.concentration) },
                           "mean_directions": m.components.map { $0.meanDirection.elements.map(jsonNumber) },
                           "log_likelihood": jsonNumber(fit.logLikelihood), "iterations": fit.logLikelihoodTrace.count - 1,
                           "converged": fit.converged, "restarts": restarts, "seed": runtime.seed,
                           "assignments": fit.assignments, "projected_rows": fit.offSphereRowCount, "centered": center])
            return
        }
        print("mixture of \(components) von Mises-Fisher distributions fitted to \(path): n = \(x.rows) points in p = \(m.dimension) dimensions\(center ? " (columns centred)" : "")")
        print("  EM: best of \(restarts) runs (seed \(runtime.seed)), \(fit.logLikelihoodTrace.count - 1) iterations, \(fit.converged ? "converged" : "stopped at --max-iterations")")
        print("  log-likelihood: \(fmt(fit.logLikelihood, 12))")
        let sizes = fit.assignments.reduce(into: [Int](repeating: 0, count: components)) { $0[$1] += 1 }
        for (k, c) in m.components.enumerated() {
            print("  component \(k): weight \(fmt(m.weights[k], 4)), kappa \(fmt(c.concentration, 8)), \(sizes[k]) points, direction \(directionText(c.meanDirection))")
        }
        if fit.offSphereRowCount > 0 {
            print("  note: \(fit.offSphereRowCount) of \(x.rows) rows were not unit vectors and were projected onto the sphere")
        }
    }

    private func approximations(_ rbar: Double, _ p: Int) throws -> [String: Double] {
        [
            "banerjee": try VonMisesFisher.banerjeeConcentration(meanResultantLength: rbar, dimension: p),
            "tanabe": try VonMisesFisher.tanabeConcentration(meanResultantLength: rbar, dimension: p),
            "sra1": try VonMisesFisher.sraConcentration(meanResultantLength: rbar, dimension: p, newtonSteps: 1),
            "sra2": try VonMisesFisher.sraConcentration(meanResultantLength: rbar, dimension: p, newtonSteps: 2),
        ]
    }

    private func directionText(_ mu: Vector) -> String {
        let shown = mu.elements.prefix(5).map { fmt($0, 4) }.joined(separator: ", ")
        return mu.count > 5 ? "[\(shown), ...] (first 5 of \(mu.count))" : "[\(shown)]"
    }

    private func centered(_ x: Matrix) -> Matrix {
        var c = x
        for j in 0..<x.columns {
            var mean = 0.0
            for i in 0..<x.rows { mean += x[i, j] }
            mean /= Double(x.rows)
            for i in 0..<x.rows { c[i, j] -= mean }
        }
        return c
    }
}
