import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitScaleMixtures

/// Prior specifications and bad input: typed errors with a message, never a trap.
@Suite("Prior parsing and bad input")
struct InputTests {
    @Test("prior specifications parse into the right case with the right parameters (round trip through description)")
    func parsing() throws {
        let cases: [(String, String)] = [
            ("invgamma:1,2", "invgamma:1.0,2.0"), ("IG: 0.5 , 3", "invgamma:0.5,3.0"), ("burr12:2,1", "burr12:2.0,1.0"),
            ("burr12:2,1,4", "burr12:2.0,1.0,4.0"), ("halfcauchy:0.7", "halfcauchy:0.7"), ("gamma:2,0.5", "gamma:2.0,0.5"),
            ("lognormal:-1,2", "lognormal:-1.0,2.0"),
        ]
        for (text, canonical) in cases {
            let prior = try ScalePrior.parse(text)
            #expect(prior.description == canonical, "\(text) → \(prior)")
            #expect(try ScalePrior.parse(prior.description).description == canonical)
        }
        // The parsed IG density is SciPy's invgamma(a=1, scale=2).pdf(3) = 2/9·e^{−2/3} (exact).
        expectClose(exp(try ScalePrior.parse("invgamma:1,2").logDensity(3)), 2.0 / 9 * exp(-2.0 / 3), rtol: 1e-14)
        // Burr XII(2, 1): pdf(x) = 2x/(1 + x²)², at x = 3: 6/100.
        expectClose(exp(try ScalePrior.parse("burr12:2,1").logDensity(3)), 0.06, rtol: 1e-14)
    }

    @Test("out-of-domain parameters, unknown names and malformed numbers throw typed errors", arguments: [
        "invgamma:0,1", "invgamma:1,-2", "invgamma:nan,1", "burr12:0,1", "halfcauchy:0", "gamma:1,0", "lognormal:0,0",
        "lognormal:inf,1", "student:3", "invgamma:1", "invgamma:a,b", "burr12:1,2,3,4", "", "halfcauchy",
    ])
    func badPriors(_ text: String) {
        #expect(throws: ScaleMixtureError.self) { try ScalePrior.parse(text) }
        do { _ = try ScalePrior.parse(text) } catch { #expect(!String(describing: error).isEmpty && !String(describing: error).contains("\n")) }
    }

    @Test("the closed form and the model reject α ≤ 0; a custom prior cannot be sampled from itself")
    func domains() throws {
        let base = try Reference.base()
        #expect(throws: ScaleMixtureError.self) { try StudentTProcess(base: base, shape: 0, scale: 1) }
        #expect(throws: ScaleMixtureError.self) { try StudentTProcess(base: base, shape: 1, scale: -1) }
        #expect(throws: ScaleMixtureError.self) { try ScaleMixtureModel(base: base, prior: .gamma(shape: -1, scale: 1)) }
        let custom = try ScaleMixtureModel(base: base, prior: .custom(name: "flat-ish", typicalValue: 1) { s in -log1p(s) * 2 })
        #expect(throws: ScaleMixtureError.self) { try custom.importanceSampling(samples: 10, seed: 1, proposal: .prior) }
        #expect(throws: ScaleMixtureError.self) { try custom.importanceSampling(samples: 0, seed: 1) }
    }

    @Test("shape mismatches, non-finite data and a kernel not positive definite after jitter throw")
    func badData() throws {
        let k = Reference.matrix("K_train_train"), y = Reference.yTrain
        let kxD = Reference.matrix("K_test_train"), kxx = Reference.matrix("K_test_test")
        #expect(throws: ScaleMixtureError.self) { try ScaleFamilyGP(trainKernel: k, targets: Array(y.dropLast()), jitter: 0.01) }
        #expect(throws: ScaleMixtureError.self) {
            try ScaleFamilyGP(trainKernel: k, targets: y, jitter: 0.01, testTrainKernel: kxD.columns(0..<7))
        }
        #expect(throws: ScaleMixtureError.self) {
            try ScaleFamilyGP(trainKernel: k, targets: y, jitter: 0.01, testTrainKernel: kxD, testKernel: Matrix.identity(2))
        }
        #expect(throws: ScaleMixtureError.self) { try ScaleFamilyGP(trainKernel: k, targets: y, jitter: -1) }
        var yNaN = y
        yNaN[2] = .nan
        #expect(throws: ScaleMixtureError.self) { try ScaleFamilyGP(trainKernel: k, targets: yNaN, jitter: 0.01) }
        // Rank-one kernel with ε = 0: not positive definite; the message names ε.
        let rankOne = Matrix(rows: 3, columns: 3) { i, j in Double(i + 1) * Double(j + 1) }
        do {
            _ = try ScaleFamilyGP(trainKernel: rankOne, targets: [1, 2, 3], jitter: 0)
            Issue.record("expected notPositiveDefinite")
        } catch let e as ScaleMixtureError {
            guard case let .notPositiveDefinite(message) = e else { Issue.record("\(e)"); return }
            #expect(message.contains("jitter"))
        }
        // With ε > 0 the same kernel works, and q equals yᵀ(K + εI)⁻¹y from an explicit inverse (1e-10).
        let gp = try ScaleFamilyGP(trainKernel: rankOne, targets: [1, 2, 3], jitter: 0.5)
        var a = rankOne
        a.addToDiagonal(0.5)
        let inv = try Cholesky(a).inverse()
        let yv = Vector([1, 2, 3])
        expectClose(gp.quadraticForm, BLAS.dot(yv, BLAS.matvec(inv, yv)), rtol: 1e-10)
        // Test targets of the wrong count.
        let tp = try StudentTProcess(base: try ScaleFamilyGP(trainKernel: k, targets: y, jitter: 0.01, testTrainKernel: kxD, testKernel: kxx),
                                     shape: 1, scale: 1)
        #expect(throws: ScaleMixtureError.self) { try tp.logPredictiveDensity([0, 0]) }
    }
}
