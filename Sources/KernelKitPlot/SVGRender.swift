/// Text safe inside XML character data and attribute values: `& < > " '` become entities and
/// control characters XML 1.0 forbids (U+0000–U+001F except tab, LF, CR) are dropped.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}

/// A pixel coordinate with at most two decimals; clamped to ±10⁶ so far-off points stay finite
/// numbers (they lie outside the clip region anyway).
func px(_ v: Double) -> String {
    let r = pixelRounded(v)
    return r == r.rounded() ? String(Int(r)) : String(r)
}

/// A coordinate clamped to ±1e6 and rounded to 0.01 px, the precision `px` writes.
func pixelRounded(_ v: Double) -> Double {
    (Swift.min(Swift.max(v, -1e6), 1e6) * 100).rounded() / 100
}

extension Figure {
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
    static let textColor = "#222222"
    static let axisColor = "#444444"
    static let gridColor = "#e6e6e6"

    /// The figure as a standalone SVG 1.1 document (UTF-8 text).
    ///
    /// Structure: a white background; grid lines (`class="grid"`); the data clipped to the plot
    /// area (`polyline` per unbroken run of a line, `polygon` per band run, `circle`/`rect`/
    /// `polygon` markers, `rect` heatmap cells); the frame; tick marks and `text` labels; axis
    /// labels and title; legend; colour bar.
    public func svg() -> String {
        let L = layout()
        let a = L.plotArea
        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(px(width))" height="\(px(height))" \
        viewBox="0 0 \(px(width)) \(px(height))" font-family="\(Self.fontFamily)">

        """
        s += "<rect x=\"0\" y=\"0\" width=\"\(px(width))\" height=\"\(px(height))\" fill=\"#ffffff\"/>\n"
        s += "<defs><clipPath id=\"kk-plot-area\"><rect x=\"\(px(a.x))\" y=\"\(px(a.y))\" "
            + "width=\"\(px(a.width))\" height=\"\(px(a.height))\"/></clipPath>"
        if let h = heatmapItem {
            s += "<linearGradient id=\"kk-colorbar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
            for k in 0...20 {
                let t = Double(k) / 20
                s += "<stop offset=\"\(t)\" stop-color=\"\(h.scale.color(at: t))\"/>"
            }
            s += "</linearGradient>"
        }
        s += "</defs>\n"

        // Grid.
        if grid {
            s += "<g class=\"grid\" stroke=\"\(Self.gridColor)\" stroke-width=\"1\">\n"
            for v in L.xAxis.values {
                let x = px(L.pixelX(v))
                s += "<line x1=\"\(x)\" y1=\"\(px(a.y))\" x2=\"\(x)\" y2=\"\(px(a.y + a.height))\"/>\n"
            }
            for v in L.yAxis.values {
                let y = px(L.pixelY(v))
                s += "<line x1=\"\(px(a.x))\" y1=\"\(y)\" x2=\"\(px(a.x + a.width))\" y2=\"\(y)\"/>\n"
            }
            s += "</g>\n"
        }

        // Data, in layers: heatmap, bands, lines, markers, marker lines.
        s += "<g class=\"data\" clip-path=\"url(#kk-plot-area)\">\n"
        if let h = heatmapItem { s += heatmapCells(h, L) }
        for case let .band(x, lower, upper, _, color, opacity) in items {
            for run in finiteRuns(x.indices.map { x[$0].isFinite && lower[$0].isFinite && upper[$0].isFinite }) {
                let top = run.map { "\(px(L.pixelX(x[$0]))),\(px(L.pixelY(upper[$0])))" }
                let bottom = run.reversed().map { "\(px(L.pixelX(x[$0]))),\(px(L.pixelY(lower[$0])))" }
                s += "<polygon class=\"band\" points=\"\((top + bottom).joined(separator: " "))\" "
                    + "fill=\"\(color)\" fill-opacity=\"\(opacity)\" stroke=\"none\"/>\n"
            }
        }
        for case let .line(x, y, _, color, lineWidth, dashed) in items {
            for run in finiteRuns(x.indices.map { x[$0].isFinite && y[$0].isFinite }) {
                let points = run.map { "\(px(L.pixelX(x[$0]))),\(px(L.pixelY(y[$0])))" }
                s += "<polyline class=\"line\" points=\"\(points.joined(separator: " "))\" fill=\"none\" "
                    + "stroke=\"\(color)\" stroke-width=\"\(lineWidth)\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
                    + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n"
            }
        }
        for case let .scatter(x, y, _, color, size, marker) in items {
            s += "<g class=\"scatter\" fill=\"\(color)\" fill-opacity=\"0.85\" stroke=\"#ffffff\" stroke-width=\"0.6\">\n"
            for i in x.indices where x[i].isFinite && y[i].isFinite {
                s += markerShape(marker, x: L.pixelX(x[i]), y: L.pixelY(y[i]), size: size) + "\n"
            }
            s += "</g>\n"
        }
        for case let .vertical(x, _, color) in items where x.isFinite {
            let p = px(L.pixelX(x))
            s += "<line class=\"marker-line\" x1=\"\(p)\" y1=\"\(px(a.y))\" x2=\"\(p)\" y2=\"\(px(a.y + a.height))\" "
                + "stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>\n"
        }
        s += "</g>\n"
        for case let .vertical(x, label?, color) in items where x.isFinite {
            let p = L.pixelX(x)
            guard p >= a.x && p <= a.x + a.width else { continue }
            let leftSide = p > a.x + a.width * 0.8
            s += text(label, x: leftSide ? p - 5 : p + 5, y: a.y + 14, size: Self.tickFont,
                      anchor: leftSide ? "end" : "start", color: color.description)
        }

        // Frame, ticks, labels.
        s += "<rect class=\"frame\" x=\"\(px(a.x))\" y=\"\(px(a.y))\" width=\"\(px(a.width))\" height=\"\(px(a.height))\" "
            + "fill=\"none\" stroke=\"\(Self.axisColor)\" stroke-width=\"1\"/>\n"
        s += "<g class=\"ticks\" stroke=\"\(Self.axisColor)\" stroke-width=\"1\">\n"
        for v in L.xAxis.values {
            let x = px(L.pixelX(v))
            s += "<line x1=\"\(x)\" y1=\"\(px(a.y + a.height))\" x2=\"\(x)\" y2=\"\(px(a.y + a.height + 5))\"/>\n"
        }
        for v in L.yAxis.values {
            let y = px(L.pixelY(v))
            s += "<line x1=\"\(px(a.x - 5))\" y1=\"\(y)\" x2=\"\(px(a.x))\" y2=\"\(y)\"/>\n"
        }
        s += "</g>\n<g class=\"tick-labels\">\n"
        for v in L.xAxis.values {
            s += text(L.xAxis.label(v), x: L.pixelX(v), y: a.y + a.height + 8 + Self.tickFont, size: Self.tickFont, anchor: "middle")
        }
        for v in L.yAxis.values {
            s += text(L.yAxis.label(v), x: a.x - 8, y: L.pixelY(v) + Self.tickFont * 0.35, size: Self.tickFont, anchor: "end")
        }
        s += "</g>\n"
        if let xLabel {
            s += text(xLabel, x: a.x + a.width / 2, y: height - 10, size: Self.labelFont, anchor: "middle")
        }
        if let yLabel {
            s += text(yLabel, x: 12 + Self.labelFont * 0.8, y: a.y + a.height / 2, size: Self.labelFont,
                      anchor: "middle", rotate: -90)
        }
        if let title {
            s += text(title, x: a.x + a.width / 2, y: 16 + Self.titleFont, size: Self.titleFont,
                      anchor: "middle", weight: "600")
        }
        s += legendBox(L)
        if let h = heatmapItem { s += colorBar(h, L) }
        s += "</svg>\n"
        return s
    }

    // MARK: Pieces

    /// Index runs of consecutive `true` entries.
    func finiteRuns(_ ok: [Bool]) -> [[Int]] {
        var runs: [[Int]] = []
        var current: [Int] = []
        for (i, good) in ok.enumerated() {
            if good { current.append(i) } else if !current.isEmpty { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    func text(_ content: String, x: Double, y: Double, size: Double, anchor: String,
              color: String = Figure.textColor, rotate: Double? = nil, weight: String? = nil) -> String {
        var s = "<text x=\"\(px(x))\" y=\"\(px(y))\" font-size=\"\(px(size))\" text-anchor=\"\(anchor)\" fill=\"\(color)\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if let rotate { s += " transform=\"rotate(\(px(rotate)) \(px(x)) \(px(y)))\"" }
        return s + ">\(xmlEscaped(content))</text>\n"
    }

    func markerShape(_ marker: Marker, x: Double, y: Double, size r: Double) -> String {
        switch marker {
        case .circle:
            return "<circle cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(r))\"/>"
        case .square:
            let h = r * 0.9
            return "<rect x=\"\(px(x - h))\" y=\"\(px(y - h))\" width=\"\(px(2 * h))\" height=\"\(px(2 * h))\"/>"
        case .diamond:
            let d = r * 1.25
            return "<polygon points=\"\(px(x)),\(px(y - d)) \(px(x + d)),\(px(y)) \(px(x)),\(px(y + d)) \(px(x - d)),\(px(y))\"/>"
        }
    }

    func heatmapCells(_ h: Heatmap, _ L: PlotLayout) -> String {
        let rows = h.values.count
        let columns = h.values[0].count
        let dx = (h.x.upperBound - h.x.lowerBound) / Double(columns)
        let dy = (h.y.upperBound - h.y.lowerBound) / Double(rows)
        let lo = h.range.lowerBound
        let span = h.range.upperBound - h.range.lowerBound
        var s = "<g class=\"heatmap\" shape-rendering=\"crispEdges\">\n"
        for i in 0..<rows {
            let y0 = L.pixelY(h.y.lowerBound + Double(i) * dy)
            let y1 = L.pixelY(h.y.lowerBound + Double(i + 1) * dy)
            for j in 0..<columns where h.values[i][j].isFinite {
                let x0 = L.pixelX(h.x.lowerBound + Double(j) * dx)
                let x1 = L.pixelX(h.x.lowerBound + Double(j + 1) * dx)
                let c = h.scale.color(at: span > 0 ? (h.values[i][j] - lo) / span : 0.5)
                // Sizes from the rounded edges, so neighbouring cells share an edge exactly (rounding the
                // size separately left 0.01-px gaps that crispEdges turned into white lines).
                let left = pixelRounded(Swift.min(x0, x1)), right = pixelRounded(Swift.max(x0, x1))
                let top = pixelRounded(Swift.min(y0, y1)), bottom = pixelRounded(Swift.max(y0, y1))
                s += "<rect x=\"\(px(left))\" y=\"\(px(top))\" width=\"\(px(right - left))\" "
                    + "height=\"\(px(bottom - top))\" fill=\"\(c)\"/>\n"
            }
        }
        return s + "</g>\n"
    }

    func legendBox(_ L: PlotLayout) -> String {
        var entries: [(String, String)] = []  // (label, sample SVG at origin 0,0 spanning 0…24 × −5…5)
        for item in items {
            switch item {
            case let .line(_, _, label?, color, w, dashed):
                entries.append((label, "<line x1=\"0\" y1=\"0\" x2=\"24\" y2=\"0\" stroke=\"\(color)\" stroke-width=\"\(w)\""
                    + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>"))
            case let .band(_, _, _, label?, color, opacity):
                entries.append((label, "<rect x=\"0\" y=\"-6\" width=\"24\" height=\"12\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>"))
            case let .scatter(_, _, label?, color, size, marker):
                entries.append((label, "<g fill=\"\(color)\" fill-opacity=\"0.85\">" + markerShape(marker, x: 12, y: 0, size: size) + "</g>"))
            case let .vertical(_, label?, color):
                entries.append((label, "<line x1=\"12\" y1=\"-7\" x2=\"12\" y2=\"7\" stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\"/>"))
            default:
                continue
            }
        }
        guard legend != .hidden, !entries.isEmpty else { return "" }
        let a = L.plotArea
        let rowHeight = 18.0
        let boxWidth = 10 + 24 + 8 + (entries.map { Self.textWidth($0.0, size: Self.tickFont) }.max() ?? 0) + 10
        let boxHeight = Double(entries.count) * rowHeight + 8
        let x0: Double
        let y0: Double
        switch legend {
        case .topLeft, .hidden: (x0, y0) = (a.x + 10, a.y + 10)
        case .topRight: (x0, y0) = (a.x + a.width - 10 - boxWidth, a.y + 10)
        case .bottomLeft: (x0, y0) = (a.x + 10, a.y + a.height - 10 - boxHeight)
        case .bottomRight: (x0, y0) = (a.x + a.width - 10 - boxWidth, a.y + a.height - 10 - boxHeight)
        }
        var s = "<g class=\"legend\">\n<rect x=\"\(px(x0))\" y=\"\(px(y0))\" width=\"\(px(boxWidth))\" height=\"\(px(boxHeight))\" "
            + "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#cccccc\" stroke-width=\"0.8\" rx=\"3\"/>\n"
        for (k, (label, sample)) in entries.enumerated() {
            let cy = y0 + 4 + rowHeight * (Double(k) + 0.5)
            s += "<g transform=\"translate(\(px(x0 + 10)) \(px(cy)))\">\(sample)</g>\n"
            s += text(label, x: x0 + 10 + 24 + 8, y: cy + Self.tickFont * 0.35, size: Self.tickFont, anchor: "start")
        }
        return s + "</g>\n"
    }

    func colorBar(_ h: Heatmap, _ L: PlotLayout) -> String {
        let a = L.plotArea
        let x = a.x + a.width + 18
        let barWidth = 14.0
        let ticks = NiceTicks.within(h.range.lowerBound, h.range.upperBound)
        let span = h.range.upperBound - h.range.lowerBound
        func y(_ v: Double) -> Double { a.y + a.height * (1 - (v - h.range.lowerBound) / span) }
        var s = "<g class=\"colorbar\">\n"
        s += "<rect x=\"\(px(x))\" y=\"\(px(a.y))\" width=\"\(px(barWidth))\" height=\"\(px(a.height))\" "
            + "fill=\"url(#kk-colorbar)\" stroke=\"\(Self.axisColor)\" stroke-width=\"0.8\"/>\n"
        var labelWidth = 0.0
        for v in ticks.values {
            let ty = y(v)
            s += "<line x1=\"\(px(x + barWidth))\" y1=\"\(px(ty))\" x2=\"\(px(x + barWidth + 4))\" y2=\"\(px(ty))\" "
                + "stroke=\"\(Self.axisColor)\" stroke-width=\"1\"/>\n"
            let label = ticks.label(v)
            labelWidth = Swift.max(labelWidth, Self.textWidth(label, size: Self.tickFont))
            s += text(label, x: x + barWidth + 7, y: ty + Self.tickFont * 0.35, size: Self.tickFont, anchor: "start")
        }
        if let label = h.label {
            let lx = x + barWidth + 7 + labelWidth + 8 + Self.labelFont * 0.5
            s += text(label, x: lx, y: a.y + a.height / 2, size: Self.labelFont, anchor: "middle", rotate: 90)
        }
        return s + "</g>\n"
    }
}
