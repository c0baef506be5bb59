import Foundation
import KernelKitLinalg

/// An empirical audit of ε-differential privacy on a scalar statistic.
///
/// ε-DP means P[M(D) ∈ S] ≤ e^ε P[M(D') ∈ S] for all neighbouring D, D' and all events S; in particular
/// for S = {T(M(·)) ∈ bin} with any post-processing T. The audit runs the mechanism N times on D and N
/// times on D', histograms T over equal-width bins spanning the pooled samples, and for every bin
/// bounds the two probabilities with one-sided Chernoff confidence bounds
///
///     p_lower = min{p ≤ p̂ : N·KL(p̂ ‖ p) ≤ log(1/α')},   p_upper = max{p ≥ p̂ : N·KL(p̂ ‖ p) ≤ log(1/α')},
///
/// KL(a‖p) = a log(a/p) + (1 − a) log((1 − a)/(1 − p)) the Bernoulli relative entropy; each holds with
/// probability ≥ 1 − α' for every N (Chernoff–Hoeffding, no normal approximation). With the Bonferroni
/// split α' = α/(4·bins) over bins, both directions and both bounds, the statistic
///
///     L = maxᵦᵢₙ max( log(p_lower(D)/p_upper(D')), log(p_lower(D')/p_upper(D)) )
///
/// is a lower confidence bound on the largest log-likelihood ratio over the bins, jointly valid with
/// probability ≥ 1 − α. An ε-DP mechanism therefore gives L ≤ ε with probability ≥ 1 − α: L > ε is
/// evidence of a privacy violation at confidence 1 − α. The converse does not hold — passing the audit
/// does not prove privacy (it only checks one pair of datasets and one statistic).
///
/// Complexity: O(N + bins · 60) (bisection for each bound).
///
/// Sources: the audit design follows Z. Ding, Y. Wang, G. Wang, D. Zhang, D. Kifer, "Detecting violations
/// of differential privacy", CCS 2018, and M. Jagielski, J. Ullman, A. Oprea, "Auditing differentially
/// private machine learning", NeurIPS 2020 (empirical ε lower bounds from confidence intervals).
public enum PrivacyAudit {
    /// The outcome of `likelihoodRatioBound`.
    public struct Result: Sendable, Equatable {
        /// L, the lower confidence bound on max |log likelihood ratio| over bins (0 if no bin is informative).
        public let logRatioLowerBound: Double
        /// The bin (index in 0..<bins) where L is attained.
        public let worstBin: Int
        /// Number of bins.
        public let bins: Int
        /// The confidence 1 − α.
        public let confidence: Double

        /// Whether the audit found no violation of ε-DP: L ≤ ε.
        public func isConsistent(withEpsilon epsilon: Double) -> Bool { logRatioLowerBound <= epsilon }
    }

    /// L (see the type's documentation) for samples `first` ~ T(M(D)) and `second` ~ T(M(D')).
    /// Precondition: both sample sets non-empty and finite, bins ≥ 1, confidence ∈ (0, 1).
    public static func likelihoodRatioBound(_ first: [Double], _ second: [Double], bins: Int = 20,
                                            confidence: Double = 0.99) -> Result {
        precondition(!first.isEmpty && !second.isEmpty && bins >= 1 && confidence > 0 && confidence < 1,
                     "PrivacyAudit: need samples, bins ≥ 1 and confidence in (0, 1)")
        let lo = Swift.min(first.min()!, second.min()!)
        let hi = Swift.max(first.max()!, second.max()!)
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        func histogram(_ x: [Double]) -> [Int] {
            var h = [Int](repeating: 0, count: bins)
            for v in x { h[Swift.min(bins - 1, Swift.max(0, Int((v - lo) / width)))] += 1 }
            return h
        }
        let (ha, hb) = (histogram(first), histogram(second))
        let logInverseAlpha = Foundation.log(4 * Double(bins) / (1 - confidence))
        var best = 0.0, worst = 0
        for k in 0..<bins {
            let a = chernoffBounds(count: ha[k], trials: first.count, logInverseAlpha: logInverseAlpha)
            let b = chernoffBounds(count: hb[k], trials: second.count, logInverseAlpha: logInverseAlpha)
            let r = Swift.max(Foundation.log(a.lower / b.upper), Foundation.log(b.lower / a.upper))
            if r > best { best = r; worst = k }
        }
        return Result(logRatioLowerBound: best, worstBin: worst, bins: bins, confidence: confidence)
    }

    /// Runs `statistic(neighbour, seed)` for seeds 0..<trials on D (neighbour = false) and D'
    /// (neighbour = true) and returns `likelihoodRatioBound` of the two samples. The closure must run the
    /// mechanism from scratch with the given seed (fresh noise each call).
    public static func audit(trials: Int, bins: Int = 20, confidence: Double = 0.99,
                             statistic: (_ neighbour: Bool, _ seed: UInt64) throws -> Double) rethrows -> Result {
        precondition(trials >= 1, "PrivacyAudit: trials must be ≥ 1")
        let a = try (0..<trials).map { try statistic(false, UInt64($0)) }
        let b = try (0..<trials).map { try statistic(true, UInt64(trials + $0)) }
        return likelihoodRatioBound(a, b, bins: bins, confidence: confidence)
    }

    /// One-sided Chernoff bounds on a binomial proportion (see the type's documentation). O(60).
    static func chernoffBounds(count k: Int, trials n: Int, logInverseAlpha: Double) -> (lower: Double, upper: Double) {
        let a = Double(k) / Double(n)
        let budget = logInverseAlpha / Double(n)
        func kl(_ p: Double) -> Double {
            var s = 0.0
            if a > 0 { s += a * Foundation.log(a / p) }
            if a < 1 { s += (1 - a) * Foundation.log((1 - a) / (1 - p)) }
            return s
        }
        var (lo, hi) = (0.0, a)  // lower bound: KL decreasing in p on (0, a]
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if kl(mid) > budget { lo = mid } else { hi = mid }
        }
        let lower = a > 0 ? hi : 0
        var (lo2, hi2) = (a, 1.0)  // upper bound: KL increasing in p on [a, 1)
        for _ in 0..<60 {
            let mid = (lo2 + hi2) / 2
            if kl(mid) > budget { hi2 = mid } else { lo2 = mid }
        }
        let upper = a < 1 ? lo2 : 1
        return (lower, upper)
    }
}
