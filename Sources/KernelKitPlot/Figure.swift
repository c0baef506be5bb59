import Foundation

/// Where the legend box goes inside the plot area.
public enum LegendPosition: Sendable, Hashable {
    /// Upper-left corner (the default).
    case topLeft
    /// Upper-right corner.
    case topRight
    /// Lower-left corner.
    case bottomLeft
    /// Lower-right corner.
    case bottomRight
    /// No legend.
    case hidden
}

/// The shape drawn at each point of a scatter series.
public enum Marker: Sendable, Hashable {
    /// A filled circle.
    case circle
    /// A filled square.
    case square
    /// A filled diamond (a square turned 45°).
    case diamond
}

/// Which corner of a heatmap row 0 occupies.
public enum HeatmapOrigin: Sendable, Hashable {
    /// Row 0 at the top and the y axis increasing downwards, as a matrix is printed (the default).
    case upper
    /// Row 0 at the bottom and the y axis increasing upwards, as for a function on a grid.
    case lower
}

/// A failure to save a figure.
public enum PlotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The SVG file could not be written.
    case writeFailed(path: String, reason: String)

    /// A one-line message naming the file.
    public var description: String {
        switch self {
        case let .writeFailed(path, reason): return "\(path): cannot write the plot: \(reason)"
        }
    }
}

/// A rectangle in SVG user units (pixels), origin at the top-left, y downwards.
public struct PlotRect: Sendable, Equatable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double

    /// True when the point lies in the rectangle (edges included).
    public func contains(x px: Double, y py: Double) -> Bool {
        px >= x && px <= x + width && py >= y && py <= y + height
    }
}

/// The resolved geometry of a figure: the plot area, the axes, and the data → pixel maps.
public struct PlotLayout: Sendable, Equatable {
    /// The area inside the axes where data is drawn.
    public var plotArea: PlotRect
    /// Ticks and limits of the x axis.
    public var xAxis: NiceTicks
    /// Ticks and limits of the y axis.
    public var yAxis: NiceTicks
    /// True when y increases downwards (a heatmap with ``HeatmapOrigin/upper``).
    public var yInverted: Bool

    /// Pixel x of data x: affine, increasing, `xAxis.lower ↦` left edge, `xAxis.upper ↦` right edge.
    public func pixelX(_ x: Double) -> Double {
        plotArea.x + (x - xAxis.lower) / (xAxis.upper - xAxis.lower) * plotArea.width
    }

    /// Pixel y of data y: affine, `yAxis.lower ↦` bottom edge and `yAxis.upper ↦` top edge
    /// (the reverse when `yInverted`).
    public func pixelY(_ y: Double) -> Double {
        let t = (y - yAxis.lower) / (yAxis.upper - yAxis.lower)
        return yInverted ? plotArea.y + t * plotArea.height : plotArea.y + (1 - t) * plotArea.height
    }
}

/// A two-dimensional plot rendered as a standalone SVG document, with no dependencies.
///
/// Add series with ``line(x:y:label:color:width:dashed:)``, ``band(x:lower:upper:label:color:opacity:)``,
/// ``scatter(x:y:label:color:size:marker:)``, ``verticalLine(at:label:color:)`` and
/// ``heatmap(_:x:y:scale:range:label:origin:)``, then call ``svg()`` or ``write(to:)``:
///
/// ```swift
/// var fig = Figure(title: "GP posterior", xLabel: "x", yLabel: "f(x)")
/// fig.band(x: xs, lower: lo, upper: hi, label: "±2σ")
/// fig.line(x: xs, y: mean, label: "mean")
/// fig.scatter(x: xTrain, y: yTrain, label: "data")
/// try fig.write(to: "posterior.svg")
/// ```
///
/// Axes default to nice limits covering all data (see ``NiceTicks``); non-finite points are left
/// out (a line is broken at them), never written into the SVG. Series without a colour take the
/// next colour of ``Color/palette``; a band takes the colour of the series added after it, so a
/// band followed by its mean line share one colour. Text is XML-escaped.
///
/// Complexity: rendering is O(total number of points + heatmap cells).
public struct Figure: Sendable {
    /// Title above the plot, or nil.
    public var title: String?
    /// Label under the x axis, or nil.
    public var xLabel: String?
    /// Label left of the y axis, or nil.
    public var yLabel: String?
    /// SVG width in pixels.
    public var width: Double
    /// SVG height in pixels.
    public var height: Double
    /// Fixed x limits; nil for nice limits covering the data (or a heatmap's extent).
    public var xLimits: ClosedRange<Double>?
    /// Fixed y limits; nil for nice limits covering the data (or a heatmap's extent).
    public var yLimits: ClosedRange<Double>?
    /// Legend placement (only labelled series are listed).
    public var legend: LegendPosition = .topLeft
    /// Light grid lines at the ticks.
    public var grid = true

    struct Heatmap: Sendable {
        var values: [[Double]]
        var x: ClosedRange<Double>
        var y: ClosedRange<Double>
        var scale: ColorScale
        var range: ClosedRange<Double>
        var label: String?
        var origin: HeatmapOrigin
    }

    enum Item: Sendable {
        case line(x: [Double], y: [Double], label: String?, color: Color, width: Double, dashed: Bool)
        case band(x: [Double], lower: [Double], upper: [Double], label: String?, color: Color, opacity: Double)
        case scatter(x: [Double], y: [Double], label: String?, color: Color, size: Double, marker: Marker)
        case vertical(x: Double, label: String?, color: Color)
        case heatmap(Heatmap)
    }

    var items: [Item] = []
    var colorIndex = 0

    /// An empty figure, `width × height` pixels (default 720 × 440).
    public init(title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                width: Double = 720, height: Double = 440) {
        precondition(width >= 200 && height >= 150, "Figure: size must be at least 200 × 150")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    private mutating func nextColor() -> Color {
        defer { colorIndex += 1 }
        return Color.palette[colorIndex % Color.palette.count]
    }

    /// A line through the points `(x[i], y[i])` in order; broken at non-finite points.
    public mutating func line(x: [Double], y: [Double], label: String? = nil, color: Color? = nil,
                              width: Double = 2, dashed: Bool = false) {
        precondition(x.count == y.count, "Figure.line: \(x.count) x values for \(y.count) y values")
        items.append(.line(x: x, y: y, label: label, color: color ?? nextColor(), width: width, dashed: dashed))
    }

    /// A filled region between `lower[i]` and `upper[i]` over `x[i]` (e.g. mean ± 2σ); split
    /// where any of the three is non-finite. Drawn translucent under lines and points.
    public mutating func band(x: [Double], lower: [Double], upper: [Double], label: String? = nil,
                              color: Color? = nil, opacity: Double = 0.22) {
        precondition(x.count == lower.count && x.count == upper.count, "Figure.band: lengths differ")
        let c = color ?? Color.palette[colorIndex % Color.palette.count]
        items.append(.band(x: x, lower: lower, upper: upper, label: label, color: c, opacity: opacity))
    }

    /// Markers at the points `(x[i], y[i])`; non-finite points are skipped. `size` is the marker
    /// radius in pixels.
    public mutating func scatter(x: [Double], y: [Double], label: String? = nil, color: Color? = nil,
                                 size: Double = 3.5, marker: Marker = .circle) {
        precondition(x.count == y.count, "Figure.scatter: \(x.count) x values for \(y.count) y values")
        items.append(.scatter(x: x, y: y, label: label, color: color ?? nextColor(), size: size, marker: marker))
    }

    /// A dashed vertical line across the plot at `x` (e.g. a train/test split), with an optional
    /// label at its top. Ignored when `x` is not finite.
    public mutating func verticalLine(at x: Double, label: String? = nil, color: Color = Color(hex: 0x555555)) {
        items.append(.vertical(x: x, label: label, color: color))
    }

    /// A heatmap of `values` (rows of equal length) with a colour bar.
    ///
    /// Cell `(i, j)` spans `x.lowerBound + j·Δx … + Δx` and `y.lowerBound + i·Δy … + Δy` with
    /// `Δx = x.span/columns`, `Δy = y.span/rows`; by default cell `(i, j)` is centred on `(j, i)`
    /// as in an image. Colours map `range` (default: the finite values' min…max, symmetric about
    /// 0 for ``ColorScale/diverging``) linearly onto `scale`; values outside are clamped, non-finite
    /// cells are left empty. The axes default to the extent. One heatmap per figure.
    public mutating func heatmap(_ values: [[Double]], x: ClosedRange<Double>? = nil, y: ClosedRange<Double>? = nil,
                                 scale: ColorScale = .viridis, range: ClosedRange<Double>? = nil,
                                 label: String? = nil, origin: HeatmapOrigin = .upper) {
        let rows = values.count
        let columns = values.first?.count ?? 0
        precondition(rows > 0 && columns > 0 && values.allSatisfy { $0.count == columns },
                     "Figure.heatmap: needs a non-empty matrix with rows of equal length")
        precondition(!items.contains { if case .heatmap = $0 { return true } else { return false } },
                     "Figure.heatmap: one heatmap per figure")
        let finite = values.joined().filter { $0.isFinite }
        var lo = finite.min() ?? 0
        var hi = finite.max() ?? 1
        if scale == .diverging {
            let m = Swift.max(abs(lo), abs(hi))
            (lo, hi) = (-m, m)
        }
        let (a, b) = NiceTicks.widened(lo, hi)
        items.append(.heatmap(Heatmap(
            values: values, x: x ?? (-0.5)...(Double(columns) - 0.5), y: y ?? (-0.5)...(Double(rows) - 0.5),
            scale: scale, range: range ?? a...b, label: label, origin: origin)))
    }

    /// Writes ``svg()`` to `path` (UTF-8), replacing any existing file.
    public func write(to path: String) throws(PlotError) {
        do {
            try Data(svg().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    // MARK: Layout

    var heatmapItem: Heatmap? {
        for case let .heatmap(h) in items { return h }
        return nil
    }

    /// Finite data extents over all series.
    func dataExtents() -> (x: (Double, Double), y: (Double, Double)) {
        var xs: [Double] = []
        var ys: [Double] = []
        for item in items {
            switch item {
            case let .line(x, y, _, _, _, _), let .scatter(x, y, _, _, _, _):
                for (a, b) in zip(x, y) where a.isFinite && b.isFinite { xs.append(a); ys.append(b) }
            case let .band(x, lower, upper, _, _, _):
                for i in x.indices where x[i].isFinite && lower[i].isFinite && upper[i].isFinite {
                    xs.append(x[i]); ys.append(lower[i]); ys.append(upper[i])
                }
            case let .vertical(x, _, _):
                if x.isFinite { xs.append(x) }
            case let .heatmap(h):
                xs += [h.x.lowerBound, h.x.upperBound]
                ys += [h.y.lowerBound, h.y.upperBound]
            }
        }
        return ((xs.min() ?? .nan, xs.max() ?? .nan), (ys.min() ?? .nan, ys.max() ?? .nan))
    }

    static let tickFont = 11.0
    static let labelFont = 13.0
    static let titleFont = 15.0

    /// Approximate rendered width of `text` at `size` px in a sans-serif font.
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

    /// The plot area, axes and data → pixel maps this figure will use.
    public func layout() -> PlotLayout {
        let (ex, ey) = dataExtents()
        let heat = heatmapItem
        func axis(_ limits: ClosedRange<Double>?, _ extent: (Double, Double), _ heatExtent: ClosedRange<Double>?,
                  intervals: Int) -> NiceTicks {
            if let l = limits ?? heatExtent { return NiceTicks.within(l.lowerBound, l.upperBound, intervals: intervals) }
            return NiceTicks.covering(extent.0, extent.1, intervals: intervals)
        }
        let xAxis = axis(xLimits, ex, heat?.x, intervals: Swift.max(3, Int(width / 110)))
        let yAxis = axis(yLimits, ey, heat?.y, intervals: Swift.max(3, Int(height / 80)))
        let yLabelWidth = yAxis.values.map { Self.textWidth(yAxis.label($0), size: Self.tickFont) }.max() ?? 0
        let left = 12 + (yLabel == nil ? 0 : Self.labelFont + 8) + yLabelWidth + 9
        let top = title == nil ? 16 : 16 + Self.titleFont + 10
        let bottom = 12 + Self.tickFont + 9 + (xLabel == nil ? 0 : Self.labelFont + 8)
        // Room for half of the last x tick label, which is centred on the right edge.
        var right = Swift.max(18, (xAxis.values.last.map { Self.textWidth(xAxis.label($0), size: Self.tickFont) } ?? 0) / 2 + 12)
        if let h = heat {
            let bar = NiceTicks.within(h.range.lowerBound, h.range.upperBound)
            let barLabels = bar.values.map { Self.textWidth(bar.label($0), size: Self.tickFont) }.max() ?? 0
            right = 18 + 14 + 8 + barLabels + (h.label == nil ? 0 : Self.labelFont + 10) + 10
        }
        let area = PlotRect(x: left, y: top, width: Swift.max(width - left - right, 10),
                            height: Swift.max(height - top - bottom, 10))
        return PlotLayout(plotArea: area, xAxis: xAxis, yAxis: yAxis, yInverted: heat?.origin == .upper)
    }
}
