// kernelkit-bench kde: speed of kernel density estimation against the anchors (KDEpy FFTKDE,
// scikit-learn KernelDensity), and the experiments of the private-KDE note.
//
//   kernelkit-bench kde speed [reps]      1-D FFT KDE of 1e6 N(0,1) points (2^10 grid, Scott h), and
//                                         2-D n = 1e5, 1e4 queries, h = 0.1, rtol 1e-4 (cell list; the
//                                         relative error is checked against exact sums on 200 queries)
//   kernelkit-bench kde dp FIXTURE.json   MAE table on dpkde_small (50 seeds, ε ∈ {0.1, 1, 10})
//   kernelkit-bench kde distance          private ℓ1/ℓ2 mean-distance error against n, d, ε
//   kernelkit-bench kde classify CSV      private classification accuracy against ε (breast_cancer.csv)
//   kernelkit-bench kde regimes           Biroli–Mézard Monte Carlo at d = 20, n = e^6
import Foundation
import KernelKit

func benchKDE(_ args: [String]) throws {
    switch args.first {
    case "dp" where args.count >= 2: try kdePrivacyTable(path: args[1])
    case "distance": try kdeDistanceTable()
    case "classify" where args.count >= 2: try kdeClassification(path: args[1])
    case "regimes": try kdeRegimes()
    default: try kdeSpeed(reps: args.count > 1 ? Int(args[1]) ?? 5 : 5)
    }
}

private func kdeSpeed(reps: Int) throws {
    var g = SeededGenerator(seed: 0)
    let n1 = 1_000_000
    let x1 = Matrix(rows: n1, columns: 1, columnMajor: (0..<n1).map { _ in g.standardNormal() })
    let h1 = try KernelDensity.scottBandwidth(x1)
    _ = try BinnedKernelDensity(data: x1, bandwidth: h1, gridPoints: 1024)  // warm-up (FFTW plans)
    emit("fft kde 1-D grid 1024", n1, try best(reps) { _ = try BinnedKernelDensity(data: x1, bandwidth: h1, gridPoints: 1024) })

    let n2 = 100_000, m2 = 10_000
    let x2 = Matrix(rows: n2, columns: 2) { _, _ in g.standardNormal() }
    let q2 = Matrix(rows: m2, columns: 2) { _, _ in g.standardNormal() }
    var sums: [Double] = []
    emit("cell-list kde 2-D m=1e4 h=0.1 rtol=1e-4", n2, try best(reps) {
        let kde = try CellListKernelDensity(data: x2, bandwidth: 0.1, relativeTolerance: 1e-4)
        sums = try kde.kernelSums(at: q2)
    })
    let check = q2.rows(0..<200)
    let exact = try KernelDensity(data: x2, bandwidth: .fixed(0.1)).kernelMean(at: check)
    let worst = (0..<200).map { abs(sums[$0] / Double(n2) - exact[$0]) / exact[$0] }.max()!
    print("{\"name\": \"cell-list max relative error (200 queries vs exact)\", \"value\": \(worst)}")
}

/// MAE on dpkde_small: noisy grid sketch, RFF with tuned D, RFF D = 2000 baseline, and answering 0.
private func kdePrivacyTable(path: String) throws {
    let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    let points = Matrix((obj["data"] as! [String: Any])["points"] as! [[Double]])
    let queries = Matrix((obj["queries"] as! [String: Any])["points"] as! [[Double]])
    let exact = (obj["exact"] as! [String: Any])["kernel_mean"] as! [Double]
    let box = try BoundingBox.cube(-6, 6, dimension: 2)
    func mae(_ f: (UInt64) throws -> [Double]) rethrows -> (Double, Double) {
        let v = try (0..<50).map { s in zip(try f(UInt64(s)), exact).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(exact.count) }
        let m = v.reduce(0, +) / 50
        return (m, (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 49).squareRoot())
    }
    print("{\"name\": \"answer 0\", \"mae\": \(exact.reduce(0, +) / Double(exact.count))}")
    for eps in [0.1, 1, 10] {
        let grid = try mae { try NoisyGridSketchMechanism(data: points, domain: box, bandwidth: 0.5, epsilon: eps, seed: $0).kernelMean(at: queries) }
        let d = RandomFeatureLaplaceMechanism.tunedFeatureCount(count: points.rows, epsilon: eps)
        let tuned = try mae { try RandomFeatureLaplaceMechanism(data: points, bandwidth: 0.5, features: d, epsilon: eps, seed: 1000 + $0).kernelMean(at: queries) }
        let base = try mae { try RandomFeatureLaplaceMechanism(data: points, bandwidth: 0.5, features: 2000, epsilon: eps, seed: 1000 + $0).kernelMean(at: queries) }
        print("{\"epsilon\": \(eps), \"grid_sketch\": [\(grid.0), \(grid.1)], \"rff_tuned_D\": \(d), \"rff_tuned\": [\(tuned.0), \(tuned.1)], \"rff_D2000\": [\(base.0), \(base.1)]}")
    }
}

/// Private mean ℓ1 / ℓ2 distance: mean absolute error over 50 queries and 10 seeds, data uniform in [0, 1]^d.
private func kdeDistanceTable() throws {
    for norm in PrivateDistanceQuery.Norm.allCases {
        for d in [1, 2, 8] {
            for n in [1000, 10000] {
                for eps in [0.1, 1, 10] {
                    var g = SeededGenerator(seed: 7)
                    let x = Matrix(rows: n, columns: d) { _, _ in g.uniform() }
                    let q = Matrix(rows: 50, columns: d) { _, _ in g.uniform() }
                    let exact = try PrivateDistanceQuery.exactMeanDistance(data: x, queries: q, norm: norm)
                    let box = try BoundingBox.cube(0, 1, dimension: d)
                    var err = 0.0
                    for s in 0..<10 {
                        let mech = try PrivateDistanceQuery(data: x, domain: box, norm: norm, epsilon: eps, seed: UInt64(s))
                        err += zip(try mech.meanDistance(to: q), exact).reduce(0) { $0 + abs($1.0 - $1.1) } / 50
                    }
                    let scale = exact.reduce(0, +) / 50
                    print("{\"norm\": \"\(norm)\", \"d\": \(d), \"n\": \(n), \"epsilon\": \(eps), \"mae\": \(err / 10), \"mean_distance\": \(scale)}")
                }
            }
        }
    }
}

/// Accuracy of `PrivateKernelClassifier` on a CSV with a `target` column: standardised features (the
/// scaling treated as public), 400 training rows, the rest for testing, 20 seeds per ε, h = √d.
private func kdeClassification(path: String) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n").dropFirst()
    let rows = lines.map { $0.split(separator: ",").map { Double($0)! } }
    let d = rows[0].count - 1
    var g = SeededGenerator(seed: 0)
    let order = g.permutation(rows.count)
    let train = Array(order[0..<400]), test = Array(order[400...])
    var mean = [Double](repeating: 0, count: d), sd = [Double](repeating: 0, count: d)
    for j in 0..<d {
        mean[j] = train.reduce(0) { $0 + rows[$1][j] } / 400
        sd[j] = (train.reduce(0) { $0 + (rows[$1][j] - mean[j]) * (rows[$1][j] - mean[j]) } / 400).squareRoot()
    }
    func features(_ idx: [Int]) -> Matrix { Matrix(rows: idx.count, columns: d) { i, j in (rows[idx[i]][j] - mean[j]) / sd[j] } }
    let (xtr, xte) = (features(train), features(test))
    let (ytr, yte) = (train.map { Int(rows[$0][d]) }, test.map { Int(rows[$0][d]) })
    let h = Double(d).squareRoot()
    let exact = try [0, 1].map { c in try KernelDensity(data: xtr.rows(train.indices.filter { ytr[$0] == c }), bandwidth: .fixed(h)).kernelMean(at: xte) }
    let nonPrivate = zip(exact[0], exact[1]).enumerated().filter { ($1.0 > $1.1 ? 0 : 1) == yte[$0] }.count
    let majority = max(yte.filter { $0 == 1 }.count, yte.filter { $0 == 0 }.count)
    print("{\"non_private_accuracy\": \(Double(nonPrivate) / Double(yte.count)), \"majority_class\": \(Double(majority) / Double(yte.count)), \"bandwidth\": \(h)}")
    for eps in [0.1, 0.3, 1, 3, 10] {
        var acc: [Double] = []
        for s in 0..<20 {
            let clf = try PrivateKernelClassifier(data: xtr, labels: ytr, bandwidth: h, epsilon: eps, seed: UInt64(100 * s))
            let p = try clf.predict(xte)
            acc.append(Double(zip(p, yte).filter { $0 == $1 }.count) / Double(yte.count))
        }
        let m = acc.reduce(0, +) / 20
        print("{\"epsilon\": \(eps), \"accuracy\": \(m), \"sd\": \((acc.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 19).squareRoot())}")
    }
}

/// Monte-Carlo KL(p‖f̂)/d at d = 20, n = round(e^6), 2000 fresh queries, against the d → ∞ limits.
private func kdeRegimes() throws {
    let d = 20, n = Int(exp(6.0).rounded())
    let alpha = log(Double(n)) / Double(d)
    var g = SeededGenerator(seed: 3)
    let x = g.normalMatrix(rows: n, columns: d), y = g.normalMatrix(rows: 2000, columns: d)
    let logP = (0..<2000).map { i in -0.5 * Double(d) * log(2 * Double.pi) - 0.5 * (0..<d).reduce(0) { $0 + y[i, $1] * y[i, $1] } }
    print("{\"alpha\": \(alpha), \"h_G\": \(try HighDimensionalBandwidth.glassBandwidth(alpha: alpha)), \"h_CLT\": \(try HighDimensionalBandwidth.cltBandwidth(alpha: alpha)), \"h_KL\": \(try HighDimensionalBandwidth.klOptimalBandwidth(alpha: alpha))}")
    for h in stride(from: 0.5, through: 1.6, by: 0.05) {
        let lf = try KernelDensity(data: x, bandwidth: .fixed(h)).logDensity(at: y)
        let kl = zip(logP, lf).reduce(0) { $0 + $1.0 - $1.1 } / (2000 * Double(d))
        print("{\"h\": \(h), \"kl_per_dim_mc\": \(kl), \"kl_per_dim_limit\": \(try HighDimensionalBandwidth.klPerDimension(alpha: alpha, bandwidth: h))}")
    }
}
