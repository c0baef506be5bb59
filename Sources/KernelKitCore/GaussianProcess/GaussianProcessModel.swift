import KernelKitLinalg

/// A fitted Gaussian-process regression model as a plain `Codable` record, so a fit can be written
/// to JSON and loaded later to predict (`JSONEncoder().encode(gp.model)`,
/// `try GaussianProcessRegressor(model: JSONDecoder().decode(GaussianProcessModel.self, from: data))`).
///
/// The kernel is stored as its canonical expression (``KernelExpression``), which carries every
/// hyperparameter value, bound and fixed flag and parses back to the same kernel; `hyperparameters`
/// repeats the values by name for readers of the file and is checked on loading. Loading refits
/// (one O(n³) Cholesky factorisation) with the default jitter policy.
public struct GaussianProcessModel: Codable, Sendable, Equatable {
    /// Record format identifier, `"kernelkit.gp-regression/1"`.
    public var format: String
    /// Canonical kernel expression with the fitted hyperparameters.
    public var kernel: String
    /// Hyperparameters by name (informative; must agree with `kernel`).
    public var hyperparameters: [Hyperparameter]
    /// Diagonal added to the Gram matrix.
    public var alpha: Double
    /// Whether targets were standardised.
    public var normalizeTarget: Bool
    /// ȳ of the target normalisation (0 without it).
    public var targetMean: Double
    /// s of the target normalisation (1 without it).
    public var targetScale: Double
    /// Training inputs, one array per point.
    public var inputs: [[Double]]
    /// Training targets in original units.
    public var targets: [Double]
    /// Log marginal likelihood at the stored hyperparameters.
    public var logMarginalLikelihood: Double

    /// The format identifier written by this version.
    public static let currentFormat = "kernelkit.gp-regression/1"
}

extension GaussianProcessRegressor {
    /// The fitted model as a serialisable record.
    public var model: GaussianProcessModel {
        let x = trainingInputs
        return GaussianProcessModel(
            format: GaussianProcessModel.currentFormat, kernel: kernel.description,
            hyperparameters: kernel.hyperparameters, alpha: alpha, normalizeTarget: normalizesTarget,
            targetMean: targetMean, targetScale: targetScale,
            inputs: (0..<x.rows).map { x.row($0).elements }, targets: trainingTargets.elements,
            logMarginalLikelihood: logMarginalLikelihood)
    }

    /// Rebuild a fitted model from its record (parses the kernel expression and refits).
    /// - Throws: ``GaussianProcessError/invalidModel(_:)`` for an unknown format, ragged inputs,
    ///   or hyperparameters that disagree with the kernel expression; ``KernelExpressionError`` for
    ///   an unparsable kernel; any error of fitting.
    public init(model: GaussianProcessModel) throws {
        guard model.format == GaussianProcessModel.currentFormat else {
            throw GaussianProcessError.invalidModel("format '\(model.format)', expected '\(GaussianProcessModel.currentFormat)'")
        }
        let kernel = try KernelExpression.parse(model.kernel)
        guard kernel.hyperparameters.map(\.value) == model.hyperparameters.map(\.value) else {
            throw GaussianProcessError.invalidModel("hyperparameters do not match the kernel expression \(model.kernel)")
        }
        let d = model.inputs.first?.count ?? 0
        guard model.inputs.allSatisfy({ $0.count == d }) else {
            throw GaussianProcessError.invalidModel("training inputs have rows of different lengths")
        }
        let x = Matrix(rows: model.inputs.count, columns: d, rowMajor: model.inputs.flatMap { $0 })
        try self.init(kernel: kernel, inputs: x, targets: Vector(model.targets), alpha: model.alpha,
                      normalizeTarget: model.normalizeTarget)
        guard !model.normalizeTarget || (targetMean == model.targetMean && targetScale == model.targetScale) else {
            throw GaussianProcessError.invalidModel("stored target normalisation does not match the targets")
        }
    }
}
