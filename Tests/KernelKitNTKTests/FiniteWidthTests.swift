import Foundation
import KernelKitLinalg
@testable import KernelKitNTK
import KernelKitTestSupport
import Testing

@Suite("Finite-width networks and the empirical NTK")
struct FiniteWidthTests {
    static let x = Matrix([[0.3, -1.2, 0.5], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, 0.2, -0.1]])

    /// Θ(x, x′) = J(x)·J(x′) with J from central finite differences over every parameter
    /// (step 1e-6; truncation O(h²) and rounding O(ε/h) give ~1e-8 relative accuracy).
    static func finiteDifferenceNTK(_ net: FiniteWidthNetwork, _ x: Matrix) -> Matrix {
        var jacobianRows: [[Double]] = Array(repeating: [], count: x.rows)
        let h = 1e-6
        for (si, step) in net.steps.enumerated() {
            guard case let .dense(layer) = step else { continue }
            // The trained parameters: θ_W with W_eff = c·θ_W (ntk: c = σ_w/√n_in, standard: c = 1 and
            // θ_W = (σ_w/√n_in)·N(0,1)); likewise for the bias.
            let cW = layer.parameterization == .ntk ? 1.0 : layer.weightScale
            let cB = layer.parameterization == .ntk ? 1.0 : layer.biasScale
            func perturbed(_ f: (inout FiniteWidthNetwork.DenseLayer) -> Void) -> Matrix {
                var copy = net
                var l = layer
                f(&l)
                var steps = copy.steps
                steps[si] = .dense(l)
                copy = FiniteWidthNetwork(steps: steps, inputDimension: net.inputDimension)
                return copy(x)
            }
            for k in layer.weights.storage.indices {
                let plus = perturbed { $0.weights.storage[k] += h / cW }
                let minus = perturbed { $0.weights.storage[k] -= h / cW }
                for i in 0..<x.rows { jacobianRows[i].append((plus[i, 0] - minus[i, 0]) / (2 * h)) }
            }
            if let b = layer.bias {
                for k in b.indices {
                    let plus = perturbed { $0.bias![k] += h / cB }
                    let minus = perturbed { $0.bias![k] -= h / cB }
                    for i in 0..<x.rows { jacobianRows[i].append((plus[i, 0] - minus[i, 0]) / (2 * h)) }
                }
            }
        }
        return Matrix(rows: x.rows, columns: x.rows) { i, j in zip(jacobianRows[i], jacobianRows[j]).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    @Test("the Jacobian contraction equals J Jᵀ from finite differences", arguments: [Parameterization.ntk, .standard])
    func empiricalNTKIsExact(p: Parameterization) throws {
        let layers = try ArchitectureSpec.parse("dense(1.5,0.1,4),erf,dense(1.2,0.2,3),gelu,dense(1.1,0.05,2)", parameterization: p)
        let net = try FiniteWidthNetwork(layers, inputDimension: 3, seed: 11)
        let theta = try net.empiricalKernels(Self.x).ntk!
        expectClose(theta, Self.finiteDifferenceNTK(net, Self.x), rtol: 1e-6, atol: 1e-8 * theta.maxAbs)
    }

    @Test("the empirical NTK converges to the infinite-width NTK like 1/√width")
    func convergenceRate() throws {
        let layers = try ArchitectureSpec.parse("dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05,1)")
        let study = try WidthConvergence(layers: layers, inputs: Self.x, widths: [64, 256, 1024], seeds: 6, seed: 1)
        // CLT: deviation ∝ width^(−1/2). With 6 seeds per width the fitted slope scatters by ~0.1.
        let slope = try #require(study.slope)
        #expect(slope > -0.8 && slope < -0.25, "slope \(slope), deviations \(study.relativeDeviation)")
        #expect(study.relativeDeviation.last! < 0.15)
        #expect(study.relativeDeviation[0] > study.relativeDeviation[2])
    }

    @Test("averaging over initialisations approaches the infinite-width NTK")
    func ensembleMean() throws {
        let layers = try ArchitectureSpec.parse("dense(1.3,0.1),erf,dense(1.3,0.1,1)")
        let wide = FiniteWidthNetwork.self
        let infinite = try InfiniteWidthNetwork(layers).kernels(Self.x).ntk!
        var mean = Matrix(rows: 4, columns: 4)
        var single = 0.0
        let seeds = 16
        for s in 0..<seeds {
            let theta = try wide.init(WidthConvergence.withHiddenWidth(layers, 256), inputDimension: 3, seed: UInt64(s)).empiricalKernels(Self.x).ntk!
            mean = mean + (1 / Double(seeds)) * theta
            single += frobenius(theta - infinite) / Double(seeds)
        }
        // Independent fluctuations average out (≈ 1/√16 of a single network's deviation) up to an
        // O(1/width) bias; demand at least a factor 2.
        #expect(frobenius(mean - infinite) < 0.5 * single)
    }

    func frobenius(_ m: Matrix) -> Double { m.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test("layers other than dense and activations are rejected")
    func unsupported() {
        #expect(throws: NTKError.self) { try FiniteWidthNetwork([.dense(1), .layerNorm, .dense(1)], inputDimension: 2, seed: 0) }
        #expect(throws: NTKError.self) { try FiniteWidthNetwork([.dense(1), .activation(.relu)], inputDimension: 2, seed: 0) }
    }
}

@Suite("Gradient-descent training of finite networks")
struct TrainingTests {
    static let x = FiniteWidthTests.x
    static let y = Matrix(rows: 4, columns: 1, columnMajor: [0.5, -0.3, 1.2, 0.1])

    @Test("one small step moves the outputs by −(η/N) Θ_emp (f − y), as the NTK says", arguments: [Parameterization.ntk, .standard])
    func firstStepFollowsTheEmpiricalNTK(p: Parameterization) throws {
        let layers = try ArchitectureSpec.parse("dense(1.4,0.1,64),erf,dense(1.2,0.2,64),relu,dense(1.1,0.05,1)", parameterization: p)
        var net = try FiniteWidthNetwork(layers, inputDimension: 3, seed: 5)
        let theta = try net.empiricalKernels(Self.x).ntk!
        let f0 = net(Self.x)
        let eta = 1e-4
        try net.train(inputs: Self.x, targets: Self.y, learningRate: eta, steps: 1)
        let change = net(Self.x) - f0
        let predicted = (-eta / 4) * BLAS.matmul(theta, f0 - Self.y)
        // First-order agreement: the O(η²) remainder is ~1e-4 of the change at this η.
        expectClose(change, predicted, rtol: 1e-3, atol: 1e-3 * predicted.maxAbs)
    }

    @Test("the training loss decreases, and a diverging learning rate is reported")
    func lossDecreases() throws {
        let layers = try ArchitectureSpec.parse("dense(1.5,0.05,256),relu,dense(1.5,0.05,1)")
        var net = try FiniteWidthNetwork(layers, inputDimension: 3, seed: 2)
        let losses = try net.train(inputs: Self.x, targets: Self.y, learningRate: 0.5, steps: 50)
        #expect(losses.count == 51 && losses.last! < 0.1 * losses.first!)
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-12) })
        var wild = try FiniteWidthNetwork(layers, inputDimension: 3, seed: 2)
        #expect(throws: NTKError.self) { try wild.train(inputs: Self.x, targets: Self.y, learningRate: 1e6, steps: 200) }
    }
}
