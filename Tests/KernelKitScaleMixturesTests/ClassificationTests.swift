import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitScaleMixtures

/// One-hot regression classification: conditioning against `ScaleFamilyGP` per column, evidence
/// against `StudentTEvidence` / the Gaussian likelihood, and Monte-Carlo class probabilities against
/// the two-class closed forms P(f₁ > f₀) = Φ(d/√(2σ²Cᵢᵢ)) (GP) and T_ν(d/√(2mCᵢᵢ)) (Student t), d = μ₁ − μ₀.
@Suite("Classification by one-hot regression")
struct ClassificationTests {
    /// 1-D inputs, labels by the sign of sin, RBF kernel; a few test points near and far.
    static func problem(n: Int, classes: Int, seed: UInt64) -> (k: Matrix, labels: [Int], kxD: Matrix, kxx: Matrix) {
        var g = SeededGenerator(seed: seed)
        let x = (0..<n).map { _ in g.uniform(from: -3, to: 3) }
        let labels = x.map { Int((sin(2 * $0) + 1) / 2 * Double(classes) * 0.999) }
        let xs = [-2.5, -0.4, 0.3, 1.7, 6.0]
        func k(_ a: Double, _ b: Double) -> Double { exp(-(a - b) * (a - b) / 2) }
        return (Matrix(rows: n, columns: n) { k(x[$0], x[$1]) }, labels,
                Matrix(rows: xs.count, columns: n) { k(xs[$0], x[$1]) }, Matrix(rows: xs.count, columns: xs.count) { k(xs[$0], xs[$1]) })
    }

    @Test("means and variances match ScaleFamilyGP per column (1e-12); evidence matches StudentTEvidence and the Gaussian likelihood (1e-12)")
    func conditioning() throws {
        let (k, labels, kxD, kxx) = Self.problem(n: 30, classes: 3, seed: 4)
        let eps = 0.05
        let tp = try OneHotRegressionClassifier(trainKernel: k, labels: labels, classCount: 3, jitter: eps, scale: .studentT(alpha: 2, beta: 3),
                                                testTrainKernel: kxD, testKernelDiagonal: kxx.diagonal.elements)
        let gp = try OneHotRegressionClassifier(trainKernel: k, labels: labels, classCount: 3, jitter: eps, scale: .gaussian(sigma2: 0.7),
                                                testTrainKernel: kxD, testKernelDiagonal: kxx.diagonal.elements)
        var gaussianLML = 0.0
        for c in 0..<3 {
            let base = try ScaleFamilyGP(trainKernel: k, targets: labels.map { $0 == c ? 1 : 0 }, jitter: eps, testTrainKernel: kxD, testKernel: kxx)
            expectClose(tp.predictiveMean.column(c).elements, base.predictiveMean, rtol: 1e-12, atol: 1e-14, "mean, class \(c)")
            expectClose(tp.conditionalVariance, base.conditionalVariance, rtol: 1e-10, atol: 1e-14, "C_ii")
            gaussianLML += base.logLikelihood(sigma2: 0.7)
        }
        expectClose(gp.logMarginalLikelihood, gaussianLML, rtol: 1e-12)
        let y = Matrix(rows: 30, columns: 3) { i, c in labels[i] == c ? 1 : 0 }
        let evidence = try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: 2, beta: 3, jitter: eps)
        expectClose(tp.logMarginalLikelihood, evidence.value, rtol: 1e-12)
        #expect(tp.degreesOfFreedom == 94.0, "2α + nC = 4 + 30·3")
    }

    /// Student-t CDF T_ν(x) by adaptive quadrature of the density (relative tolerance 1e-12).
    static func studentTCDF(_ x: Double, dof nu: Double) throws -> Double {
        let logNorm = try SpecialFunctions.logGamma((nu + 1) / 2) - SpecialFunctions.logGamma(nu / 2) - 0.5 * log(nu * Double.pi)
        let tail = try Quadrature.integrate({ t in exp(logNorm - (nu + 1) / 2 * log1p(t * t / nu)) }, from: -.infinity, to: -abs(x),
                                            relativeTolerance: 1e-12)
        return x < 0 ? tail.value : 1 - tail.value
    }

    @Test("two classes: Monte-Carlo P(class 1) = Φ (GP) and T_ν (Student t, ν = 2α + 2n = 16) within 4.5 standard errors + 1/S")
    func twoClassClosedForms() throws {
        let (k, labels, kxD, kxx) = Self.problem(n: 6, classes: 2, seed: 9)   // small n: heavy predictive tails
        let samples = 20_000
        for scale in [OneHotRegressionClassifier.OutputScale.gaussian(sigma2: 0.4), .studentT(alpha: 2, beta: 1)] {
            let model = try OneHotRegressionClassifier(trainKernel: k, labels: labels, classCount: 2, jitter: 0.1, scale: scale,
                                                       testTrainKernel: kxD, testKernelDiagonal: kxx.diagonal.elements)
            let p = try model.classProbabilities(samples: samples, seed: 42)
            for i in 0..<p.rows {
                let d = model.predictiveMean[i, 1] - model.predictiveMean[i, 0]
                let z = d / (2 * model.scaleMultiplier * model.conditionalVariance[i]).squareRoot()
                let exact = try model.degreesOfFreedom.map { try Self.studentTCDF(z, dof: $0) } ?? 0.5 * (try SpecialFunctions.erfc(-z / 2.squareRoot()))
                let se = (exact * (1 - exact) / Double(samples)).squareRoot()
                #expect(abs(p[i, 1] - exact) <= 4.5 * se + 1.0 / Double(samples), "\(scale), point \(i): \(p[i, 1]) vs \(exact)")
                expectClose(p[i, 0] + p[i, 1], 1, rtol: 1e-14)
            }
            if case .studentT = scale { #expect(model.degreesOfFreedom == 16) }
        }
    }

    @Test("same seed, same probabilities; score counts argmax and averages −log p")
    func determinismAndScore() throws {
        let (k, labels, kxD, kxx) = Self.problem(n: 20, classes: 4, seed: 1)
        let model = try OneHotRegressionClassifier(trainKernel: k, labels: labels, classCount: 4, jitter: 0.05, scale: .studentT(alpha: 1, beta: 1),
                                                   testTrainKernel: kxD, testKernelDiagonal: kxx.diagonal.elements)
        let a = try model.classProbabilities(samples: 500, seed: 3), b = try model.classProbabilities(samples: 500, seed: 3)
        #expect(a == b)
        let p = Matrix([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0 + 1e-300]])
        let s = OneHotRegressionClassifier.score(probabilities: p, labels: [0, 1, 1])
        expectClose(s.accuracy, 1.0 / 3, rtol: 1e-15)   // row 3 ties go to class 0
        expectClose(s.negativeLogLikelihood, -(log(0.7) + log(0.3) + log(0.5)) / 3, rtol: 1e-14)
    }

    @Test("bad input: labels out of range, one class, ε ≤ 0, σ² ≤ 0, not PD")
    func badInput() throws {
        let (k, labels, kxD, kxx) = Self.problem(n: 10, classes: 2, seed: 2)
        let d = kxx.diagonal.elements
        func make(_ l: [Int], _ c: Int, _ e: Double, _ s: OneHotRegressionClassifier.OutputScale, _ kk: Matrix) throws {
            _ = try OneHotRegressionClassifier(trainKernel: kk, labels: l, classCount: c, jitter: e, scale: s, testTrainKernel: kxD, testKernelDiagonal: d)
        }
        #expect(throws: ScaleMixtureError.self) { try make(labels.map { $0 + 1 }, 2, 0.1, .gaussian(sigma2: 1), k) }
        #expect(throws: ScaleMixtureError.self) { try make(labels.map { _ in 0 }, 1, 0.1, .gaussian(sigma2: 1), k) }
        #expect(throws: ScaleMixtureError.self) { try make(labels, 2, 0, .gaussian(sigma2: 1), k) }
        #expect(throws: ScaleMixtureError.self) { try make(labels, 2, 0.1, .gaussian(sigma2: 0), k) }
        #expect(throws: ScaleMixtureError.self) { try make(labels, 2, 0.1, .studentT(alpha: 0, beta: 1), k) }
        #expect(throws: ScaleMixtureError.notPositiveDefinite("K + εI is not positive definite with ε = 0.1; increase the jitter ε")) {
            try make(labels, 2, 0.1, .gaussian(sigma2: 1), -1 * k)
        }
    }
}
