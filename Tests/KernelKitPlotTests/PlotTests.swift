// Tests of the SVG plotting module: well-formed XML, expected elements, the data → pixel map,
// nice ticks, skipping of non-finite points and XML escaping.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KernelKitPlot
import Testing

/// Parsed SVG: every element with its attributes, its ancestors' class names, and all text.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var ancestorClasses: [String]
    }
    var elements: [Element] = []
    var texts: [String] = []
    private var stack: [String] = []
    private var currentText: String?
    var ok = false
    var errorDescription = ""

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        ok = parser.parse()
        if !ok { errorDescription = parser.parserError.map { "\($0)" } ?? "unknown" }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes, ancestorClasses: stack))
        stack.append(attributes["class"] ?? "")
        if name == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { currentText? += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        if name == "text", let t = currentText { texts.append(t); currentText = nil }
    }

    func count(_ name: String, inClass cls: String? = nil) -> Int {
        elements.filter { $0.name == name && (cls == nil || $0.ancestorClasses.contains(cls!) || $0.attributes["class"] == cls) }.count
    }

    /// Number of elements whose own class is `cls`.
    func count(withClass cls: String) -> Int {
        elements.filter { $0.attributes["class"] == cls }.count
    }

    /// (x, y) pairs of every polyline/polygon `points` attribute with the given class.
    func points(ofClass cls: String) -> [[(Double, Double)]] {
        elements.filter { $0.attributes["class"] == cls }.map { e in
            (e.attributes["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
        }
    }
}

private func sampleFigure() -> Figure {
    var fig = Figure(title: "GP posterior", xLabel: "x", yLabel: "f(x)")
    let xs = (0..<50).map { Double($0) / 7 }
    let mean = xs.map { sin($0) }
    fig.band(x: xs, lower: mean.map { $0 - 0.3 }, upper: mean.map { $0 + 0.3 }, label: "±2σ")
    fig.line(x: xs, y: mean, label: "mean")
    fig.scatter(x: [0.5, 2, 4], y: [0.4, 0.9, -0.7], label: "data")
    fig.verticalLine(at: 5, label: "split")
    return fig
}

@Suite("SVG figures")
struct FigureTests {
    @Test func wellFormedWithExpectedElements() {
        let svg = sampleFigure().svg()
        let doc = ParsedSVG(svg)
        #expect(doc.ok, "XML parse error: \(doc.errorDescription)")
        #expect(doc.elements.first?.name == "svg")
        #expect(doc.count("polyline", inClass: "line") == 1)
        #expect(doc.count("polygon", inClass: "band") == 1)
        #expect(doc.count("circle", inClass: "scatter") == 3)
        #expect(doc.count("line", inClass: "marker-line") == 1)
        #expect(doc.count(withClass: "legend") == 1)
        // Legend lists the four labelled series, each with a text.
        for label in ["±2σ", "mean", "data", "split", "GP posterior", "x", "f(x)"] {
            #expect(doc.texts.contains(label), "missing text \(label)")
        }
        // Tick labels are texts: the x axis covers 0…7 (data 0…7), so "0" and "7"/"8" appear.
        let layout = sampleFigure().layout()
        for v in layout.xAxis.values { #expect(doc.texts.contains(layout.xAxis.label(v))) }
        for v in layout.yAxis.values { #expect(doc.texts.contains(layout.yAxis.label(v))) }
    }

    @Test func dataToPixelMapIsMonotoneAndInsideThePlotArea() {
        let fig = sampleFigure()
        let L = fig.layout()
        let a = L.plotArea
        #expect(a.x > 0 && a.y > 0 && a.x + a.width < fig.width && a.y + a.height < fig.height)
        let xs = stride(from: 0.0, through: 7, by: 0.25).map { L.pixelX($0) }
        #expect(zip(xs, xs.dropFirst()).allSatisfy { $0 < $1 })
        let ys = stride(from: -1.3, through: 1.3, by: 0.1).map { L.pixelY($0) }
        #expect(zip(ys, ys.dropFirst()).allSatisfy { $0 > $1 }, "y up means pixel y down")
        // Axis ends map to the plot-area edges (affine map, exact up to rounding 1e-9 px).
        #expect(abs(L.pixelX(L.xAxis.lower) - a.x) < 1e-9 && abs(L.pixelX(L.xAxis.upper) - (a.x + a.width)) < 1e-9)
        #expect(abs(L.pixelY(L.yAxis.lower) - (a.y + a.height)) < 1e-9 && abs(L.pixelY(L.yAxis.upper) - a.y) < 1e-9)
        // Every drawn vertex lies in the plot area (coordinates are rounded to 0.01 px).
        let doc = ParsedSVG(fig.svg())
        for shape in doc.points(ofClass: "line") + doc.points(ofClass: "band") {
            for (x, y) in shape {
                #expect(a.x - 0.01 <= x && x <= a.x + a.width + 0.01 && a.y - 0.01 <= y && y <= a.y + a.height + 0.01)
            }
        }
        let line = doc.points(ofClass: "line")[0]
        #expect(zip(line, line.dropFirst()).allSatisfy { $0.0 < $1.0 }, "increasing x stays increasing in pixels")
    }

    @Test func nonFinitePointsAreSkipped() {
        var fig = Figure()
        fig.line(x: [0, 1, 2, 3, 4, 5], y: [1, 2, .nan, 3, .infinity, 4])
        fig.scatter(x: [0, .nan, 2], y: [1, 1, -.infinity])
        fig.band(x: [0, 1, 2], lower: [0, .nan, 0], upper: [1, 1, 1])
        let svg = fig.svg()
        let doc = ParsedSVG(svg)
        #expect(doc.ok)
        // The line breaks into runs [0,1], [3], [5]; one scatter point survives; band runs [0], [2].
        #expect(doc.points(ofClass: "line").map(\.count) == [2, 1, 1])
        #expect(doc.count("circle", inClass: "scatter") == 1)
        #expect(doc.points(ofClass: "band").map(\.count) == [2, 2])
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
        // The y axis covers only the finite values 1…4.
        let L = fig.layout()
        #expect(L.yAxis.lower <= 0 && L.yAxis.upper >= 4 && L.yAxis.upper < 10)
        // A figure with no finite data at all still renders, on a 0…1 square.
        var empty = Figure()
        empty.line(x: [.nan], y: [1])
        #expect(ParsedSVG(empty.svg()).ok && empty.layout().xAxis.lower == 0 && empty.layout().xAxis.upper == 1)
    }

    @Test func textIsEscaped() {
        let title = "a < b && c > \"d\" 'e'"
        var fig = Figure(title: title, xLabel: "<x>")
        fig.line(x: [0, 1], y: [0, 1], label: "</text><script>")
        let svg = fig.svg()
        #expect(!svg.contains("<script>") && !svg.contains("<x>"))
        #expect(svg.contains("a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos;"))
        let doc = ParsedSVG(svg)
        #expect(doc.ok)
        #expect(doc.texts.contains(title) && doc.texts.contains("<x>") && doc.texts.contains("</text><script>"))
        #expect(xmlEscaped("a\u{1}b\tc") == "ab\tc", "control characters XML forbids are dropped")
    }

    @Test func heatmapCellsColourBarAndOrientation() {
        var fig = Figure(title: "K")
        let values: [[Double]] = [[0, 1, 2], [3, .nan, 5]]
        fig.heatmap(values, label: "k")
        let doc = ParsedSVG(fig.svg())
        #expect(doc.ok)
        #expect(doc.count("rect", inClass: "heatmap") == 5, "one rect per finite cell")
        #expect(doc.count(withClass: "colorbar") == 1)
        #expect(doc.count("stop") == 21)
        let cells = doc.elements.filter { $0.name == "rect" && $0.ancestorClasses.contains("heatmap") }
        // Smallest value gets the bottom of viridis, largest the top.
        #expect(cells.first?.attributes["fill"] == "#440154")
        #expect(cells.last?.attributes["fill"] == "#fde725")
        // origin .upper: row 0 is above row 1 (smaller pixel y).
        let y0 = Double(cells[0].attributes["y"]!)!
        let y1 = Double(cells[3].attributes["y"]!)!
        #expect(y0 < y1)
        let L = fig.layout()
        #expect(L.yInverted && L.xAxis.lower == -0.5 && L.xAxis.upper == 2.5)
        // Cells tile the plot area exactly: the first starts at its corner.
        #expect(abs(Double(cells[0].attributes["x"]!)! - L.plotArea.x) < 0.01)
        #expect(abs(y0 - L.plotArea.y) < 0.01)
    }

    @Test func legendCanBeHidden() {
        var fig = sampleFigure()
        fig.legend = .hidden
        #expect(ParsedSVG(fig.svg()).count(withClass: "legend") == 0)
        var unlabeled = Figure()
        unlabeled.line(x: [0, 1], y: [1, 0])
        #expect(ParsedSVG(unlabeled.svg()).count(withClass: "legend") == 0)
    }

    @Test func defaultColoursCycleAndBandsShareTheNextColour() {
        var fig = Figure()
        fig.band(x: [0, 1], lower: [0, 0], upper: [1, 1])
        fig.line(x: [0, 1], y: [0.5, 0.5])
        fig.line(x: [0, 1], y: [0.2, 0.2])
        let doc = ParsedSVG(fig.svg())
        let band = doc.elements.first { $0.attributes["class"] == "band" }?.attributes["fill"]
        let lines = doc.elements.filter { $0.attributes["class"] == "line" }.map { $0.attributes["stroke"] }
        #expect(band == Color.palette[0].description)
        #expect(lines == [Color.palette[0].description, Color.palette[1].description])
    }

    @Test func writeToFile() throws {
        let fig = sampleFigure()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kk-plot-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try fig.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == fig.svg())
        #expect(throws: PlotError.self) { try fig.write(to: "/nonexistent-dir/x.svg") }
    }
}

@Suite("Nice ticks and colours")
struct TickTests {
    /// Mantissa of a step, which must be 1, 2 or 5 (relative tolerance 1e-9 for the decimal power).
    private func mantissa(_ step: Double) -> Double {
        step / pow(10, floor(log10(step) + 1e-9))
    }

    @Test func coveringTicksAreNiceAndCoverTheData() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let scale = pow(10, Double.random(in: -6...8, using: &rng))
            let a = Double.random(in: -1...1, using: &rng) * scale
            let b = a + Double.random(in: 1e-3...3, using: &rng) * scale
            let t = NiceTicks.covering(a, b)
            let m = mantissa(t.step)
            #expect([1.0, 2, 5].contains { abs(m - $0) < 1e-9 }, "step \(t.step)")
            #expect(t.values.first! <= a + 1e-9 * t.step && t.values.last! >= b - 1e-9 * t.step, "\(a)…\(b): \(t.values)")
            #expect(t.lower <= a && t.upper >= b)
            #expect(t.values.allSatisfy { abs($0 / t.step - ($0 / t.step).rounded()) < 1e-9 })
            #expect(t.values.count >= 3 && t.values.count <= 8, "\(t.values.count) ticks for \(a)…\(b)")
        }
    }

    @Test func withinTicksStayInside() {
        let t = NiceTicks.within(-0.5, 39.5)
        #expect(t.values == [0, 10, 20, 30])
        #expect(t.lower == -0.5 && t.upper == 39.5)
        let u = NiceTicks.within(0.13, 0.97)
        #expect(u.values.allSatisfy { $0 >= 0.13 && $0 <= 0.97 } && u.values.count >= 3)
    }

    @Test func knownAxes() {
        let years = NiceTicks.covering(1958.24, 2001.99)
        #expect(years.values == [1950, 1960, 1970, 1980, 1990, 2000, 2010])
        #expect(years.values.map(years.label) == ["1950", "1960", "1970", "1980", "1990", "2000", "2010"])
        let unit = NiceTicks.covering(0, 1)
        #expect(unit.step == 0.2 && unit.values.count == 6)
        #expect(unit.values.map(unit.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let exact = NiceTicks.covering(0.3, 0.7)
        #expect(exact.lower == 0.3 && exact.values.first! - 0.3 < 1e-15, "no empty step below 0.3")
        let signed = NiceTicks.covering(-1.3, 0.9)
        #expect(signed.label(-1) == "\u{2212}1.0" && signed.label(0) == "0.0")
        let huge = NiceTicks.covering(0, 1.6e6)
        #expect(huge.label(1e6) == "1\u{00D7}10⁶" && huge.label(1.5e6) == "1.5\u{00D7}10⁶" && huge.label(0) == "0")
        let tiny = NiceTicks.covering(-3e-5, 2e-5)
        #expect(tiny.label(-2e-5) == "\u{2212}2\u{00D7}10⁻⁵")
        // Degenerate ranges widen instead of dividing by zero.
        let flat = NiceTicks.covering(5, 5)
        #expect(flat.lower < 5 && flat.upper > 5)
        let none = NiceTicks.covering(.nan, .nan)
        #expect(none.lower == 0 && none.upper == 1)
    }

    @Test func colours() {
        #expect(Color(hex: 0x0072B2).description == "#0072b2")
        #expect(ColorScale.viridis.color(at: 0) == Color(hex: 0x440154))
        #expect(ColorScale.viridis.color(at: 1) == Color(hex: 0xFDE725))
        #expect(ColorScale.viridis.color(at: 7) == Color(hex: 0xFDE725), "clamped")
        #expect(ColorScale.diverging.color(at: 0.5) == Color(hex: 0xF7F7F7), "white at the centre")
        #expect(ColorScale.grays.color(at: 0.5) == Color(red: 128, green: 128, blue: 128))
    }
}
