import Foundation
import KernelKitLinalg

/// The Riemann ("bar") distribution of PFNs (Müller et al., ICLR 2022, §4.1) with half-normal tails.
///
/// Borders b₀ < b₁ < … < b_K cut the line into K buckets of widths wₖ = bₖ₊₁ − bₖ. Given bucket
/// probabilities pₖ (a softmax of the network's logits), the density is
///
///     p(y) = pₖ / wₖ                                  for bₖ ≤ y < bₖ₊₁, 0 < k < K − 1,
///     p(y) = p₀ · HN(b₁ − y; σ₀)                      for y < b₁ (left tail),
///     p(y) = p_{K−1} · HN(y − b_{K−1}; σ_{K−1})      for y ≥ b_{K−1} (right tail),
///
/// with the half-normal density HN(u; σ) = √(2/π)/σ · exp(−u²/(2σ²)), u ≥ 0, and σ chosen so that
/// half of the end bucket's mass lies within its width: σ = w/Φ⁻¹(3/4). The density integrates to
/// one over ℝ (the tails carry p₀ and p_{K−1}) and has full support, so every finite target has a
/// finite log density.
///
/// Borders from `equalMass(samples:buckets:)` put equal prior mass in every bucket (the PFN recipe),
/// so uniform logits reproduce the prior's marginal of y.
public struct BarDistribution: Codable, Sendable, Equatable {
    /// The K + 1 strictly increasing borders.
    public let borders: [Double]

    /// Φ⁻¹(3/4): the median of a unit half-normal.
    static let halfNormalMedian = 0.674_489_750_196_081_7

    /// A bar distribution with the given borders.
    /// - Throws: ``PFNError/invalidInput(_:)`` unless there are at least 3 finite, strictly increasing borders.
    public init(borders: [Double]) throws {
        guard borders.count >= 3 else {
            throw PFNError.invalidInput("a bar distribution needs at least 3 borders (2 buckets), got \(borders.count)")
        }
        guard borders.allSatisfy({ $0.isFinite }) else { throw PFNError.invalidInput("bar-distribution borders must be finite") }
        for i in 1..<borders.count where !(borders[i] > borders[i - 1]) {
            throw PFNError.invalidInput("bar-distribution borders must be strictly increasing (border \(i) is \(borders[i]) after \(borders[i - 1]))")
        }
        self.borders = borders
    }

    /// Borders at the empirical quantiles k/K (k = 1 … K − 1) of prior samples of y. The outer
    /// borders set the tails' scales: b₀ = b₁ − median{b₁ − y : y < b₁} and
    /// b_K = b_{K−1} + median{y − b_{K−1} : y ≥ b_{K−1}}, so each half-normal tail has the median of
    /// the prior's own tail beyond its end bucket (σ = w/Φ⁻¹(3/4)). (Taking the sample extremes
    /// instead makes a tail as wide as the most extreme of the n samples: for the learning-curve
    /// prior, whose y mostly lie in [0, 1], a right tail of scale 2.6 that costs every target in it
    /// ≥ 1.2 nat.) O(n log n) for n samples.
    /// - Throws: ``PFNError/invalidInput(_:)`` when fewer than 2K samples are given, a sample is not
    ///   finite, or ties make two borders equal.
    public static func equalMass(samples: [Double], buckets: Int) throws -> BarDistribution {
        guard buckets >= 2 else { throw PFNError.invalidInput("at least 2 buckets are needed, got \(buckets)") }
        guard samples.count >= 2 * buckets else {
            throw PFNError.invalidInput("\(samples.count) prior samples cannot place \(buckets) equal-mass buckets; need at least \(2 * buckets)")
        }
        guard samples.allSatisfy({ $0.isFinite }) else { throw PFNError.invalidInput("prior samples of y must be finite") }
        let sorted = samples.sorted()
        let n = sorted.count
        var borders: [Double] = []
        for k in 1..<buckets {
            // Linear interpolation between order statistics at position k/K·(n − 1).
            let position = Double(k) / Double(buckets) * Double(n - 1)
            let i = Int(position)
            let f = position - Double(i)
            borders.append(sorted[i] + f * (sorted[min(i + 1, n - 1)] - sorted[i]))
        }
        let lower = borders[0], upper = borders[buckets - 2]
        let belowLower = sorted.prefix { $0 < lower }.map { lower - $0 }
        let aboveUpper = sorted.drop { $0 < upper }.map { $0 - upper }
        borders.insert(lower - median(ascending: belowLower.reversed()), at: 0)
        borders.append(upper + median(ascending: aboveUpper))
        return try BarDistribution(borders: borders)
    }

    /// Median of an ascending array (0 if empty).
    private static func median(ascending a: [Double]) -> Double {
        guard !a.isEmpty else { return 0 }
        let m = a.count / 2
        return a.count % 2 == 1 ? a[m] : 0.5 * (a[m - 1] + a[m])
    }

    /// Number of buckets K.
    public var bucketCount: Int { borders.count - 1 }

    /// Width of bucket k.
    public func width(_ k: Int) -> Double { borders[k + 1] - borders[k] }

    /// Scale σ of the left half-normal tail.
    public var leftTailScale: Double { width(0) / Self.halfNormalMedian }
    /// Scale σ of the right half-normal tail.
    public var rightTailScale: Double { width(bucketCount - 1) / Self.halfNormalMedian }

    /// The bucket containing y: 0 for y < b₁, K − 1 for y ≥ b_{K−1}, else k with bₖ ≤ y < bₖ₊₁.
    /// O(log K).
    public func bucket(of y: Double) -> Int {
        let k = bucketCount
        if y < borders[1] { return 0 }
        if y >= borders[k - 1] { return k - 1 }
        var lo = 1, hi = k - 1          // borders[lo] ≤ y < borders[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if borders[mid] <= y { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// log p(y) − log pₖ for y in bucket k: −log wₖ inside, the half-normal log density in the tails.
    public func logDensityWithinBucket(_ y: Double) -> (bucket: Int, logDensity: Double) {
        let k = bucket(of: y)
        let last = bucketCount - 1
        if k == 0 {
            let s = leftTailScale, u = borders[1] - y
            return (k, 0.5 * Foundation.log(2 / Double.pi) - Foundation.log(s) - u * u / (2 * s * s))
        }
        if k == last {
            let s = rightTailScale, u = y - borders[last]
            return (k, 0.5 * Foundation.log(2 / Double.pi) - Foundation.log(s) - u * u / (2 * s * s))
        }
        return (k, -Foundation.log(width(k)))
    }

    /// Bucket probabilities softmax(logits), computed stably (max subtracted). O(K).
    public static func probabilities(logits: ArraySlice<Double>) -> [Double] {
        let m = logits.max() ?? 0
        var p = logits.map { Foundation.exp($0 - m) }
        let s = p.reduce(0, +)
        for i in p.indices { p[i] /= s }
        return p
    }

    /// log p(y) for the distribution with bucket log-probabilities log softmax(logits). O(K).
    public func logDensity(_ y: Double, logits: ArraySlice<Double>) -> Double {
        precondition(logits.count == bucketCount, "logDensity: \(logits.count) logits for \(bucketCount) buckets")
        let m = logits.max() ?? 0
        let logSum = m + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) })
        let (k, within) = logDensityWithinBucket(y)
        return logits[logits.startIndex + k] - logSum + within
    }

    /// Density p(y) for bucket probabilities `p`. O(log K).
    public func density(_ y: Double, probabilities p: [Double]) -> Double {
        let (k, within) = logDensityWithinBucket(y)
        return p[k] * Foundation.exp(within)
    }

    /// Cumulative distribution P(Y ≤ y) for bucket probabilities `p`. O(K).
    public func cdf(_ y: Double, probabilities p: [Double]) -> Double {
        let last = bucketCount - 1
        if y < borders[1] { return p[0] * erfc((borders[1] - y) / (leftTailScale * 2.0.squareRoot())) }
        if y >= borders[last] {
            return 1 - p[last] * erfc((y - borders[last]) / (rightTailScale * 2.0.squareRoot()))
        }
        let k = bucket(of: y)
        let below = p[0..<k].reduce(0, +)
        return below + p[k] * (y - borders[k]) / width(k)
    }

    /// Mean E[Y] = Σ interior pₖ (bₖ + bₖ₊₁)/2 + p₀(b₁ − σ₀√(2/π)) + p_{K−1}(b_{K−1} + σ_{K−1}√(2/π)). O(K).
    public func mean(probabilities p: [Double]) -> Double {
        let last = bucketCount - 1
        let c = (2 / Double.pi).squareRoot()
        var m = p[0] * (borders[1] - leftTailScale * c) + p[last] * (borders[last] + rightTailScale * c)
        for k in 1..<last { m += p[k] * 0.5 * (borders[k] + borders[k + 1]) }
        return m
    }

    /// The q-quantile inf{y : P(Y ≤ y) ≥ q} for 0 < q < 1: linear inside a bucket, the half-normal
    /// quantile (by bisection on erfc to relative 1e-12) in the tails. O(K).
    public func quantile(_ q: Double, probabilities p: [Double]) -> Double {
        precondition(q > 0 && q < 1, "quantile: q must lie in (0, 1)")
        let last = bucketCount - 1
        if q <= p[0] {
            // p₀·erfc(u/(σ√2)) = q with u = b₁ − y ≥ 0.
            return borders[1] - halfNormalSurvivalInverse(q / p[0], scale: leftTailScale)
        }
        var cumulative = p[0]
        for k in 1..<last {
            if q <= cumulative + p[k] {
                return borders[k] + (q - cumulative) / p[k] * width(k)
            }
            cumulative += p[k]
        }
        // Right tail: 1 − p_{K−1}·erfc(u/(σ√2)) = q.
        let s = min(1, max(0, (1 - q) / p[last]))
        return borders[last] + halfNormalSurvivalInverse(s, scale: rightTailScale)
    }

    /// u ≥ 0 with erfc(u/(σ√2)) = s, for s ∈ (0, 1]; bisection.
    private func halfNormalSurvivalInverse(_ s: Double, scale: Double) -> Double {
        if s >= 1 { return 0 }
        var lo = 0.0, hi = 40.0                   // in units of σ√2; erfc(40) underflows
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if erfc(mid) > s { lo = mid } else { hi = mid }
            if hi - lo <= 1e-12 * max(1, hi) { break }
        }
        return 0.5 * (lo + hi) * scale * 2.0.squareRoot()
    }
}
