/// A failure to read or write a data file (CSV or NumPy `.npy`).
///
/// Every case names the file (or the `source` label given when parsing text in memory) and, for
/// errors inside a CSV table, the 1-based line and column, so that `description` tells a user
/// exactly what to fix, e.g.
/// `data.csv:17: non-numeric value 'abc' in column "bmi" (column 3)`.
///
/// These are data-dependent failures and are always thrown, never trapped. Programmer errors
/// (for example, a column-name list whose length does not match the matrix) are preconditions.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read or written (permissions, a directory, a full disk…).
    case ioFailure(path: String, reason: String)
    /// The file extension is not one KernelKit reads or writes (`.csv`, `.tsv`, `.npy`).
    case unknownExtension(path: String, extension: String)
    /// The file holds no bytes, or only blank lines.
    case emptyFile(path: String)
    /// The file has a header but no data rows, or every data row was dropped as missing.
    case noDataRows(path: String, reason: String)
    /// The file is not valid UTF-8 text.
    case notText(path: String)
    /// A CSV row whose number of fields differs from the header's (or the first row's).
    case wrongFieldCount(path: String, line: Int, found: Int, expected: Int)
    /// A quoted CSV field that is never closed; `line` is where the field starts.
    case unterminatedQuote(path: String, line: Int)
    /// A field that does not parse as a decimal number.
    case nonNumeric(path: String, line: Int, column: Int, columnName: String?, value: String)
    /// A missing field (empty, `NA`, `NaN`, `nan`, …) while the policy is
    /// ``MissingValuePolicy/error``.
    case missingValue(path: String, line: Int, column: Int, columnName: String?, value: String)
    /// An infinite (or explicit not-a-number) value while non-finite values are not allowed.
    case nonFinite(path: String, line: Int, column: Int, columnName: String?, value: String)
    /// A column requested by name that the header does not contain.
    case unknownColumn(path: String, name: String, available: [String])
    /// A column requested by index outside `-count..<count`.
    case columnIndexOutOfRange(path: String, index: Int, count: Int)
    /// A column requested by name in a file without a header row.
    case noHeader(path: String, name: String)
    /// The same column selected twice (as the target and as a feature, or twice as a feature).
    case duplicateColumn(path: String, column: String)
    /// A `.npy` file whose magic string, version or header dictionary is invalid.
    case malformedNPY(path: String, reason: String)
    /// A well-formed `.npy` file that KernelKit cannot represent (dtype, rank, object arrays).
    case unsupportedNPY(path: String, reason: String)
    /// A `.npy` file with fewer data bytes than its header's shape and dtype require.
    case truncatedNPY(path: String, expectedBytes: Int, actualBytes: Int)
    /// An integer in a `.npy` file too large to convert to `Double` exactly (|v| > 2⁵³).
    case inexactInteger(path: String, index: Int, value: Int64)

    /// A one-line message naming the file, the place and the problem.
    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .ioFailure(path, reason):
            return "\(path): \(reason)"
        case let .unknownExtension(path, ext):
            let shown = ext.isEmpty ? "no extension" : "extension '.\(ext)'"
            return "\(path): unknown file type (\(shown)); KernelKit reads .csv, .tsv and .npy and writes .csv and .npy"
        case let .emptyFile(path):
            return "\(path): file is empty"
        case let .noDataRows(path, reason):
            return "\(path): no data rows (\(reason))"
        case let .notText(path):
            return "\(path): not UTF-8 text"
        case let .wrongFieldCount(path, line, found, expected):
            return "\(path):\(line): wrong number of fields: \(found), expected \(expected)"
        case let .unterminatedQuote(path, line):
            return "\(path):\(line): quoted field is never closed"
        case let .nonNumeric(path, line, column, name, value):
            return "\(path):\(line): non-numeric value '\(value)' in \(Self.columnLabel(column, name))"
        case let .missingValue(path, line, column, name, value):
            let shown = value.isEmpty ? "empty field" : "'\(value)'"
            return "\(path):\(line): missing value (\(shown)) in \(Self.columnLabel(column, name));"
                + " fix the file, or drop such rows (missing-value policy .dropRows)"
        case let .nonFinite(path, line, column, name, value):
            return "\(path):\(line): non-finite value '\(value)' in \(Self.columnLabel(column, name));"
                + " allow it explicitly if intended"
        case let .unknownColumn(path, name, available):
            return "\(path): no column named \"\(name)\"; available columns: "
                + available.map { "\"\($0)\"" }.joined(separator: ", ")
        case let .columnIndexOutOfRange(path, index, count):
            return "\(path): column index \(index) out of range for \(count) columns"
                + " (use 0..<\(count), or -\(count)...-1 from the end)"
        case let .noHeader(path, name):
            return "\(path): column \"\(name)\" requested by name, but the file has no header row;"
                + " select it by index"
        case let .duplicateColumn(path, column):
            return "\(path): column \(column) selected more than once"
        case let .malformedNPY(path, reason):
            return "\(path): malformed .npy file: \(reason)"
        case let .unsupportedNPY(path, reason):
            return "\(path): unsupported .npy content: \(reason)"
        case let .truncatedNPY(path, expected, actual):
            return "\(path): truncated .npy file: \(actual) data bytes, expected \(expected)"
        case let .inexactInteger(path, index, value):
            return "\(path): integer \(value) at flat index \(index) cannot be represented exactly as a Double"
        }
    }

    /// `column "bmi" (column 3)` or `column 3` when the file has no header.
    static func columnLabel(_ column: Int, _ name: String?) -> String {
        if let name { return "column \"\(name)\" (column \(column))" }
        return "column \(column)"
    }
}
