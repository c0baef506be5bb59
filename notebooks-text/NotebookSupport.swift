// Support for the generated notebook suites (see Sources/NotebookCompiler).
import Foundation
import Testing

/// Compares a cell's captured output with the notebook's ```output block: exactly, or with numbers
/// allowed to differ by a relative tolerance (non-numeric tokens must still match exactly).
func __notebookCheck(actual: String, expected: String, tolerance: Double?, cell: Int,
                             sourceLocation: SourceLocation) {
    guard let tol = tolerance else {
        #expect(actual == expected, "cell \(cell) output differs", sourceLocation: sourceLocation)
        return
    }
    let split: (String) -> [String] = { s in
        s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," || $0 == "[" || $0 == "]" || $0 == "(" || $0 == ")" || $0 == "=" }).map(String.init)
    }
    let a = split(actual), e = split(expected)
    guard a.count == e.count else {
        Issue.record("cell \(cell) output has \(a.count) tokens, expected \(e.count):\n\(actual)", sourceLocation: sourceLocation)
        return
    }
    for (x, y) in zip(a, e) {
        if let dx = Double(x), let dy = Double(y) {
            let ok = abs(dx - dy) <= tol * max(abs(dy), 1e-300) || dx == dy
            #expect(ok, "cell \(cell): \(x) vs expected \(y) (relative tolerance \(tol))", sourceLocation: sourceLocation)
        } else {
            #expect(x == y, "cell \(cell): '\(x)' vs expected '\(y)'", sourceLocation: sourceLocation)
        }
    }
}


/// Path of a bundled dataset file (datasets/ beside notebooks-text/), independent of the working
/// directory the tests run in.
func datasetPath(_ file: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets").appendingPathComponent(file).path
}
