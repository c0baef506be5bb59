import Foundation
import KernelKitLinalg

/// MCMC baseline for learning-curve extrapolation on exactly the ``LearningCurvePrior``: the posterior
/// of the latent z ~ N(0, I₁₃) given the observed first epochs is sampled by elliptical slice sampling
/// (Murray, Adams & MacKay, "Elliptical slice sampling", AISTATS 2010), which needs no tuning and is
/// exact for a Gaussian prior times any likelihood. The likelihood is
///
///     L(z) = Πₜ N(yₜ; f_z(t), σ_z²)   if the noiseless curve f_z is valid (non-decreasing, in [0, 1]),
///     L(z) = 0                        otherwise (the prior's rejection step),
///
/// and the predictive of a later epoch is the mixture (1/S) Σₛ N(y; f_{zₛ}(t), σ_{zₛ}²) over the S
/// retained samples. Cost: chains·(burnIn + samples) slice steps, each a few curve evaluations of
/// O(T) transcendental functions.
public struct LearningCurveMCMC: Sendable {
    /// The prior whose posterior is sampled.
    public let prior: LearningCurvePrior
    /// Independent chains (each started from a prior draw).
    public var chains: Int
    /// Discarded initial steps per chain.
    public var burnIn: Int
    /// Retained steps per chain.
    public var samplesPerChain: Int

    /// A sampler; defaults 4 chains × (500 burn-in + 500 retained).
    public init(prior: LearningCurvePrior, chains: Int = 4, burnIn: Int = 500, samplesPerChain: Int = 500) {
        precondition(chains >= 1 && burnIn >= 0 && samplesPerChain >= 1, "LearningCurveMCMC: invalid budget")
        self.prior = prior
        self.chains = chains
        self.burnIn = burnIn
        self.samplesPerChain = samplesPerChain
    }

    /// log L(z) for observations y at the first epochs (x = t/T, t = 1 … nc), −∞ for an invalid curve.
    func logLikelihood(_ z: [Double], observed y: [Double]) -> Double {
        let f = prior.curve(latent: z, at: prior.grid)
        guard LearningCurvePrior.isValid(f) else { return -.infinity }
        let sigma = LearningCurvePrior.noiseScale(z)
        var l = 0.0
        for (t, yt) in y.enumerated() {
            let r = (yt - f[t]) / sigma
            l -= 0.5 * r * r
        }
        return l - Double(y.count) * (Foundation.log(sigma) + 0.5 * Foundation.log(2 * Double.pi))
    }

    /// Posterior samples of z given the first `observed.count` epochs of a curve.
    /// - Throws: ``PFNError/invalidInput(_:)`` when more observations than epochs are given or one is not finite.
    public func posteriorSamples(observed y: [Double], using g: inout SeededGenerator) throws -> [[Double]] {
        guard y.count <= prior.epochs else {
            throw PFNError.invalidInput("\(y.count) observed epochs exceed the prior's \(prior.epochs)")
        }
        guard y.allSatisfy({ $0.isFinite }) else { throw PFNError.invalidInput("observed learning-curve values must be finite") }
        var samples: [[Double]] = []
        samples.reserveCapacity(chains * samplesPerChain)
        let m = LearningCurvePrior.latentDimension
        for _ in 0..<chains {
            var z = try prior.sampleLatent(using: &g)
            var current = logLikelihood(z, observed: y)
            for step in 0..<(burnIn + samplesPerChain) {
                let nu = (0..<m).map { _ in g.standardNormal() }
                let threshold = current + Foundation.log(g.uniformOpen())
                var theta = g.uniform(from: 0, to: 2 * Double.pi)
                var lo = theta - 2 * Double.pi, hi = theta
                while true {
                    let c = Foundation.cos(theta), s = Foundation.sin(theta)
                    let proposal = (0..<m).map { z[$0] * c + nu[$0] * s }
                    let l = logLikelihood(proposal, observed: y)
                    if l > threshold {
                        z = proposal
                        current = l
                        break
                    }
                    if theta < 0 { lo = theta } else { hi = theta }
                    // The bracket shrinks towards θ = 0 (the current state, which satisfies the
                    // threshold), so this terminates with probability one.
                    if hi - lo < 1e-12 { break }
                    theta = g.uniform(from: lo, to: hi)
                }
                if step >= burnIn { samples.append(z) }
            }
        }
        return samples
    }

    /// Log predictive densities of `targets` at epochs (x = t/T) `queryInputs` under the sample mixture.
    public func logPredictiveDensities(samples: [[Double]], queryInputs: [Double], targets: [Double]) -> [Double] {
        precondition(queryInputs.count == targets.count, "logPredictiveDensities: size mismatch")
        let curves = samples.map { prior.curve(latent: $0, at: queryInputs) }
        let sigmas = samples.map(LearningCurvePrior.noiseScale)
        return targets.indices.map { j in
            let terms = samples.indices.map { s -> Double in
                let r = (targets[j] - curves[s][j]) / sigmas[s]
                return -0.5 * r * r - Foundation.log(sigmas[s]) - 0.5 * Foundation.log(2 * Double.pi)
            }
            let top = terms.max() ?? 0
            return top + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - top) } / Double(terms.count))
        }
    }
}

extension PFNEvaluation {
    /// One learning curve scored by the LC-PFN and by MCMC.
    public struct CurveRow: Sendable {
        /// Observed epochs (the cut-off).
        public var observedEpochs: Int
        /// Mean −log p of the remaining epochs under the PFN.
        public var pfnNLL: Double
        /// Mean −log p of the remaining epochs under the MCMC predictive.
        public var mcmcNLL: Double
        /// Seconds for the PFN's prediction of this curve (batched forward pass, share per curve).
        public var pfnSeconds: Double
        /// Seconds for the MCMC run and its predictive.
        public var mcmcSeconds: Double
    }

    /// Draws `curves` fresh curves from the LC prior (generator seeded by `seed`), cuts curve i after
    /// 1 + (i mod (T − 1)) epochs, and scores the remaining epochs under the PFN (one batched forward
    /// pass over all curves; each curve is charged an equal share of its time) and under MCMC on the
    /// same prior (curve i's chains use a generator seeded by (seed, i), so the curves do not depend on
    /// the MCMC budget and budgets can be compared on the same curves).
    /// - Throws: ``PFNError/invalidInput(_:)`` when the model was trained on another prior.
    public static func compareWithMCMC(model: PFNModel, prior: LearningCurvePrior, curves: Int, seed: UInt64,
                                       mcmc: LearningCurveMCMC) throws -> [CurveRow] {
        guard model.prior == prior.specification else {
            throw PFNError.invalidInput("the model was trained on \(model.prior), not on \(prior.specification)")
        }
        var g = SeededGenerator(seed: seed)
        var data: [(x: [Double], y: [Double], observed: Int)] = []
        var batch = PFNBatch(inputDimension: 1)
        for i in 0..<curves {
            let (x, y) = try prior.sampleDataset(using: &g)
            let nc = 1 + i % (prior.epochs - 1)
            data.append((x, y, nc))
            batch.append(contextInputs: Array(x[0..<nc]), contextTargets: Array(y[0..<nc]), queryInputs: Array(x[nc...]))
        }
        let t0 = Date()
        let predictive = model.predict(batch)
        let pfnSeconds = Date().timeIntervalSince(t0) / Double(max(1, curves))
        var rows: [CurveRow] = []
        var q = 0
        for (i, (x, y, nc)) in data.enumerated() {
            let qx = Array(x[nc...]), qy = Array(y[nc...])
            let pfn = -zip(predictive[q..<(q + qy.count)], qy).map { $0.logDensity($1) }.reduce(0, +) / Double(qy.count)
            q += qy.count
            var chainGenerator = SeededGenerator(seed: seed &+ 0x9e37_79b9_7f4a_7c15 &* UInt64(i + 1))
            let t1 = Date()
            let samples = try mcmc.posteriorSamples(observed: Array(y[0..<nc]), using: &chainGenerator)
            let logs = mcmc.logPredictiveDensities(samples: samples, queryInputs: qx, targets: qy)
            let exact = -logs.reduce(0, +) / Double(qy.count)
            let t2 = Date()
            rows.append(CurveRow(observedEpochs: nc, pfnNLL: pfn, mcmcNLL: exact, pfnSeconds: pfnSeconds,
                                 mcmcSeconds: t2.timeIntervalSince(t1)))
        }
        return rows
    }
}
