import KernelKitLinalg

/// A table of numeric data: features `X` (one row per point, one column per feature) and an
/// optional target `y` (one value per point), with column names.
///
/// Load one with ``Dataset/load(_:options:)``; the file type follows the extension (`.csv`,
/// `.tsv`, `.npy`). Storage is the column-major ``Matrix`` of KernelKitLinalg, so `X` goes to BLAS
/// without copies.
public struct Dataset: Sendable, Equatable {
    /// Features, `count × dimension`; row `i` is point `i`.
    public var features: Matrix
    /// Target values, one per row of `features`, or `nil` for unsupervised data.
    public var target: Vector?
    /// One name per feature column (`x0`, `x1`, … when the source has no header).
    public var featureNames: [String]
    /// Name of the target column (`nil` when there is no target).
    public var targetName: String?
    /// 1-based file lines of the rows dropped by ``MissingValuePolicy/dropRows`` (empty otherwise).
    public var droppedLines: [Int]

    /// A dataset from its parts. `target`, when given, must have one value per row; `featureNames`,
    /// when given, one name per column (default `x0`, `x1`, …).
    public init(features: Matrix, target: Vector? = nil, featureNames: [String]? = nil,
                targetName: String? = nil, droppedLines: [Int] = []) {
        precondition(target == nil || target!.count == features.rows,
                     "Dataset: target has \(target?.count ?? 0) values for \(features.rows) rows")
        precondition(featureNames == nil || featureNames!.count == features.columns,
                     "Dataset: \(featureNames?.count ?? 0) feature names for \(features.columns) columns")
        self.features = features
        self.target = target
        self.featureNames = featureNames ?? (0..<features.columns).map { "x\($0)" }
        self.targetName = target == nil ? nil : (targetName ?? "target")
        self.droppedLines = droppedLines
    }

    /// Number of points (rows).
    public var count: Int { features.rows }
    /// Number of features (columns of `X`).
    public var dimension: Int { features.columns }

    /// The points at `indices` (in that order), with their targets. O(|indices|·dimension).
    public func rows(_ indices: [Int]) -> Dataset {
        Dataset(features: features.rows(indices),
                target: target.map { t in Vector(indices.map { t[$0] }) },
                featureNames: featureNames, targetName: targetName)
    }
}

/// A column of a table, chosen by header name or by 0-based position.
///
/// A negative index counts from the end: `-1` is the last column. String and integer literals
/// convert, so `target: "co2"` and `target: -1` both read naturally.
public enum DataColumn: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The column whose header is exactly this name.
    case name(String)
    /// The column at this 0-based position (negative: from the end).
    case index(Int)

    /// `"co2"` as a column name.
    public init(stringLiteral value: String) { self = .name(value) }
    /// `2` or `-1` as a column position.
    public init(integerLiteral value: Int) { self = .index(value) }

    /// `"name"` or `#index`.
    public var description: String {
        switch self {
        case let .name(n): return "\"\(n)\""
        case let .index(i): return "#\(i)"
        }
    }
}

/// What to do with a missing value (a field equal to one of ``DataReadOptions/missingTokens``).
public enum MissingValuePolicy: Sendable, Hashable {
    /// Throw ``DataError/missingValue(path:line:column:columnName:value:)`` naming line and column.
    case error
    /// Drop every row with a missing value in a selected column; their lines are recorded in
    /// ``Dataset/droppedLines``.
    case dropRows
}

/// Whether the first row of a CSV file is a header.
public enum HeaderMode: Sendable, Hashable {
    /// A header when any first-row field is neither a number nor a missing-value token.
    /// A data file whose first row contains a typo such as `abc` is therefore read as having a
    /// header; say ``present`` or ``absent`` when that matters.
    case detect
    /// The first row holds the column names.
    case present
    /// Every row is data; columns are named `x0`, `x1`, … (features) and `target`.
    case absent
}

/// Options for reading tabular files.
///
/// `target` and `features` select columns in both CSV and `.npy` files (names only for CSV files
/// with a header). Only selected columns are parsed, so a CSV may carry text columns (dates,
/// labels) that are not selected.
public struct DataReadOptions: Sendable, Hashable {
    /// The target column, or `nil` for no target (every selected column is a feature).
    public var target: DataColumn?
    /// The feature columns in order, or `nil` for every column except the target.
    public var features: [DataColumn]?
    /// Header detection (CSV only).
    public var header: HeaderMode
    /// Field separator (CSV only); `nil` picks the most frequent of `,` `;` tab in the first line
    /// (ties favour `,`), and tab for `.tsv` files.
    public var separator: Character?
    /// Policy for missing values.
    public var missingValues: MissingValuePolicy
    /// Field contents (after trimming spaces) that mean "missing".
    public var missingTokens: Set<String>
    /// Accept `inf`, `-inf` (and `nan` if it is removed from `missingTokens`) as values.
    public var allowNonFinite: Bool

    /// Options with the defaults: no target, every column a feature, detected header and
    /// separator, missing values (`""`, `NA`, `NaN`, `nan`) are errors, non-finite values are errors.
    public init(target: DataColumn? = nil, features: [DataColumn]? = nil, header: HeaderMode = .detect,
                separator: Character? = nil, missingValues: MissingValuePolicy = .error,
                missingTokens: Set<String> = ["", "NA", "NaN", "nan"], allowNonFinite: Bool = false) {
        self.target = target
        self.features = features
        self.header = header
        self.separator = separator
        self.missingValues = missingValues
        self.missingTokens = missingTokens
        self.allowNonFinite = allowNonFinite
    }
}

/// Resolves target/feature selections against a list of column names (or a bare column count).
struct ColumnSelection {
    /// 0-based source index of each feature column.
    var featureIndices: [Int]
    /// 0-based source index of the target column.
    var targetIndex: Int?

    init(names: [String]?, count: Int, options: DataReadOptions, path: String) throws(DataError) {
        func resolve(_ c: DataColumn) throws(DataError) -> Int {
            switch c {
            case let .name(n):
                guard let names else { throw .noHeader(path: path, name: n) }
                guard let i = names.firstIndex(of: n) else {
                    throw .unknownColumn(path: path, name: n, available: names)
                }
                return i
            case let .index(i):
                guard i >= -count && i < count else {
                    throw .columnIndexOutOfRange(path: path, index: i, count: count)
                }
                return i < 0 ? count + i : i
            }
        }
        let target = try options.target.map { (c) throws(DataError) in try resolve(c) }
        targetIndex = target
        if let requested = options.features {
            var chosen: [Int] = []
            for c in requested {
                let i = try resolve(c)
                guard i != target, !chosen.contains(i) else {
                    throw .duplicateColumn(path: path, column: names.map { "\"\($0[i])\"" } ?? "#\(i)")
                }
                chosen.append(i)
            }
            featureIndices = chosen
        } else {
            featureIndices = (0..<count).filter { $0 != target }
        }
    }
}
