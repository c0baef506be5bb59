import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit fit pfn`: train a prior-data fitted network on a GP or learning-curve prior.
struct FitPFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pfn",
        abstract: "Train a prior-data fitted network (transformer) on datasets sampled from a prior.",
        discussion: """
            Müller et al., "Transformers Can Do Bayesian Inference" (ICLR 2022); LC-PFN (Adriaensen \
            et al., NeurIPS 2023). Each step samples --batch-size datasets from the prior, cuts each at \
            a random context size and takes an AdamW step (linear warm-up, cosine decay, gradient \
            clipping) on the negative log-likelihood of the held-out targets under a bar distribution.

            PRIORS: gp (default: x ~ U[0,1]^D, RBF lengthscale 0.2, noise variance 0.01, 50 points; \
            --kernel takes any kernel expression, see `kernelkit fit regression --help`) or lc \
            (learning curves: weighted pow3/ilog2/janoschek, noise e^N(-4,1), --epochs per curve).

            Progress (step, loss, datasets seen, time) goes to stderr every --log-every steps. A \
            checkpoint (model + optimiser state) is written every --checkpoint-every steps to \
            MODEL.ckpt; --resume continues from it with the same batches the uninterrupted run \
            would have drawn. The model file is written at the end.
            """)

    @Option(help: "Prior: gp or lc.") var prior = "gp"
    @Option(help: "GP prior: kernel expression.") var kernel = "rbf(length=0.2)"
    @Option(help: "GP prior: observation-noise variance.") var noise = 0.01
    @Option(help: "GP prior: points per dataset.") var points = 50
    @Option(name: .customLong("input-dimension"), help: "GP prior: input dimension D.") var inputDimension = 1
    @Option(help: "LC prior: epochs per curve.") var epochs = 50

    @Option(help: "Transformer blocks.") var layers = 4
    @Option(name: .customLong("d-model"), help: "Token width.") var dModel = 64
    @Option(help: "Attention heads (must divide --d-model).") var heads = 4
    @Option(help: "MLP width (default 2 × d-model).") var hidden: Int?
    @Option(help: "Buckets of the output bar distribution.") var buckets = 100

    @Option(help: "Optimiser steps.") var steps = 2000
    @Option(name: .customLong("batch-size"), help: "Datasets per step.") var batchSize = 32
    @Option(name: .customLong("learning-rate"), help: "Peak learning rate.") var learningRate = 1e-3
    @Option(help: "Warm-up steps (default steps/20).") var warmup: Int?
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.") var weightDecay = 0.01
    @Option(help: "Gradient-norm clip.") var clip = 1.0

    @Option(help: "Model file to write.") var out = "pfn.kkpfn"
    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints (0: none).") var checkpointEvery = 200
    @Option(name: .customLong("log-every"), help: "Steps between progress lines on stderr.") var logEvery = 50
    @Flag(help: "Continue from MODEL.ckpt if it exists (same options; --steps may be raised).") var resume = false
    @Flag(help: "Print a JSON summary on stdout.") var json = false
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard ["gp", "lc"].contains(prior) else { throw ValidationError("--prior must be gp or lc, got '\(prior)'") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard noise > 0 && noise.isFinite else { throw ValidationError("--noise must be positive") }
        guard (2...1000).contains(points) else { throw ValidationError("--points must lie in 2…1000") }
        guard (2...1000).contains(epochs) else { throw ValidationError("--epochs must lie in 2…1000") }
        guard checkpointEvery >= 0, logEvery >= 1 else { throw ValidationError("--checkpoint-every must be ≥ 0 and --log-every ≥ 1") }
        do { try architecture.validate() } catch { throw ValidationError("\(error)") }
        do { try options.validate() } catch { throw ValidationError("\(error)") }
    }

    var architecture: PFNArchitecture {
        PFNArchitecture(inputDimension: prior == "gp" ? inputDimension : 1, modelDimension: dModel, heads: heads,
                        layers: layers, hiddenDimension: hidden ?? 2 * dModel, buckets: buckets)
    }

    var options: PFNTrainingOptions {
        PFNTrainingOptions(steps: steps, batchSize: batchSize, learningRate: learningRate, warmupSteps: warmup,
                           weightDecay: weightDecay, gradientClip: clip, seed: runtime.seed)
    }

    func makePrior() throws -> any PFNPrior {
        if prior == "lc" { return try LearningCurvePrior(epochs: epochs) }
        return try GaussianProcessPrior(kernel: KernelExpression.parse(kernel), noiseVariance: noise,
                                        inputDimension: inputDimension, pointsPerDataset: points)
    }

    func run() throws {
        runtime.apply()
        let checkpointPath = out + ".ckpt"
        var trainer: PFNTrainer
        if resume, let data = FileManager.default.contents(atPath: checkpointPath) {
            trainer = try PFNTrainer(checkpoint: data, source: checkpointPath, steps: steps)
            guard trainer.model.prior == (try makePrior()).specification, trainer.model.architecture == architecture else {
                throw CLIError("checkpoint \(checkpointPath) was trained with another prior or architecture; drop --resume or match its options")
            }
            progress("resuming \(checkpointPath) at step \(trainer.stepsDone) of \(steps)")
        } else {
            let command = "kernelkit fit pfn " + CommandLine.arguments.dropFirst(3).joined(separator: " ")
            trainer = try PFNTrainer(prior: makePrior(), architecture: architecture, options: options, command: command)
            progress("training a \(architecture.parameterCount)-parameter PFN on \(trainer.model.prior) for \(steps) steps")
        }
        var lastLog = Date()
        var window = 0.0, windowCount = 0
        while !trainer.isFinished {
            window += try trainer.step()
            windowCount += 1
            let s = trainer.stepsDone
            if s % logEvery == 0 || trainer.isFinished {
                let seconds = trainer.model.training.seconds
                progress(String(format: "step %d/%d  loss %.4f  datasets %d  %.1f s (%.1f ms/step)", s, steps,
                                window / Double(windowCount), trainer.model.training.datasetsSeen, seconds,
                                1000 * Date().timeIntervalSince(lastLog) / Double(max(1, windowCount))))
                lastLog = Date()
                window = 0
                windowCount = 0
            }
            if checkpointEvery > 0 && (s % checkpointEvery == 0 || trainer.isFinished) {
                try trainer.checkpointData().write(to: URL(fileURLWithPath: checkpointPath), options: .atomic)
            }
        }
        try trainer.model.write(to: out)
        let record = trainer.model.training
        if json {
            try printJSON(["model": out, "prior": trainer.model.prior.kind, "steps": record.stepsDone,
                           "datasets_seen": record.datasetsSeen, "recent_loss": jsonNumber(record.recentLoss),
                           "seconds": record.seconds, "parameters": architecture.parameterCount])
        } else {
            print("wrote \(out): \(architecture.parameterCount) parameters, \(record.stepsDone) steps, \(record.datasetsSeen) datasets, recent loss \(fmt(record.recentLoss, 4)), \(fmt(record.seconds, 4)) s")
        }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
