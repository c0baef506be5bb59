import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit analyze ntk`: the NTK spectrum of a dataset with per-direction convergence times,
/// and how finite-width empirical NTKs approach the infinite-width one.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse the NTK of a network on a dataset: spectrum, convergence times, finite vs infinite width.",
        discussion: """
            `kernelkit analyze ntk --data diabetes` eigendecomposes the infinite-width NTK on the \
            (standardised) inputs, reports the largest eigenvalues, the gradient-flow time scale \
            tau_i = N/(lr*lambda_i) of each eigendirection and the share of the target it carries \
            (Jacot et al. 2018, section 5), then draws random finite networks of each --widths and \
            reports the relative Frobenius deviation of their empirical NTK from the limit and its \
            log-log slope (about -1/2).
            """)

    @Argument(help: "What to analyse (ntk).")
    var what: String = "ntk"

    @Option(help: "Data file or bundled dataset name.")
    var data: String = "diabetes"

    @Option(help: "Target column (name or index); default: the dataset's target or the last column.")
    var target: String?

    @Option(help: "Architecture (hidden Dense widths are replaced by --widths for the finite networks).")
    var arch: String = "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05,1)"

    @Option(help: "At most this many points (the first ones) are used.")
    var points: Int = 200

    @Option(help: "Comma-separated widths for the finite-width study.")
    var widths: String = "64,256,1024"

    @Option(help: "Random networks per width.")
    var seeds: Int = 4

    @Option(help: "Eigenvalues to list.")
    var top: Int = 10

    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard what == "ntk" else { throw ValidationError("only `analyze ntk` exists, got '\(what)'") }
        guard points >= 2 else { throw ValidationError("--points must be at least 2") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard parsedWidths != nil else { throw ValidationError("--widths must be positive integers separated by commas, got '\(widths)'") }
    }

    var parsedWidths: [Int]? {
        let w = widths.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !w.isEmpty, w.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return w.map { $0! }
    }

    func run() throws {
        runtime.apply()
        let (path, bundledTarget) = try BundledData.resolve(data)
        let column: DataColumn = target.map(dataColumn) ?? bundledTarget.map { .name($0) } ?? .index(-1)
        var set = try Dataset.load(path, options: DataReadOptions(target: column, missingValues: data == "co2-weekly" ? .dropRows : .error))
        if set.count > points { set = set.rows(Array(0..<points)) }
        let d = set.dimension
        let x = Matrix(rows: set.count, columns: d) { i, j in
            let col = set.features.column(j).elements
            let m = col.reduce(0, +) / Double(col.count)
            let s = (col.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(col.count)).squareRoot()
            return s > 0 ? (set.features[i, j] - m) / s : 0
        }
        let y = set.target.map { t -> Vector in
            let m = t.sum / Double(t.count)
            return Vector(t.elements.map { $0 - m })
        }
        let layers = try parseArchitecture(arch, parameterization: .ntk)
        let theta = try InfiniteWidthNetwork(layers).kernels(x, get: .ntk).ntk!
        let spectrum = try NTKSpectrum(ntk: theta, targets: y)
        printStatus("kernelkit: finite-width study, widths \(widths), \(seeds) networks each…")
        let study = try WidthConvergence(layers: layers, inputs: x, widths: parsedWidths!, seeds: seeds, seed: runtime.seed)
        let totalEnergy = spectrum.targetEnergy.map { $0.reduce(0, +) }
        let k = Swift.min(top, spectrum.eigenvalues.count)

        if let plot = output.plot {
            var fig = Figure(title: "Empirical NTK → infinite-width NTK", xLabel: "log10 width", yLabel: "log10 relative deviation")
            fig.line(x: study.widths.map { log10(Double($0)) }, y: study.relativeDeviation.map { log10($0) }, label: "mean over \(seeds) networks")
            let c = log10(study.relativeDeviation[0]) + 0.5 * log10(Double(study.widths[0]))
            fig.line(x: study.widths.map { log10(Double($0)) }, y: study.widths.map { c - 0.5 * log10(Double($0)) }, label: "slope −1/2", dashed: true)
            try fig.write(to: plot)
        }
        if output.json {
            var object: [String: Any] = [
                "data": path, "points": set.count, "architecture": Layer.serial(layers).description,
                "eigenvalues": spectrum.eigenvalues.prefix(k).map(jsonNumber),
                "timescales": spectrum.timescales.prefix(k).map(jsonNumber),
                "widths": study.widths, "relative_deviation": study.relativeDeviation.map(jsonNumber),
                "standard_error": study.standardError.map(jsonNumber),
                "slope": study.slope.map(jsonNumber) ?? NSNull(),
            ]
            if let e = spectrum.targetEnergy, let total = totalEnergy, total > 0 {
                object["target_share"] = e.prefix(k).map { jsonNumber($0 / total) }
            }
            try printJSON(object)
            return
        }
        print("NTK of \(Layer.serial(layers).description) on \(set.count) points of \(path)")
        print("  trace \(fmt(theta.trace)), condition number \(fmt(spectrum.eigenvalues.first! / Swift.max(spectrum.eigenvalues.last!, 1e-300)))")
        print("  i   eigenvalue     time scale (lr=1)   share of ‖y‖²")
        for i in 0..<k {
            let share = spectrum.targetEnergy.flatMap { e in totalEnergy.map { $0 > 0 ? fmt(e[i] / $0, 3) : "-" } } ?? "-"
            print("  \(String(i + 1).padding(toLength: 3, withPad: " ", startingAt: 0)) \(fmt(spectrum.eigenvalues[i]).padding(toLength: 14, withPad: " ", startingAt: 0)) \(fmt(spectrum.timescales[i]).padding(toLength: 19, withPad: " ", startingAt: 0)) \(share)")
        }
        print("finite width: relative Frobenius deviation ‖Θ_w − Θ_∞‖/‖Θ_∞‖ (mean ± s.e. over \(seeds) networks)")
        for (i, w) in study.widths.enumerated() {
            print("  width \(String(w).padding(toLength: 6, withPad: " ", startingAt: 0)) \(fmt(study.relativeDeviation[i], 4)) ± \(fmt(study.standardError[i], 2))")
        }
        if let s = study.slope { print("  log-log slope \(fmt(s, 3)) (theory: −0.5)") }
        if let plot = output.plot { print("plot: \(plot)") }
    }
}
