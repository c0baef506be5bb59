/// An opaque sRGB colour.
public struct Color: Sendable, Hashable, CustomStringConvertible {
    /// Red channel, 0…255.
    public var red: UInt8
    /// Green channel, 0…255.
    public var green: UInt8
    /// Blue channel, 0…255.
    public var blue: UInt8

    /// A colour from its channels.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from `0xRRGGBB`, e.g. `Color(hex: 0x0072B2)`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// `#rrggbb`, the form SVG and CSS accept.
    public var description: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for c in [red, green, blue] {
            s.append(digits[Int(c >> 4)])
            s.append(digits[Int(c & 0xF)])
        }
        return s
    }

    /// The colour a fraction `t ∈ [0, 1]` of the way from `a` to `b` (linear in sRGB, rounded).
    public static func mix(_ a: Color, _ b: Color, _ t: Double) -> Color {
        func channel(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded())
        }
        return Color(red: channel(a.red, b.red), green: channel(a.green, b.green), blue: channel(a.blue, b.blue))
    }

    /// The default series colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
    /// Design"), distinguishable under the common forms of colour-vision deficiency. Its yellow is
    /// left out (too light on white).
    public static let palette: [Color] = [
        Color(hex: 0x0072B2),  // blue
        Color(hex: 0xD55E00),  // vermillion
        Color(hex: 0x009E73),  // bluish green
        Color(hex: 0xCC79A7),  // reddish purple
        Color(hex: 0xE69F00),  // orange
        Color(hex: 0x56B4E9),  // sky blue
        Color(hex: 0x000000),  // black
    ]
}

/// A map from a normalised value `t ∈ [0, 1]` to a colour, for heatmaps and colour bars.
///
/// Each scale is piecewise linear in sRGB between fixed anchor colours.
public enum ColorScale: Sendable, Hashable {
    /// Viridis (van der Walt & Smith, matplotlib 2015): perceptually uniform, monotone in
    /// lightness, readable in grey and under colour-vision deficiency. The default.
    case viridis
    /// Blue–white–red (ColorBrewer RdBu, reversed) for signed data; use a range symmetric about 0
    /// so that white is 0.
    case diverging
    /// White (low) to black (high).
    case grays

    /// Anchor colours at equally spaced `t` from 0 to 1.
    var anchors: [Color] {
        switch self {
        case .viridis:
            return [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725]
                .map { Color(hex: $0) }
        case .diverging:
            return [0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B]
                .map { Color(hex: $0) }
        case .grays:
            return [Color(hex: 0xFFFFFF), Color(hex: 0x000000)]
        }
    }

    /// The colour at `t`, clamped to `[0, 1]` (NaN maps to 0). O(1).
    public func color(at t: Double) -> Color {
        let a = anchors
        let u = t.isNaN ? 0 : Swift.min(Swift.max(t, 0), 1) * Double(a.count - 1)
        let k = Swift.min(Int(u), a.count - 2)
        return Color.mix(a[k], a[k + 1], u - Double(k))
    }
}
