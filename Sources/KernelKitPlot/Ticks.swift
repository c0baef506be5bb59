import Foundation

/// Axis tick positions at "nice" values: multiples of a step 1, 2 or 5 × 10ᵏ.
///
/// `covering(_:_:)` widens a data range outwards to whole steps, so the first tick is ≤ the
/// smallest value and the last tick ≥ the largest (Heckbert, "Nice numbers for graph labels",
/// Graphics Gems, 1990). `within(_:_:)` keeps the range and lists the ticks inside it (for
/// heatmap extents and colour bars).
public struct NiceTicks: Sendable, Equatable {
    /// Lower end of the axis.
    public var lower: Double
    /// Upper end of the axis.
    public var upper: Double
    /// Distance between ticks, 1, 2 or 5 × 10ᵏ.
    public var step: Double
    /// Tick values in increasing order, each an integer multiple of `step`.
    public var values: [Double]

    /// The nice step (1, 2 or 5 × 10ᵏ) closest above `span / intervals`. `span > 0`.
    public static func niceStep(span: Double, intervals: Int) -> Double {
        let rough = span / Double(Swift.max(intervals, 1))
        let magnitude = pow(10, floor(log10(rough)))
        for m in [1.0, 2, 5] where m * magnitude >= rough * (1 - 1e-12) { return m * magnitude }
        return 10 * magnitude
    }

    /// A nice axis covering `low…high` with about `intervals` steps (the step is the smallest nice
    /// one ≥ `(high − low)/intervals`, so there are at most `intervals + 2`). A degenerate or non-finite range is widened
    /// first: a single value `v` to `v ± max(|v|/10, 0.5)`, no data to `0…1`.
    public static func covering(_ low: Double, _ high: Double, intervals: Int = 5) -> NiceTicks {
        let (lo, hi) = widened(low, high)
        let step = niceStep(span: hi - lo, intervals: intervals)
        // A bound within 1e-9 steps of a multiple is taken as that multiple (0.3/0.1 is
        // 2.9999999999999996), so no empty step is added; the axis still includes the data.
        let kLo = (lo / step + 1e-9).rounded(.down)
        let kHi = (hi / step - 1e-9).rounded(.up)
        let values = stride(from: kLo, through: kHi, by: 1).map { $0 * step }
        return NiceTicks(lower: Swift.min(kLo * step, lo), upper: Swift.max(kHi * step, hi), step: step, values: values)
    }

    /// The nice ticks inside `low…high` (the range itself is kept), about `intervals` steps.
    public static func within(_ low: Double, _ high: Double, intervals: Int = 5) -> NiceTicks {
        let (lo, hi) = widened(low, high)
        let step = niceStep(span: hi - lo, intervals: intervals)
        let span = hi - lo
        let kLo = ((lo - 1e-9 * span) / step).rounded(.up)
        let kHi = ((hi + 1e-9 * span) / step).rounded(.down)
        let values = kLo <= kHi ? stride(from: kLo, through: kHi, by: 1).map { $0 * step } : []
        return NiceTicks(lower: lo, upper: hi, step: step, values: values)
    }

    static func widened(_ low: Double, _ high: Double) -> (Double, Double) {
        guard low.isFinite && high.isFinite && low <= high else { return (0, 1) }
        if low < high { return (low, high) }
        let pad = Swift.max(abs(low) / 10, 0.5)
        return (low - pad, high + pad)
    }

    /// `value` formatted with just the decimals the step needs (`0.25`, `1960`), in scientific
    /// form `1.5×10⁶` when the axis values are ≥ 10⁶ or < 10⁻⁴ in magnitude, with a true minus sign.
    public func label(_ value: Double) -> String {
        let stepExponent = Int(floor(log10(step) + 1e-9))
        let largest = Swift.max(abs(lower), abs(upper), abs(value))
        let scientific = largest >= 1e6 || (largest < 1e-4 && largest > 0)
        var s: String
        if scientific && abs(value) >= step / 2 {
            let e = Int(floor(log10(abs(value)) + 1e-9))
            var mantissa = String(format: "%.\(Swift.max(0, e - stepExponent))f", value / pow(10, Double(e)))
            if mantissa.contains(".") {
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
            }
            s = mantissa + "\u{00D7}10" + Self.superscript(e)
        } else if scientific {
            s = "0"
        } else {
            s = String(format: "%.\(Swift.max(0, -stepExponent))f", value)
        }
        if s.hasPrefix("-") {
            // "-0" and "-0.00" are zero.
            s = s.allSatisfy({ "-0.".contains($0) }) ? String(s.dropFirst()) : "\u{2212}" + s.dropFirst()
        }
        return s
    }

    /// `n` in Unicode superscript digits (`⁻⁵`).
    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (n < 0 ? "⁻" : "") + String(abs(n)).map { digits[Int(String($0))!] }
    }
}
