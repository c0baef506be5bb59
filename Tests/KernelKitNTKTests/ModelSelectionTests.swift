import Foundation
import KernelKitLinalg
import KernelKitNTK
import KernelKitTestSupport
import Testing

@Suite("NNGP marginal likelihood and model selection")
struct ModelSelectionTests {
    @Test("the log marginal likelihood equals the closed form for a 2 × 2 kernel")
    func closedForm() throws {
        let k = Matrix([[2.0, 0.5], [0.5, 1.0]])
        let y = Matrix(rows: 2, columns: 1, columnMajor: [0.3, -1.1])
        let s2 = 0.1
        // (K + s²I)⁻¹ for [[a, b], [b, c]] is [[c, −b], [−b, a]]/det.
        let (a, b, c) = (2.1, 0.5, 1.1)
        let det = a * c - b * b
        let quad = (c * 0.09 - 2 * b * 0.3 * -1.1 + a * 1.21) / det
        let expected = -0.5 * quad - 0.5 * log(det) - log(2 * Double.pi)
        let lml = try NNGPModelSelection.logMarginalLikelihood(kernel: k, targets: y, noiseVariance: s2)
        expectClose(lml, expected, rtol: 1e-13)
    }

    @Test("maximisation raises the likelihood and recovers the generating depth and noise order")
    func recoversGeneratingModel() throws {
        // Targets drawn from the NNGP of a depth-2 ReLU network with σ_w = 1.4, σ_b = 0.3 plus noise 0.01.
        var rng = SeededGenerator(seed: 21)
        let x = rng.normalMatrix(rows: 60, columns: 3)
        let truth = try InfiniteWidthNetwork(NNGPModelSelection.architecture(.relu, 2, 1.4, 0.3)).kernels(x, get: .nngp).nngp!
        var k = truth
        k.addToDiagonal(0.01)
        let l = try Cholesky(k).lower
        let y = Matrix(rows: 60, columns: 1, columnMajor: (l * rng.normalVector(count: 60)).elements)
        let candidates = try NNGPModelSelection.maximize(inputs: x, targets: y, activation: .relu, depths: 1...3,
                                                         start: (1.0, 0.1, 0.5))
        let best = candidates[0]
        let startLML = try NNGPModelSelection.logMarginalLikelihood(
            kernel: InfiniteWidthNetwork(NNGPModelSelection.architecture(.relu, best.depth, 1.0, 0.1)).kernels(x, get: .nngp).nngp!,
            targets: y, noiseVariance: 0.5)
        #expect(best.logMarginalLikelihood > startLML + 10)
        // The likelihood at the optimum is at least the likelihood of the generating parameters.
        let trueLML = try NNGPModelSelection.logMarginalLikelihood(kernel: truth, targets: y, noiseVariance: 0.01)
        #expect(best.logMarginalLikelihood >= trueLML - 1e-6, "best \(best) vs truth \(trueLML)")
        // The noise variance is identified to within a factor 5 with 60 points.
        #expect(best.noiseVariance > 0.002 && best.noiseVariance < 0.05, "\(best)")
        #expect(candidates.count == 3)
    }
}
