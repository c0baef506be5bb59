import ArgumentParser
import Foundation
import KernelKit

/// Options shared by every subcommand that computes: reproducibility and threads.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Seed for every random choice (train/test split, optimiser restarts).")
    var seed: UInt64 = 0

    @Option(help: "Threads for BLAS/LAPACK and for tiled kernel computations (default: OpenBLAS's own setting for BLAS, one thread for tiles).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func apply() {
        if let threads { BLAS.setThreads(threads) }
    }
}

/// Options describing where results go.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object on stdout instead of the human summary.")
    var json = false

    @Option(help: "Write the predictions/matrix to FILE (.csv or .npy, chosen by extension).")
    var out: String?

    @Option(help: "Draw a picture to FILE.svg.")
    var plot: String?

    func validate() throws {
        if let out, !(out.hasSuffix(".csv") || out.hasSuffix(".npy")) {
            throw ValidationError("--out must end in .csv or .npy, got '\(out)'")
        }
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must end in .svg, got '\(plot)'") }
    }
}

/// A failure the CLI reports itself (one line, exit 1).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The bundled datasets (datasets/ in the repository), found next to the executable's build
/// folder, in the current directory, or in $KERNELKIT_DATASETS.
enum BundledData {
    static let names: [(name: String, file: String, target: String, about: String)] = [
        ("co2", "co2_monthly.csv", "co2", "Mauna Loa CO2, monthly means 1958-2001 (521 months; statsmodels)"),
        ("co2-weekly", "co2.csv", "co2", "Mauna Loa CO2, weekly 1958-2001 (2,284 weeks, 59 missing; statsmodels)"),
        ("diabetes", "diabetes.csv", "target", "diabetes progression, 442 x 10 (scikit-learn)"),
        ("iris", "iris.csv", "target", "iris, 150 x 4, 3 classes (scikit-learn)"),
        ("wine", "wine.csv", "target", "wine, 178 x 13, 3 classes (scikit-learn)"),
        ("breast_cancer", "breast_cancer.csv", "target", "breast cancer, 569 x 30, 2 classes (scikit-learn)"),
        ("digits", "digits.csv", "target", "8x8 digits, 1797 x 64, 10 classes (scikit-learn)"),
    ]

    static func directory() -> URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["KERNELKIT_DATASETS"] {
            candidates.append(URL(fileURLWithPath: env))
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("datasets"))
            dir.deleteLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("datasets"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("co2_monthly.csv").path) }
    }

    /// Resolves `--data`: a bundled name or a path. Returns the path and the bundled default target.
    static func resolve(_ data: String) throws -> (path: String, defaultTarget: String?) {
        if let entry = names.first(where: { $0.name == data }) {
            guard let dir = directory() else {
                throw CLIError("bundled dataset '\(data)' not found: run from the KernelKit folder or set KERNELKIT_DATASETS to its datasets/ folder")
            }
            return (dir.appendingPathComponent(entry.file).path, entry.target)
        }
        return (data, nil)
    }
}

/// Parses `--target`: a column name, or an integer index (negative counts from the end).
func dataColumn(_ text: String) -> DataColumn {
    if let i = Int(text) { return .index(i) }
    return .name(text)
}

/// Writes a matrix to .csv or .npy.
func writeMatrix(_ m: Matrix, columnNames: [String], to path: String) throws {
    if path.hasSuffix(".npy") { try NPY.write(m, to: path) } else { try CSV.write(m, columnNames: columnNames, to: path) }
}

/// Prints a JSON object with stable key order.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// A number for JSON: finite Doubles pass, anything else becomes null (never NaN in output).
func jsonNumber(_ x: Double) -> Any { x.isFinite ? x : NSNull() }

/// Human formatting with `digits` significant digits.
func fmt(_ x: Double, _ digits: Int = 6) -> String { String(format: "%.\(digits)g", x) }

/// Loads a data file, phrasing a missing-value error in terms of the CLI's `--drop-missing`.
func loadForCLI(_ path: String, _ options: DataReadOptions) throws -> Dataset {
    do {
        return try Dataset.load(path, options: options)
    } catch {
        guard case let .missingValue(file, line, column, name, value) = error else { throw error }
        let field = value.isEmpty ? "empty field" : "'\(value)'"
        let label = name.map { "\"\($0)\"" } ?? "\(column)"
        throw CLIError("\(file):\(line): missing value (\(field)) in column \(label); fix the file or pass --drop-missing")
    }
}
