import Foundation
import KernelKitLinalg

/// Accuracy of a PFN against the exact posterior predictive of its GP prior (the central claim of
/// Müller et al. 2022: the PFN's predictive approaches the Bayes-optimal one).
public enum PFNEvaluation {
    /// One evaluated dataset.
    public struct Row: Sendable {
        /// Context size nc.
        public var contextSize: Int
        /// Mean over the query points of −log p_PFN(y).
        public var pfnNLL: Double
        /// Mean over the query points of −log N(y; μ_GP, σ²_GP) (exact GP posterior predictive).
        public var exactNLL: Double
    }

    /// Draws `datasets` fresh datasets from the GP prior (generator seeded with `seed`), dataset i cut
    /// at context size i mod n (so sizes spread evenly over 0 … n − 1), and scores the query targets
    /// under the PFN and under the exact GP posterior predictive. The PFN runs batched, 50 datasets at
    /// a time. O(datasets · (forward pass + n³)).
    /// - Throws: ``PFNError/invalidInput(_:)`` when the model was trained on another prior or
    ///   architecture input dimension; the GP engine's errors.
    public static func compareWithExactGP(model: PFNModel, prior: GaussianProcessPrior, datasets: Int,
                                          seed: UInt64) throws -> [Row] {
        guard model.prior == prior.specification else {
            throw PFNError.invalidInput("the model was trained on \(model.prior), not on \(prior.specification)")
        }
        var g = SeededGenerator(seed: seed)
        let n = prior.pointsPerDataset, d = prior.inputDimension
        var rows: [Row] = []
        var pending: [(nc: Int, x: [Double], y: [Double])] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            var batch = PFNBatch(inputDimension: d)
            for p in pending {
                batch.append(contextInputs: Array(p.x[0..<(p.nc * d)]), contextTargets: Array(p.y[0..<p.nc]),
                             queryInputs: Array(p.x[(p.nc * d)...]), queryTargets: Array(p.y[p.nc...]))
            }
            let predictive = model.predict(batch)
            var q = 0
            for p in pending {
                let queries = Array(p.y[p.nc...])
                var pfn = 0.0
                for y in queries { pfn -= predictive[q].logDensity(y); q += 1 }
                let (mean, variance) = try prior.exactPredictive(contextInputs: Array(p.x[0..<(p.nc * d)]),
                                                                 contextTargets: Array(p.y[0..<p.nc]),
                                                                 queryInputs: Array(p.x[(p.nc * d)...]))
                var exact = 0.0
                for (j, y) in queries.enumerated() {
                    let r = y - mean[j]
                    exact += 0.5 * (Foundation.log(2 * Double.pi * variance[j]) + r * r / variance[j])
                }
                rows.append(Row(contextSize: p.nc, pfnNLL: pfn / Double(queries.count), exactNLL: exact / Double(queries.count)))
            }
            pending.removeAll()
        }
        for i in 0..<datasets {
            let (x, y) = try prior.sampleDataset(using: &g)
            pending.append((i % n, x, y))
            if pending.count == 50 { try flush() }
        }
        try flush()
        return rows
    }

    /// Mean PFN NLL, mean exact NLL, and their difference (PFN − exact) over rows.
    public static func summary(_ rows: [Row]) -> (pfn: Double, exact: Double, gap: Double) {
        let m = Double(max(1, rows.count))
        let p = rows.reduce(0) { $0 + $1.pfnNLL } / m, e = rows.reduce(0) { $0 + $1.exactNLL } / m
        return (p, e, p - e)
    }
}
