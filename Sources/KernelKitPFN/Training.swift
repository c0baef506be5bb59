import Foundation
import KernelKitLinalg

/// Options of PFN training (Müller et al. 2022, §4: AdamW, linear warm-up then cosine decay,
/// gradient clipping; each step a fresh batch of prior datasets cut at random context sizes).
public struct PFNTrainingOptions: Codable, Sendable, Equatable {
    /// Number of optimiser steps S.
    public var steps: Int
    /// Datasets per step.
    public var batchSize: Int
    /// Peak learning rate η (reached after warm-up).
    public var learningRate: Double
    /// Steps of linear warm-up from η/warmup to η.
    public var warmupSteps: Int
    /// Decoupled weight decay λ applied to weight matrices (AdamW; Loshchilov & Hutter, ICLR 2019).
    public var weightDecay: Double
    /// Maximum global gradient norm (larger gradients are rescaled to this norm).
    public var gradientClip: Double
    /// Number of prior samples of y used to place the equal-mass bucket borders.
    public var borderSamples: Int
    /// Seed of every random choice (initialisation, borders, batches).
    public var seed: UInt64

    /// Training options; call ``validate()`` on user-supplied values.
    public init(steps: Int, batchSize: Int = 32, learningRate: Double = 1e-3, warmupSteps: Int? = nil,
                weightDecay: Double = 0.01, gradientClip: Double = 1, borderSamples: Int = 100_000, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps ?? max(1, steps / 20)
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.borderSamples = borderSamples
        self.seed = seed
    }

    /// - Throws: ``PFNError/invalidInput(_:)`` for a non-positive step count, batch size, learning
    ///   rate or clip, a negative weight decay or warm-up.
    public func validate() throws {
        guard steps >= 1 else { throw PFNError.invalidInput("steps must be at least 1, got \(steps)") }
        guard batchSize >= 1 else { throw PFNError.invalidInput("the batch size must be at least 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw PFNError.invalidInput("the learning rate must be positive, got \(learningRate)") }
        guard warmupSteps >= 0 else { throw PFNError.invalidInput("warm-up steps must be ≥ 0") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw PFNError.invalidInput("weight decay must be ≥ 0") }
        guard gradientClip > 0, gradientClip.isFinite else { throw PFNError.invalidInput("the gradient clip must be positive") }
        guard borderSamples >= 2 else { throw PFNError.invalidInput("border samples must be at least 2") }
    }

    /// Learning rate at step s (0-based): η(s + 1)/W during warm-up (s < W), then the cosine decay
    /// η · ½(1 + cos(π (s − W)/(S − W))).
    public func learningRate(atStep s: Int) -> Double {
        if s < warmupSteps { return learningRate * Double(s + 1) / Double(warmupSteps) }
        let span = max(1, steps - warmupSteps)
        let progress = min(1, Double(s - warmupSteps) / Double(span))
        return learningRate * 0.5 * (1 + Foundation.cos(Double.pi * progress))
    }
}

/// What a model file records about its training.
public struct PFNTrainingRecord: Codable, Sendable, Equatable {
    /// The options used.
    public var options: PFNTrainingOptions
    /// Optimiser steps completed.
    public var stepsDone: Int
    /// Exponential moving average (factor 0.99) of the training loss, NaN-free (0 before step 1).
    public var recentLoss: Double
    /// Wall-clock seconds spent in training steps.
    public var seconds: Double
    /// The command line that trained the model, when trained by the CLI.
    public var command: String?

    /// A record of a run that has not started.
    public init(options: PFNTrainingOptions, command: String? = nil) {
        self.options = options
        self.stepsDone = 0
        self.recentLoss = 0
        self.seconds = 0
        self.command = command
    }

    /// Datasets seen so far (steps × batch size).
    public var datasetsSeen: Int { stepsDone * options.batchSize }
}

/// AdamW moment estimates, one tensor per parameter tensor.
public struct AdamWState: Sendable {
    /// First-moment (mean) estimates m.
    public var firstMoment: [Matrix]
    /// Second-moment (uncentred variance) estimates v.
    public var secondMoment: [Matrix]
}

/// Trains a PFN on a prior. Each step draws `batchSize` datasets of the prior (with a generator seeded
/// by (seed, step), so a resumed run draws exactly the batches the uninterrupted run would), cuts each at
/// a context size uniform on {0, …, n − 1}, and takes one AdamW step (β = (0.9, 0.999), ε = 1e-8,
/// PyTorch's update order) on the per-dataset mean NLL of the query targets, after clipping the global
/// gradient norm. Deterministic given the seed.
public struct PFNTrainer {
    /// The model being trained (its `training` record counts the steps).
    public private(set) var model: PFNModel
    /// The prior.
    public let prior: any PFNPrior
    /// AdamW state.
    public private(set) var optimizer: AdamWState

    /// A fresh run: borders from `options.borderSamples` prior draws of y, network initialised from the seed.
    /// - Throws: ``PFNError/invalidInput(_:)`` for invalid options or architecture, or the prior's error.
    public init(prior: any PFNPrior, architecture: PFNArchitecture, options: PFNTrainingOptions, command: String? = nil) throws {
        try options.validate()
        try architecture.validate()
        guard architecture.inputDimension == prior.inputDimension else {
            throw PFNError.invalidInput("the architecture has input dimension \(architecture.inputDimension) but the prior \(prior.inputDimension)")
        }
        var g = SeededGenerator(seed: options.seed ^ 0x5eed_b0de_5eed_b0de)
        var ys: [Double] = []
        ys.reserveCapacity(options.borderSamples + prior.pointsPerDataset)
        while ys.count < options.borderSamples { ys += try prior.sampleDataset(using: &g).targets }
        let bar = try BarDistribution.equalMass(samples: ys, buckets: architecture.buckets)
        let transformer = PFNTransformer(architecture: architecture, seed: options.seed)
        self.model = PFNModel(transformer: transformer, bar: bar, prior: prior.specification,
                              training: PFNTrainingRecord(options: options, command: command))
        self.prior = prior
        let zeros = transformer.parameters.map { Matrix(rows: $0.rows, columns: $0.columns) }
        self.optimizer = AdamWState(firstMoment: zeros, secondMoment: zeros)
    }

    /// Resumes from a checkpoint written by ``checkpointData()``; `steps` (if given) replaces the
    /// total step count (the cosine schedule then stretches to the new total).
    /// - Throws: ``PFNError/invalidInput(_:)`` for an unreadable checkpoint or one without optimiser state.
    public init(checkpoint data: Data, source: String, steps: Int? = nil) throws {
        let (model, optimizer) = try PFNModel.deserialize(data, source: source)
        guard let optimizer else {
            throw PFNError.invalidInput("'\(source)' is a model without optimiser state, not a training checkpoint")
        }
        var m = model
        if let steps {
            guard steps >= 1 else { throw PFNError.invalidInput("steps must be at least 1") }
            m.training.options.steps = steps
        }
        self.model = m
        self.prior = try model.prior.makePrior()
        self.optimizer = optimizer
    }

    /// Steps completed.
    public var stepsDone: Int { model.training.stepsDone }
    /// Whether all steps are done.
    public var isFinished: Bool { stepsDone >= model.training.options.steps }

    /// The training batch of step s (0-based). Deterministic in (seed, s).
    public func batch(forStep s: Int) throws -> PFNBatch {
        let options = model.training.options
        var g = SeededGenerator(seed: options.seed &+ 0x9e37_79b9_7f4a_7c15 &* UInt64(s + 1))
        return try Self.sampleBatch(prior: prior, datasets: options.batchSize, using: &g)
    }

    /// `datasets` prior datasets, each cut at a uniform random context size in {0, …, n − 1}.
    public static func sampleBatch(prior: any PFNPrior, datasets: Int, using g: inout SeededGenerator) throws -> PFNBatch {
        let d = prior.inputDimension
        var batch = PFNBatch(inputDimension: d)
        for _ in 0..<datasets {
            let (x, y) = try prior.sampleDataset(using: &g)
            let n = y.count
            let nc = g.integer(below: n)
            batch.append(contextInputs: Array(x[0..<(nc * d)]), contextTargets: Array(y[0..<nc]),
                         queryInputs: Array(x[(nc * d)...]), queryTargets: Array(y[nc...]))
        }
        return batch
    }

    /// One AdamW step; returns the batch loss before the update.
    /// - Throws: ``PFNError/invalidInput(_:)`` when the loss or gradient is not finite (lower the
    ///   learning rate), or the prior's sampling error.
    @discardableResult
    public mutating func step() throws -> Double {
        let start = Date()
        let s = stepsDone
        let options = model.training.options
        let batch = try batch(forStep: s)
        var (loss, gradient) = model.transformer.lossAndGradient(batch, bar: model.bar)
        var squaredNorm = 0.0
        for g in gradient { for x in g.storage { squaredNorm += x * x } }
        guard loss.isFinite, squaredNorm.isFinite else {
            throw PFNError.invalidInput("training diverged at step \(s + 1) (non-finite loss or gradient); lower the learning rate")
        }
        let norm = squaredNorm.squareRoot()
        if norm > options.gradientClip {
            let c = options.gradientClip / norm
            for i in gradient.indices { for j in gradient[i].storage.indices { gradient[i].storage[j] *= c } }
        }
        let lr = options.learningRate(atStep: s)
        let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
        let t = Double(s + 1)
        let step = lr / (1 - Foundation.pow(beta1, t))
        let root2 = (1 - Foundation.pow(beta2, t)).squareRoot()
        for i in gradient.indices {
            let decays = gradient[i].columns > 1 && options.weightDecay > 0
            var p = model.transformer.parameters[i]
            var m = optimizer.firstMoment[i], v = optimizer.secondMoment[i]
            let g = gradient[i].storage
            for j in p.storage.indices {
                if decays { p.storage[j] *= 1 - lr * options.weightDecay }
                m.storage[j] = beta1 * m.storage[j] + (1 - beta1) * g[j]
                v.storage[j] = beta2 * v.storage[j] + (1 - beta2) * g[j] * g[j]
                p.storage[j] -= step * m.storage[j] / (v.storage[j].squareRoot() / root2 + epsilon)
            }
            model.transformer.parameters[i] = p
            optimizer.firstMoment[i] = m
            optimizer.secondMoment[i] = v
        }
        model.training.stepsDone = s + 1
        model.training.recentLoss = s == 0 ? loss : 0.99 * model.training.recentLoss + 0.01 * loss
        model.training.seconds += Date().timeIntervalSince(start)
        return loss
    }

    /// The checkpoint bytes (model + optimiser state), for ``init(checkpoint:source:steps:)``.
    public func checkpointData() throws -> Data { try PFNModel.serialize(model, optimizer: optimizer) }
}
