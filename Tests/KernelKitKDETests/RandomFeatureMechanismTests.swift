import Foundation
import KernelKitKDE
import KernelKitLinalg
import KernelKitTestSupport
import Testing

/// The fields of Fixtures/dpkde_small.json this suite uses.
private struct Reference {
    let points: Matrix
    let queries: Matrix
    let exact: [Double]
    let results: [String: Any]

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/dpkde_small", withExtension: "json"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let data = try #require(obj["data"] as? [String: Any])
        points = Matrix(try #require(data["points"] as? [[Double]]))
        let queries = try #require(obj["queries"] as? [String: Any])
        self.queries = Matrix(try #require(queries["points"] as? [[Double]]))
        let exact = try #require(obj["exact"] as? [String: Any])
        self.exact = try #require(exact["kernel_mean"] as? [Double])
        results = try #require(obj["results_mae"] as? [String: Any])
    }

    func laplace(_ eps: String, _ features: String) throws -> (mae: Double, sd: Double) {
        let e = try #require(results[eps] as? [String: Any])
        let r = try #require(e[features] as? [String: Any])
        return (try #require(r["laplace_mae"] as? Double), try #require(r["laplace_mae_sd_over_seeds"] as? Double))
    }
}

@Suite("RFF + Laplace ε-DP baseline (dpkde_small.json)")
struct RandomFeatureMechanismTests {
    @Test("exact Gaussian kernel means of the fixture are reproduced (rtol 1e-10)")
    func exactKernelMean() throws {
        let ref = try Reference()
        let kde = try KernelDensity(data: ref.points, kernel: .gaussian, bandwidth: .fixed(0.5))
        expectClose(try kde.kernelMean(at: ref.queries), ref.exact, rtol: 1e-10)
    }

    /// MAE over 6 seeds against the reference mean over 50 seeds: tolerance 4 standard errors,
    /// 4·sd·√(1/6 + 1/50) (CLT on the seed average). A factor-2 error in the noise scale moves the
    /// ε = 1, D = 2000 MAE from 0.14 to ≈ 0.28, far outside it.
    @Test("MAE matches the reference within Monte-Carlo error", arguments: [("1.0", 2000, 1.0), ("0.1", 100, 0.1), ("10.0", 500, 10.0)])
    func maeMatchesReference(eps: String, features: Int, epsilon: Double) throws {
        let ref = try Reference()
        let (mae, sd) = try ref.laplace(eps, String(features))
        let seeds = 6
        var total = 0.0
        for s in 0..<seeds {
            let mech = try RandomFeatureLaplaceMechanism(data: ref.points, bandwidth: 0.5, features: features,
                                                         epsilon: epsilon, seed: UInt64(1000 + s))
            let est = try mech.kernelMean(at: ref.queries)
            total += zip(est, ref.exact).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(est.count)
        }
        let tolerance = 4 * sd * (1 / Double(seeds) + 1 / 50).squareRoot()
        expectClose(total / Double(seeds), mae, rtol: 0, atol: tolerance, "ε = \(eps), D = \(features)")
    }

    @Test("noise scale is 2√2 D/(nε), and bad parameters throw")
    func noiseScaleAndErrors() throws {
        let x = Matrix([[0.0, 0.0], [1.0, 1.0]])
        let mech = try RandomFeatureLaplaceMechanism(data: x, bandwidth: 1, features: 10, epsilon: 0.5, seed: 1)
        expectClose(mech.noiseScale, 2 * 2.0.squareRoot() * 10 / (2 * 0.5), rtol: 1e-15)
        #expect(throws: KernelDensityError.invalidEpsilon(0)) {
            try RandomFeatureLaplaceMechanism(data: x, bandwidth: 1, features: 10, epsilon: 0, seed: 1)
        }
        #expect(throws: KernelDensityError.dimensionMismatch(expected: 2, got: 1)) {
            try mech.kernelMean(at: Matrix(rows: 1, columns: 1))
        }
    }
}
