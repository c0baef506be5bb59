import KernelKitLinalg

/// Reading and writing numeric CSV tables.
///
/// Reading follows RFC 4180 with the leniencies real files need: the separator is `,`, `;` or tab
/// (detected from the first line unless given), fields may be quoted (`"a, b"`, with `""` for a
/// quote inside), line ends may be LF or CRLF, a UTF-8 byte-order mark and blank lines are skipped,
/// spaces around unquoted fields are trimmed. Numbers are decimal (`1`, `-2.5`, `3e-7`); `inf`,
/// `-inf` are accepted only with ``DataReadOptions/allowNonFinite``. Every malformed row throws a
/// ``DataError`` naming the file, the 1-based line and the column.
///
/// Writing uses the shortest decimal that parses back to the same `Double` (Swift's round-trip
/// formatting, never more than 17 significant digits), so `write` then `read` is exact.
///
/// Complexity: O(file size) time; the table is held once as `[Double]` plus the final ``Matrix``.
public enum CSV {
    /// Reads the CSV file at `path` into a ``Dataset`` selecting columns by `options`.
    ///
    /// Throws ``DataError`` for a missing or unreadable file, an empty file, a row with the wrong
    /// number of fields, a non-numeric, missing or non-finite value in a selected column (unless the
    /// options allow it), and an unknown target or feature column.
    public static func read(_ path: String, options: DataReadOptions = DataReadOptions()) throws(DataError) -> Dataset {
        let bytes = try FileIO.readBytes(path)
        var opts = options
        if opts.separator == nil && FileIO.fileExtension(path) == "tsv" { opts.separator = "\t" }
        return try parse(bytes: bytes, source: path, options: opts)
    }

    /// Parses CSV `text` held in memory; `source` names it in error messages.
    public static func parse(_ text: String, source: String = "<string>",
                             options: DataReadOptions = DataReadOptions()) throws(DataError) -> Dataset {
        try parse(bytes: Array(text.utf8), source: source, options: options)
    }

    /// The table `columns` (one column per named field, one row per record) as CSV text with a
    /// header line when `columnNames` is given. Values use round-trip formatting; NaN is written
    /// `nan` and ±∞ as `inf`/`-inf` (NumPy's spelling), which ``read(_:options:)`` treats as
    /// missing / non-finite.
    public static func string(_ columns: Matrix, columnNames: [String]? = nil) -> String {
        precondition(columnNames == nil || columnNames!.count == columns.columns,
                     "CSV.string: \(columnNames?.count ?? 0) names for \(columns.columns) columns")
        var out = ""
        out.reserveCapacity(columns.rows * columns.columns * 12)
        if let columnNames {
            out += columnNames.map(quoteIfNeeded).joined(separator: ",")
            out += "\n"
        }
        for i in 0..<columns.rows {
            for j in 0..<columns.columns {
                if j > 0 { out += "," }
                out += formatNumber(columns[i, j])
            }
            out += "\n"
        }
        return out
    }

    /// `dataset` as CSV text: the feature columns, then the target column (if any), with a header.
    public static func string(_ dataset: Dataset) -> String {
        var table = dataset.features
        var names = dataset.featureNames
        if let y = dataset.target {
            table = Matrix(rows: table.rows, columns: table.columns + 1,
                           columnMajor: table.storage + y.elements)
            names.append(dataset.targetName ?? "target")
        }
        return string(table, columnNames: names)
    }

    /// Writes `columns` to `path` as CSV (see ``string(_:columnNames:)``).
    public static func write(_ columns: Matrix, columnNames: [String]? = nil, to path: String) throws(DataError) {
        try FileIO.writeBytes(Array(string(columns, columnNames: columnNames).utf8), to: path)
    }

    /// Writes `dataset` to `path` as CSV (see ``string(_:)``).
    public static func write(_ dataset: Dataset, to path: String) throws(DataError) {
        try FileIO.writeBytes(Array(string(dataset).utf8), to: path)
    }

    /// Shortest round-trip decimal; integral values without a trailing `.0`.
    static func formatNumber(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        let s = x.description
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    static func quoteIfNeeded(_ field: String) -> String {
        let special = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" || $0 == "\t" }
        if !special && field.first != " " && field.last != " " { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: Reading

    static func parse(bytes: [UInt8], source path: String, options: DataReadOptions) throws(DataError) -> Dataset {
        var body = bytes
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        guard String(validating: body, as: UTF8.self) != nil else { throw .notText(path: path) }
        let separator: UInt8
        if let s = options.separator {
            guard let a = s.asciiValue else { preconditionFailure("CSV separator must be ASCII") }
            separator = a
        } else {
            separator = detectSeparator(body)
        }
        var tokenizer = CSVTokenizer(bytes: body, separator: separator, path: path)
        guard let first = try tokenizer.nextRecord() else { throw .emptyFile(path: path) }

        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .detect:
            hasHeader = first.fields.contains { !options.missingTokens.contains($0) && parseNumber($0) == nil }
        }
        let names: [String]? = hasHeader ? first.fields : nil
        let expected = first.fields.count
        let selection = try ColumnSelection(names: names, count: expected, options: options, path: path)
        let featureIndices = selection.featureIndices
        let d = featureIndices.count

        var values: [Double] = []
        var targets: [Double] = []
        var dropped: [Int] = []
        var rowCount = 0
        var pending: (line: Int, fields: [String])? = hasHeader ? nil : first
        var row = [Double](repeating: 0, count: d)

        while true {
            let record: (line: Int, fields: [String])
            if let p = pending {
                record = p
                pending = nil
            } else if let next = try tokenizer.nextRecord() {
                record = next
            } else {
                break
            }
            guard record.fields.count == expected else {
                throw .wrongFieldCount(path: path, line: record.line, found: record.fields.count, expected: expected)
            }
            var missing = false
            func value(_ k: Int) throws(DataError) -> Double {
                let field = record.fields[k]
                let name = names?[k]
                if options.missingTokens.contains(field) {
                    if options.missingValues == .error {
                        throw .missingValue(path: path, line: record.line, column: k + 1, columnName: name, value: field)
                    }
                    missing = true
                    return .nan
                }
                guard let x = parseNumber(field) else {
                    throw .nonNumeric(path: path, line: record.line, column: k + 1, columnName: name, value: field)
                }
                if !x.isFinite && !options.allowNonFinite {
                    throw .nonFinite(path: path, line: record.line, column: k + 1, columnName: name, value: field)
                }
                return x
            }
            for (p, k) in featureIndices.enumerated() { row[p] = try value(k) }
            let y = try selection.targetIndex.map { (k) throws(DataError) in try value(k) }
            if missing {
                dropped.append(record.line)
                continue
            }
            values.append(contentsOf: row)
            if let y { targets.append(y) }
            rowCount += 1
        }
        guard rowCount > 0 else {
            let reason = dropped.isEmpty ? "only a header row"
                : "all \(dropped.count) rows have missing values and were dropped"
            throw .noDataRows(path: path, reason: reason)
        }
        let featureNames = featureIndices.enumerated().map { p, k in names?[k] ?? "x\(p)" }
        return Dataset(features: Matrix(rows: rowCount, columns: d, rowMajor: values),
                       target: selection.targetIndex == nil ? nil : Vector(targets),
                       featureNames: featureNames,
                       targetName: selection.targetIndex.map { names?[$0] ?? "target" },
                       droppedLines: dropped)
    }

    /// A decimal number, `inf`/`infinity`/`nan` (any case, optional sign); `nil` for anything else
    /// (including hexadecimal floats, which `Double(_:)` would otherwise accept).
    static func parseNumber(_ s: String) -> Double? {
        guard !s.isEmpty else { return nil }
        let isDecimal = s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D || c == 0x2E || c == 0x65 || c == 0x45
        }
        if isDecimal { return Double(s) }
        var word = s.lowercased()
        var sign = 1.0
        if word.hasPrefix("-") { sign = -1; word.removeFirst() } else if word.hasPrefix("+") { word.removeFirst() }
        switch word {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: return nil
        }
    }

    /// The most frequent of `,` `;` tab outside quotes on the first non-blank line (ties: `,`).
    static func detectSeparator(_ bytes: [UInt8]) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        var inQuotes = false
        var sawContent = false
        for b in bytes {
            if b == 0x22 { inQuotes.toggle() }
            if b == 0x0A && !inQuotes {
                if sawContent { break }
                continue
            }
            if b != 0x20 && b != 0x0D { sawContent = true }
            if !inQuotes, counts[b] != nil { counts[b]! += 1 }
        }
        var best: UInt8 = 0x2C
        for b: UInt8 in [0x09, 0x3B] where counts[b]! > counts[best]! { best = b }
        return best
    }
}

/// Splits CSV bytes into records of unquoted, trimmed fields, tracking 1-based line numbers.
struct CSVTokenizer {
    let bytes: [UInt8]
    let separator: UInt8
    let path: String
    var position = 0
    var line = 1

    init(bytes: [UInt8], separator: UInt8, path: String) {
        self.bytes = bytes
        self.separator = separator
        self.path = path
    }

    private func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0D || (b == 0x09 && separator != 0x09)
    }

    /// The next non-blank record, or `nil` at the end of input.
    mutating func nextRecord() throws(DataError) -> (line: Int, fields: [String])? {
        // Skip blank lines.
        while position < bytes.count {
            var p = position
            while p < bytes.count && isBlank(bytes[p]) { p += 1 }
            if p == bytes.count { position = p; return nil }
            if bytes[p] == 0x0A { position = p + 1; line += 1; continue }
            break
        }
        guard position < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        while true {
            let (field, ended) = try nextField(recordLine: startLine)
            fields.append(field)
            if ended { break }
        }
        return (startLine, fields)
    }

    /// One field; `ended` is true when it closed the record (newline or end of input).
    private mutating func nextField(recordLine: Int) throws(DataError) -> (String, ended: Bool) {
        while position < bytes.count && bytes[position] != separator && bytes[position] != 0x0A
            && isBlank(bytes[position]) { position += 1 }
        var content: [UInt8] = []
        if position < bytes.count && bytes[position] == 0x22 {
            let quoteLine = line
            position += 1
            var closed = false
            while position < bytes.count {
                let b = bytes[position]
                if b == 0x22 {
                    if position + 1 < bytes.count && bytes[position + 1] == 0x22 {
                        content.append(0x22)
                        position += 2
                        continue
                    }
                    position += 1
                    closed = true
                    break
                }
                if b == 0x0A { line += 1 }
                content.append(b)
                position += 1
            }
            guard closed else { throw .unterminatedQuote(path: path, line: quoteLine) }
        }
        // Unquoted text (or anything trailing a closing quote) up to the separator or line end.
        let start = position
        while position < bytes.count && bytes[position] != separator && bytes[position] != 0x0A { position += 1 }
        var end = position
        while end > start && isBlank(bytes[end - 1]) { end -= 1 }
        content.append(contentsOf: bytes[start..<end])
        let field = String(decoding: content, as: UTF8.self)
        if position >= bytes.count { return (field, true) }
        if bytes[position] == 0x0A {
            position += 1
            line += 1
            return (field, true)
        }
        position += 1  // separator
        return (field, false)
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (no Foundation needed).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
