import Foundation
import KernelKitLinalg
import KernelKitNTK
import KernelKitTestSupport
import Testing

/// Infinite-width predictions against neural-tangents 0.6.5 (Fixtures/predict_relu_d2.json),
/// tolerance |a − b| ≤ 1e-10·|b| + 1e-12·max|b| as for the kernels (the predictions are a few
/// well-conditioned solves away from them).
@Suite("Infinite-width predictions agree with neural-tangents")
struct PredictionTests {
    struct Reference: Decodable {
        let x_train: [[Double]]
        let y_train: [[Double]]
        let x_test: [[Double]]
        let gd_mse_ensemble: GD
        let gp_inference: GP
        struct GD: Decodable {
            let learning_rate: Double
            let mean: [String: [String: [[Double]]]]
            let cov: [String: [String: Cov]]
        }
        struct Cov: Decodable { let mean: [[Double]]; let cov: [[Double]] }
        struct GP: Decodable { let diag_reg: Double; let posterior: [String: Cov] }
    }
    static let ref: Reference = {
        let url = Bundle.module.url(forResource: "Fixtures/predict_relu_d2", withExtension: "json")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
    static let network = try! InfiniteWidthNetwork(ArchitectureSpec.parse(
        "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)"))

    static func blocks() throws -> KernelBlocks {
        try KernelBlocks(network: network, train: Matrix(ref.x_train), test: Matrix(ref.x_test))
    }

    static func time(_ key: String) -> Double { key == "inf" ? .infinity : Double(key)! }

    static func close(_ a: Matrix, _ b: [[Double]], _ what: String) {
        let m = Matrix(b)
        expectClose(a, m, rtol: 1e-10, atol: 1e-12 * Swift.max(m.maxAbs, 1e-300), what)
    }

    @Test("gradient-descent ensemble mean at t = 0, 0.5, 2, 10, ∞", arguments: ["nngp", "ntk"])
    func ensembleMean(get: String) throws {
        let b = try Self.blocks()
        let e = try GradientDescentEnsemble(kernels: b.trainTrain, targets: Matrix(Self.ref.y_train),
                                            kernel: KernelSelection(rawValue: get)!, learningRate: Self.ref.gd_mse_ensemble.learning_rate)
        let keys = Array(Self.ref.gd_mse_ensemble.mean[get]!.keys)
        let preds = try e.predict(testTrain: b.testTrain, times: keys.map(Self.time))
        for (key, p) in zip(keys, preds) { Self.close(p.mean, Self.ref.gd_mse_ensemble.mean[get]![key]!, "\(get) mean t=\(key)") }
    }

    @Test("gradient-descent ensemble covariance at t = 2, ∞", arguments: ["nngp", "ntk"])
    func ensembleCovariance(get: String) throws {
        let b = try Self.blocks()
        let e = try GradientDescentEnsemble(kernels: b.trainTrain, targets: Matrix(Self.ref.y_train),
                                            kernel: KernelSelection(rawValue: get)!, learningRate: Self.ref.gd_mse_ensemble.learning_rate)
        for (key, want) in Self.ref.gd_mse_ensemble.cov[get]! {
            let p = try e.predict(testTrain: b.testTrain, testTest: b.testTest, times: [Self.time(key)], covariance: true)[0]
            Self.close(p.mean, want.mean, "\(get) mean t=\(key)")
            Self.close(p.covariance!, want.cov, "\(get) cov t=\(key)")
        }
    }

    @Test("GP inference with nngp, ntk and ntkgp, relative diagonal regularisation 1e-2",
          arguments: InfiniteWidthInference.Posterior.allCases)
    func gpInference(kind: InfiniteWidthInference.Posterior) throws {
        let p = try InfiniteWidthInference.posterior(kind, blocks: Self.blocks(), targets: Matrix(Self.ref.y_train),
                                                     regularization: .init(Self.ref.gp_inference.diag_reg))
        let want = Self.ref.gp_inference.posterior[kind.rawValue]!
        Self.close(p.mean, want.mean, "\(kind) mean")
        Self.close(p.covariance!, want.cov, "\(kind) cov")
    }
}

@Suite("Gradient-descent ensemble limits")
struct EnsembleLimitTests {
    @Test("the mean is 0 at t = 0 with prior covariance, and at t = ∞ equals kernel regression with Θ")
    func limits() throws {
        var rng = SeededGenerator(seed: 4)
        let x = rng.normalMatrix(rows: 12, columns: 3), xs = rng.normalMatrix(rows: 5, columns: 3)
        let y = rng.normalMatrix(rows: 12, columns: 2)   // two outputs
        let net = try InfiniteWidthNetwork(ArchitectureSpec.parse("dense(1.4,0.1),erf,dense(1.2,0.1),relu,dense(1,0.1)"))
        let blocks = try KernelBlocks(network: net, train: x, test: xs)
        let e = try GradientDescentEnsemble(kernels: blocks.trainTrain, targets: y, kernel: .ntk, learningRate: 0.7)
        let p = try e.predict(testTrain: blocks.testTrain, testTest: blocks.testTest, times: [0, .infinity], covariance: true)
        #expect(p[0].mean.maxAbs == 0)
        expectClose(p[0].covariance!, blocks.testTest!.nngp!, rtol: 1e-12, atol: 1e-12 * blocks.testTest!.nngp!.maxAbs)
        // t = ∞: Θ_xD Θ_DD⁻¹ y by an independent Cholesky solve.
        let regression = BLAS.matmul(blocks.testTrain.ntk!, try Cholesky(blocks.trainTrain.ntk!, jitter: .none).solve(y))
        expectClose(p[1].mean, regression, rtol: 1e-8, atol: 1e-10 * regression.maxAbs)
        // Monotone approach: the training residual shrinks with t.
        let trainPred = try e.predict(testTrain: blocks.trainTrain, times: [0.1, 1, 10, 100])
        let residuals = trainPred.map { ($0.mean - y).storage.reduce(0) { $0 + $1 * $1 } }
        #expect(zip(residuals, residuals.dropFirst()).allSatisfy { $1 < $0 })
    }
}
