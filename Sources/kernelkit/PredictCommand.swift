import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit predict`: predictions of saved models. Without a subcommand name, the GP job below.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a saved model: a GP from `kernelkit fit --save-model` (default) or a PFN.",
        subcommands: [PredictGaussianProcessCommand.self, PredictPFNCommand.self],
        defaultSubcommand: PredictGaussianProcessCommand.self)
}

/// `kernelkit predict [gp] --model model.json --data X`: predictions of a saved GP fit.
struct PredictGaussianProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gp",
        abstract: "Predict with a model saved by `kernelkit fit --save-model`.",
        discussion: """
            --data is a CSV (header optional) or .npy file of inputs, one point per row, with the \
            model's features in order. Columns named like the model's target are ignored. Prints \
            CSV with columns mean,std (the predictive standard deviation including noise) on stdout, \
            or writes it with --out.
            """)

    @Option(help: "Model file written by `kernelkit fit --save-model`.")
    var model: String

    @Option(help: "Inputs (.csv or .npy), one point per row.")
    var data: String

    @Option(help: "Write predictions to FILE (.csv or .npy) instead of stdout.")
    var out: String?

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if let out, !(out.hasSuffix(".csv") || out.hasSuffix(".npy")) { throw ValidationError("--out must end in .csv or .npy") }
    }

    func run() throws {
        runtime.apply()
        guard let bytes = FileManager.default.contents(atPath: model) else { throw CLIError("cannot read model file \(model)") }
        let saved: SavedModel
        do { saved = try JSONDecoder().decode(SavedModel.self, from: bytes) } catch {
            throw CLIError("\(model) is not a KernelKit model file (\(error.localizedDescription))")
        }
        guard saved.format == "kernelkit.cli-model/1" else { throw CLIError("\(model): unknown model format '\(saved.format)'") }
        let gp = try GaussianProcessRegressor(model: saved.gaussianProcess)
        var inputs = try Dataset.load(data, options: DataReadOptions())
        if inputs.featureNames.contains(saved.targetName) && inputs.dimension == saved.featureNames.count + 1 {
            inputs = try Dataset.load(data, options: DataReadOptions(target: .name(saved.targetName)))
        }
        let d = saved.featureNames.count
        guard inputs.dimension == d else {
            throw CLIError("\(data) has \(inputs.dimension) feature columns; the model expects \(d) (\(saved.featureNames.joined(separator: ", ")))")
        }
        let x = Matrix(rows: inputs.count, columns: d) { i, j in (inputs.features[i, j] - saved.featureMean[j]) / saved.featureScale[j] }
        let (mean, variance) = try gp.predict(x, includeNoise: true)
        let result = Matrix(rows: x.rows, columns: 2) { i, j in j == 0 ? mean[i] : Swift.max(variance[i], 0).squareRoot() }
        guard result.isFinite else { throw CLIError("prediction produced non-finite values") }
        if let out {
            try writeMatrix(result, columnNames: ["mean", "std"], to: out)
        } else {
            print(CSV.string(result, columnNames: ["mean", "std"]), terminator: "")
        }
    }
}
