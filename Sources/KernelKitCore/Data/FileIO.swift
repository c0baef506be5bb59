import Foundation
import KernelKitLinalg

/// Whole-file byte access with failures mapped to ``DataError``.
enum FileIO {
    /// The file's bytes; `.fileNotFound` when absent, `.ioFailure` for a directory or unreadable file.
    static func readBytes(_ path: String) throws(DataError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw .ioFailure(path: path, reason: "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .ioFailure(path: path, reason: "cannot be read (check permissions)")
        }
        return [UInt8](data)
    }

    /// Writes `bytes` to `path` atomically (replacing any existing file).
    static func writeBytes(_ bytes: [UInt8], to path: String) throws(DataError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .ioFailure(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Lower-cased extension without the dot (`""` when there is none).
    static func fileExtension(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }
}

extension Dataset {
    /// Loads a dataset from `path`, choosing the reader by extension: `.csv` and `.tsv` via
    /// ``CSV/read(_:options:)``, `.npy` via ``NPY/read(_:)`` (a 1-D array is one column; `target`
    /// and `features` select columns by index, names are `x0`, `x1`, … and `target`).
    ///
    /// Throws ``DataError/fileNotFound(path:)`` for a missing file and
    /// ``DataError/unknownExtension(path:extension:)`` for any other extension, before reading.
    public static func load(_ path: String, options: DataReadOptions = DataReadOptions()) throws(DataError) -> Dataset {
        let ext = FileIO.fileExtension(path)
        switch ext {
        case "csv", "tsv":
            return try CSV.read(path, options: options)
        case "npy":
            let array = try NPY.read(path)
            let table = array.values
            let selection = try ColumnSelection(names: nil, count: table.columns, options: options, path: path)
            var features = Matrix(rows: table.rows, columns: selection.featureIndices.count)
            for (p, k) in selection.featureIndices.enumerated() { features.setColumn(p, to: table.column(k)) }
            return Dataset(features: features, target: selection.targetIndex.map { table.column($0) })
        default:
            guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
            throw .unknownExtension(path: path, extension: ext)
        }
    }

    /// Saves the dataset to `path` by extension: `.csv` writes a header and the feature columns
    /// followed by the target; `.npy` writes the float64 matrix `[X | y]` (target last, if any),
    /// which ``load(_:options:)`` with `target: -1` reads back. Values round-trip exactly.
    public func save(to path: String) throws(DataError) {
        switch FileIO.fileExtension(path) {
        case "csv":
            try CSV.write(self, to: path)
        case "npy":
            var table = features
            if let y = target {
                table = Matrix(rows: table.rows, columns: table.columns + 1, columnMajor: table.storage + y.elements)
            }
            try NPY.write(table, to: path)
        case let ext:
            throw .unknownExtension(path: path, extension: ext)
        }
    }
}
