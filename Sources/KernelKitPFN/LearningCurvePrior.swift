import Foundation
import KernelKitLinalg

/// The learning-curve prior of LC-PFN (Adriaensen, Rakotoarison, Müller & Hutter, NeurIPS 2023, §3.2),
/// in KernelKit's parameterisation: a curve over epochs t = 1 … T is
///
///     f(t) = w₁ · pow3(t) + w₂ · ilog2(t) + w₃ · janoschek(t),
///     pow3(t) = c₁ − a₁ t^(−α),   ilog2(t) = c₂ − a₂ / log(t + 1),
///     janoschek(t) = c₃ − (c₃ − β) exp(−κ t^δ),
///
/// observed as yₜ = f(t) + σ εₜ with σ = e^{N(−4, 1)}; curves whose f is not non-decreasing or leaves
/// [0, 1] are rejected (resampled). Every parameter is a fixed transform of a latent z ~ N(0, I₁₃)
/// (so the exact posterior can be sampled by elliptical slice sampling, see ``LearningCurveMCMC``):
/// asymptotes cᵢ = Φ(z) ~ U(0, 1); a₁ = c₁ Φ(z) (f(1) ≥ 0), a₂ = c₂ log 2 · Φ(z), β = c₃ Φ(z);
/// α = e^{−0.5 + 0.75 z}, κ = e^{−1 + z}, δ = e^{0.5 z}; (w₁, w₂, w₃) ~ Dirichlet(1, 1, 1) as
/// normalised Exp(1) = −log(1 − Φ(z)); log σ = −4 + z. These ranges follow the paper's intent
/// (saturating curves in [0, 1], mostly small noise); the exact constants are KernelKit's.
///
/// A dataset has x = t/T (so inputs lie in (0, 1]) and y = the noisy observations; training cuts it
/// at a random epoch (right-censoring): the first nc epochs are the context, the rest the queries.
public struct LearningCurvePrior: PFNPrior {
    /// Number of epochs T per curve.
    public let epochs: Int
    /// Number of latent standard-normal coordinates.
    public static let latentDimension = 13

    /// A learning-curve prior with T epochs. - Throws: ``PFNError/invalidInput(_:)`` unless 2 ≤ T ≤ 1000.
    public init(epochs: Int = 50) throws {
        guard (2...1000).contains(epochs) else { throw PFNError.invalidInput("epochs must lie in 2…1000, got \(epochs)") }
        self.epochs = epochs
    }

    /// The header record: kind "lc", D = 1, points = epochs.
    public var specification: PFNPriorSpecification { PFNPriorSpecification(kind: "lc", inputDimension: 1, points: epochs) }
    /// Always 1 (x = epoch/T).
    public var inputDimension: Int { 1 }
    /// T: one point per epoch.
    public var pointsPerDataset: Int { epochs }
    /// Inputs x = t/T lie in (0, 1].
    public func supports(_ x: ArraySlice<Double>) -> Bool { x.allSatisfy { $0 > 0 && $0 <= 1 } }

    /// Standard normal CDF Φ(z) = erfc(−z/√2)/2.
    static func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The noise standard deviation σ of latent z.
    public static func noiseScale(_ z: [Double]) -> Double { Foundation.exp(-4 + z[12]) }

    /// The noiseless curve f at normalised inputs x = t/T (t = x·T), for latent z (13 values).
    public func curve(latent z: [Double], at x: [Double]) -> [Double] {
        let c1 = Self.phi(z[0]), a1 = c1 * Self.phi(z[1]), alpha = Foundation.exp(-0.5 + 0.75 * z[2])
        let c2 = Self.phi(z[3]), a2 = c2 * Foundation.log(2) * Self.phi(z[4])
        let c3 = Self.phi(z[5]), beta = c3 * Self.phi(z[6])
        let kappa = Foundation.exp(-1 + z[7]), delta = Foundation.exp(0.5 * z[8])
        // Exp(1) = −log(1 − Φ(z)) = −log Φ(−z), normalised to Dirichlet(1, 1, 1).
        let e = (9..<12).map { -Foundation.log(max(1e-300, Self.phi(-z[$0]))) }
        let total = e.reduce(0, +)
        let w = e.map { $0 / total }
        return x.map { xi in
            let t = xi * Double(epochs)
            let pow3 = c1 - a1 * Foundation.pow(t, -alpha)
            let ilog2 = c2 - a2 / Foundation.log(t + 1)
            let janoschek = c3 - (c3 - beta) * Foundation.exp(-kappa * Foundation.pow(t, delta))
            return w[0] * pow3 + w[1] * ilog2 + w[2] * janoschek
        }
    }

    /// The normalised epoch grid x = t/T, t = 1 … T.
    public var grid: [Double] { (1...epochs).map { Double($0) / Double(epochs) } }

    /// Whether a noiseless curve meets the prior's constraints: non-decreasing and within [0, 1].
    public static func isValid(_ f: [Double]) -> Bool {
        guard f.allSatisfy({ $0 >= 0 && $0 <= 1 && $0.isFinite }) else { return false }
        for i in 1..<f.count where f[i] < f[i - 1] { return false }
        return true
    }

    /// A latent vector whose curve satisfies the constraints (rejection sampling; at most 10,000 tries).
    /// - Throws: ``PFNError/invalidInput(_:)`` if no valid curve was found (not expected: the
    ///   families are increasing and bounded by construction, so nearly every draw is accepted).
    public func sampleLatent(using generator: inout SeededGenerator) throws -> [Double] {
        for _ in 0..<10_000 {
            let z = (0..<Self.latentDimension).map { _ in generator.standardNormal() }
            if Self.isValid(curve(latent: z, at: grid)) { return z }
        }
        throw PFNError.invalidInput("the learning-curve prior rejected 10,000 curves in a row")
    }

    /// One curve: x = t/T for t = 1 … T and y = f(t) + σε, f a valid curve (rejection sampling).
    public func sampleDataset(using generator: inout SeededGenerator) throws -> (inputs: [Double], targets: [Double]) {
        let z = try sampleLatent(using: &generator)
        let x = grid
        let f = curve(latent: z, at: x)
        let sigma = Self.noiseScale(z)
        return (x, f.map { $0 + sigma * generator.standardNormal() })
    }
}
