import ArgumentParser
import Foundation
import KernelKit

extension DensityKernel: ExpressibleByArgument {}

/// `kernelkit fit kde`: kernel density estimation, exact or ε-differentially private.
struct FitKDECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kde",
        abstract: "Kernel density estimation, exact or differentially private (--epsilon).",
        discussion: """
            Fits f(y) = C/(n h^d) sum_i k(|y - x_i|/h) to the rows of --data (every numeric column; for a \
            bundled dataset, every column except its target) and evaluates it at the rows of --query \
            (default: the data rows). --out writes one normalised density value per query row.

            BANDWIDTH: a number, scott, silverman, or cv (maximum leave-one-out likelihood).

            PRIVACY (--epsilon E): pure E-differential privacy for substitution neighbours, n public. \
            Mechanisms: grid (default for d <= 2: noisy linear-binning sketch on the public box \
            --domain LO,HI, FFT-smoothed; with --delta D, Gaussian noise and (E, D)-DP, E < 1) or rff \
            (random Fourier features + Laplace noise, Gaussian kernel, any d, feature count tuned to \
            E n). Private runs need explicit --query points (queries chosen from the private data would \
            leak them) and a fixed numeric --bandwidth (the data-driven rules are not private).
            """)

    enum Mechanism: String, ExpressibleByArgument, CaseIterable { case grid, rff }

    @Option(help: "Data file (.csv/.npy) or bundled dataset name.")
    var data: String

    @Option(help: "Kernel: gaussian, laplace or epanechnikov.")
    var kernel: DensityKernel = .gaussian

    @Option(help: "Bandwidth: a number > 0, scott, silverman or cv.")
    var bandwidth: String = "scott"

    @Option(help: "Privacy parameter epsilon > 0 (omit for the exact estimate).")
    var epsilon: Double?

    @Option(help: "Privacy parameter delta in (0, 1) for (epsilon, delta)-DP (grid mechanism, epsilon < 1).")
    var delta: Double?

    @Option(help: "Private mechanism: grid (d <= 2, needs --domain) or rff.")
    var mechanism: Mechanism?

    @Option(help: "Public data box LO,HI (every coordinate) for the grid mechanism; points are clamped into it. Write --domain=-6,6 when LO is negative.")
    var domain: String?

    @Option(help: "Query points file (.csv/.npy) with the data's number of columns.")
    var query: String?

    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let epsilon, !(epsilon > 0 && epsilon.isFinite) { throw ValidationError("--epsilon must be a finite number > 0, got \(epsilon)") }
        if let delta {
            guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
            guard epsilon != nil else { throw ValidationError("--delta needs --epsilon") }
        }
        if mechanism != nil && epsilon == nil { throw ValidationError("--mechanism needs --epsilon") }
        if let value = Double(bandwidth), !(value > 0 && value.isFinite) {
            throw ValidationError("--bandwidth must be > 0, got \(bandwidth)")
        } else if Double(bandwidth) == nil && !["scott", "silverman", "cv"].contains(bandwidth) {
            throw ValidationError("--bandwidth must be a number, scott, silverman or cv, got '\(bandwidth)'")
        }
        if epsilon != nil {
            if Double(bandwidth) == nil { throw ValidationError("--epsilon needs a fixed numeric --bandwidth (scott/silverman/cv look at the private data)") }
            if query == nil { throw ValidationError("--epsilon needs --query points (answering at the private data points would reveal them)") }
            if mechanism == .rff && kernel != .gaussian { throw ValidationError("--mechanism rff supports the gaussian kernel only") }
            if delta != nil && mechanism == .rff { throw ValidationError("--delta applies to the grid mechanism only") }
        }
        if let domain, parseDomain(domain) == nil { throw ValidationError("--domain must be LO,HI with LO < HI, got '\(domain)'") }
    }

    private func parseDomain(_ text: String) -> (Double, Double)? {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo < hi else { return nil }
        return (lo, hi)
    }

    private func load(_ path: String, excludingTarget: Bool) throws -> Matrix {
        let (file, target) = try BundledData.resolve(path)
        let ds = try loadForCLI(file, DataReadOptions(target: excludingTarget ? target.map(dataColumn) : nil))
        return ds.features
    }

    func run() throws {
        runtime.apply()
        let x = try load(data, excludingTarget: true)
        let (n, d) = (x.rows, x.columns)
        guard n > 0, d > 0 else { throw CLIError("--data \(data) has no rows: kernel density estimation needs at least one point") }
        let q = try query.map { try load($0, excludingTarget: false) } ?? x
        guard q.columns == d else { throw CLIError("--query has \(q.columns) columns but the data have \(d)") }
        let threads = runtime.threads ?? 1
        let selection: BandwidthSelection
        switch bandwidth {
        case "scott": selection = .scott
        case "silverman": selection = .silverman
        case "cv": selection = .crossValidation
        default: selection = .fixed(Double(bandwidth)!)
        }
        let evaluate: (Matrix) throws -> [Double]
        var mechanismName = "exact"
        var details: [String: Any] = [:]
        let h: Double
        if let epsilon {
            h = Double(bandwidth)!
            let chosen = mechanism ?? (d <= 2 ? .grid : .rff)
            mechanismName = chosen.rawValue
            switch chosen {
            case .grid:
                guard d <= 2 else { throw CLIError("the grid mechanism works in 1 or 2 dimensions, the data have \(d): use --mechanism rff") }
                guard let domain, let (lo, hi) = parseDomain(domain) else {
                    throw CLIError("the grid mechanism needs the public data box: pass --domain LO,HI (chosen without looking at the data)")
                }
                let box = try BoundingBox.cube(lo, hi, dimension: d)
                let m = try NoisyGridSketchMechanism(data: x, domain: box, kernel: kernel, bandwidth: h, epsilon: epsilon,
                                                     delta: delta, seed: runtime.seed)
                evaluate = { try m.density(at: $0) }
                details = ["grid_spacing": m.gridSpacing, "noise_scale": m.noiseScale, "domain": [lo, hi]]
            case .rff:
                let features = RandomFeatureLaplaceMechanism.tunedFeatureCount(count: n, epsilon: epsilon)
                let m = try RandomFeatureLaplaceMechanism(data: x, bandwidth: h, features: features, epsilon: epsilon, seed: runtime.seed)
                evaluate = { try m.density(at: $0) }
                details = ["features": features, "noise_scale": m.noiseScale]
            }
        } else {
            let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: selection, threads: threads)
            h = kde.bandwidth
            evaluate = { try kde.density(at: $0) }
        }
        let densities = try evaluate(q)
        guard densities.allSatisfy(\.isFinite) else { throw CLIError("the density is not finite at some query point") }
        if let path = output.out {
            try writeMatrix(Matrix(rows: densities.count, columns: 1, columnMajor: densities), columnNames: ["density"], to: path)
        }
        if let path = output.plot { try plot(x, q, densities, evaluate, bandwidth: h, to: path) }
        if output.json {
            var object: [String: Any] = [
                "model": "kde", "data": data, "n": n, "d": d, "kernel": kernel.rawValue, "bandwidth": h,
                "bandwidth_rule": Double(bandwidth) == nil ? bandwidth : "fixed", "mechanism": mechanismName,
                "epsilon": epsilon.map(jsonNumber) ?? NSNull(), "delta": epsilon == nil ? NSNull() : (delta ?? 0),
                "queries": q.rows, "density": densities.map(jsonNumber),
            ]
            for (k, v) in details { object[k] = v }
            try printJSON(object)
            return
        }
        print("Kernel density estimate of \(data): n = \(n), d = \(d), \(kernel.rawValue) kernel, bandwidth \(fmt(h))"
              + (Double(bandwidth) == nil ? " (\(bandwidth))" : ""))
        if let epsilon {
            print("privacy: \(mechanismName) mechanism, " + (delta.map { "(ε, δ) = (\(fmt(epsilon)), \(fmt($0)))-DP" } ?? "ε = \(fmt(epsilon)) (pure ε-DP)")
                  + ", substitution neighbours, n public")
        }
        let mean = densities.reduce(0, +) / Double(densities.count)
        print("density at \(q.rows) query points: min \(fmt(densities.min()!)), mean \(fmt(mean)), max \(fmt(densities.max()!))")
        if let path = output.out { print("densities: \(path)") }
        if let path = output.plot { print("plot: \(path)") }
    }

    /// 1-D: the density at the sorted queries (with a rug of the data for the exact estimate); 2-D: a
    /// 80 × 80 heatmap of the estimate over the queries' bounding box.
    private func plot(_ x: Matrix, _ q: Matrix, _ f: [Double], _ evaluate: (Matrix) throws -> [Double],
                      bandwidth h: Double, to path: String) throws {
        let title = "Kernel density (\(kernel.rawValue), h = \(fmt(h, 3)))" + (epsilon.map { ", ε = \(fmt($0, 3))" } ?? "")
        if q.columns == 1 {
            var fig = Figure(title: title, xLabel: "x", yLabel: "density")
            let order = (0..<q.rows).sorted { q.storage[$0] < q.storage[$1] }
            fig.line(x: order.map { q.storage[$0] }, y: order.map { f[$0] }, label: "density at the queries")
            if epsilon == nil {
                let k = Swift.min(2000, x.rows)
                fig.scatter(x: Array(x.storage.prefix(k)), y: Array(repeating: 0, count: k), label: "data")
            }
            try fig.write(to: path)
            return
        }
        guard q.columns == 2 else { throw CLIError("--plot draws 1-D or 2-D estimates; the data have \(q.columns) columns") }
        let (x0, x1) = ((0..<q.rows).map { q[$0, 0] }.min()!, (0..<q.rows).map { q[$0, 0] }.max()!)
        let (y0, y1) = ((0..<q.rows).map { q[$0, 1] }.min()!, (0..<q.rows).map { q[$0, 1] }.max()!)
        guard x1 > x0, y1 > y0 else { throw CLIError("--plot needs query points spanning an area in 2-D") }
        let g = 80
        let grid = Matrix(rows: g * g, columns: 2) { k, j in
            j == 0 ? x0 + (x1 - x0) * (Double(k % g) + 0.5) / Double(g) : y0 + (y1 - y0) * (Double(k / g) + 0.5) / Double(g)
        }
        let v = try evaluate(grid)
        var fig = Figure(title: title, xLabel: "x₁", yLabel: "x₂")
        fig.heatmap((0..<g).map { i in (0..<g).map { j in v[j + i * g] } }, x: x0...x1, y: y0...y1, label: "density", origin: .lower)
        try fig.write(to: path)
    }
}
