import Foundation

/// The trained models shipped with the library (package resources in `Models/`, each listed in
/// `Models/README.md` with the exact training command and seed).
public enum PFNShippedModels {
    /// File name of the GP-prior model (default 1-D RBF prior, lengthscale 0.2, noise variance 0.01, 50 points).
    public static let gaussianProcessFile = "gp.kkpfn"
    /// File name of the learning-curve-prior model (50 epochs).
    public static let learningCurveFile = "lc.kkpfn"

    /// The shipped GP-prior model. - Throws: ``PFNError/invalidInput(_:)`` if the resource is missing or damaged.
    public static func gaussianProcess() throws -> PFNModel { try load(gaussianProcessFile) }

    /// The shipped learning-curve-prior model. - Throws: ``PFNError/invalidInput(_:)`` if missing or damaged.
    public static func learningCurve() throws -> PFNModel { try load(learningCurveFile) }

    /// The shipped model for a prior kind ("gp" or "lc").
    public static func model(forPrior kind: String) throws -> PFNModel {
        switch kind {
        case "gp": return try gaussianProcess()
        case "lc": return try learningCurve()
        default: throw PFNError.invalidInput("no shipped model for prior '\(kind)' (expected gp or lc)")
        }
    }

    static func load(_ file: String) throws -> PFNModel {
        let url = Bundle.module.resourceURL?.appendingPathComponent("Models").appendingPathComponent(file)
        guard let url, FileManager.default.fileExists(atPath: url.path) else {
            throw PFNError.invalidInput("the shipped PFN model \(file) is not in this build's resources")
        }
        return try PFNModel(contentsOf: url.path)
    }
}
