import KernelKitLinalg

/// An array read from a NumPy `.npy` file: its shape and its values as a ``Matrix``.
///
/// A 1-D array of length `n` becomes an `n × 1` matrix; a 2-D array `(r, c)` an `r × c` matrix; a 3-D
/// array `(a, b, c)` an `a × bc` matrix whose row i is `[i, :, :]` in C order (so `rowMajorElements` is
/// the whole array in C order), whatever its order in the file.
public struct NPYArray: Sendable, Equatable {
    /// The shape in the file: `[n]`, `[rows, columns]` or `[a, b, c]`.
    public var shape: [Int]
    /// The values as `Double`, `rows × columns` (`n × 1` for a 1-D array).
    public var values: Matrix

    /// The values of a 1-D array (or of a matrix, in column-major order) as a vector.
    public var vector: Vector { Vector(values.storage) }
}

/// Reading and writing NumPy's `.npy` format (NEP 1, format versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic string `\x93NUMPY`, major and minor version bytes, the header length
/// (little-endian `UInt16` in 1.0, `UInt32` in 2.0/3.0), then a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces to a multiple
/// of 64 bytes and ended by a newline, then the raw data.
///
/// Reading accepts dtypes `f8`, `f4` (widened exactly), `i1` `i2` `i4` `i8` and `u1` `u2` `u4`
/// `u8` (converted exactly; an integer beyond ±2⁵³ throws
/// ``DataError/inexactInteger(path:index:value:)``), little- or big-endian, C or Fortran order,
/// rank 1, 2 or 3. Writing produces float64, C order, format 1.0, which every NumPy reads.
///
/// Complexity: O(number of elements).
public enum NPY {
    /// Reads the `.npy` file at `path`.
    public static func read(_ path: String) throws(DataError) -> NPYArray {
        try decode(FileIO.readBytes(path), source: path)
    }

    /// Writes `matrix` to `path` as a 2-D float64 C-order array (format 1.0).
    public static func write(_ matrix: Matrix, to path: String) throws(DataError) {
        try FileIO.writeBytes(encode(matrix), to: path)
    }

    /// Writes `vector` to `path` as a 1-D float64 array (format 1.0).
    public static func write(_ vector: Vector, to path: String) throws(DataError) {
        try FileIO.writeBytes(encode(vector), to: path)
    }

    /// `matrix` as the bytes of a 2-D `<f8` C-order `.npy` file (format 1.0).
    public static func encode(_ matrix: Matrix) -> [UInt8] {
        encode(rowMajor: matrix.rowMajorElements, shape: "(\(matrix.rows), \(matrix.columns))")
    }

    /// `vector` as the bytes of a 1-D `<f8` `.npy` file (format 1.0).
    public static func encode(_ vector: Vector) -> [UInt8] {
        encode(rowMajor: vector.elements, shape: "(\(vector.count),)")
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in error messages.
    public static func decode(_ bytes: [UInt8], source path: String = "<bytes>") throws(DataError) -> NPYArray {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, bytes.starts(with: magic) else {
            throw .malformedNPY(path: path, reason: "missing the \\x93NUMPY magic string (not a .npy file)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .malformedNPY(path: path, reason: "file ends inside the header length") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw .unsupportedNPY(path: path, reason: "format version \(major).\(bytes[7]) (supported: 1.0, 2.0, 3.0)")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else {
            throw .malformedNPY(path: path, reason: "header length \(headerLength) runs past the end of the file")
        }
        let header = String(decoding: bytes[headerStart..<dataStart], as: UTF8.self)
        var parser = HeaderParser(text: Array(header.unicodeScalars), path: path)
        let dict = try parser.parseDict()
        guard case let .string(descr)? = dict["descr"] else {
            if case .other? = dict["descr"] {
                throw .unsupportedNPY(path: path, reason: "structured dtype; save a plain numeric array")
            }
            throw .malformedNPY(path: path, reason: "header has no 'descr' string")
        }
        guard case let .bool(fortranOrder)? = dict["fortran_order"] else {
            throw .malformedNPY(path: path, reason: "header has no 'fortran_order' True/False")
        }
        guard case let .tuple(shape)? = dict["shape"] else {
            throw .malformedNPY(path: path, reason: "header has no 'shape' tuple")
        }
        guard (1...3).contains(shape.count) else {
            throw .unsupportedNPY(path: path, reason: "\(shape.count)-dimensional array; only 1-D, 2-D and 3-D arrays are supported")
        }
        let dtype = try DType(descr, path: path)
        var count = 1
        for n in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw .malformedNPY(path: path, reason: "shape \(shape) is too large") }
            count = p
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw .malformedNPY(path: path, reason: "shape \(shape) is too large") }
        let actual = bytes.count - dataStart
        guard actual >= expected else { throw .truncatedNPY(path: path, expectedBytes: expected, actualBytes: actual) }
        guard actual == expected else {
            throw .malformedNPY(path: path, reason: "\(actual - expected) unexpected bytes after the data")
        }
        var flat = [Double](repeating: 0, count: count)
        for k in 0..<count { flat[k] = try dtype.load(bytes, at: dataStart + k * dtype.size, index: k, path: path) }
        let rows = shape[0]
        let columns = shape.dropFirst().reduce(1, *)
        let values: Matrix
        if shape.count == 3 {
            // Row i holds [i, :, :] in C order; a Fortran-order file has element (i, j, k) at i + a(j + bk).
            let (a, b, c) = (shape[0], shape[1], shape[2])
            var cOrder = flat
            if fortranOrder {
                for i in 0..<a { for j in 0..<b { for k in 0..<c { cOrder[(i * b + j) * c + k] = flat[i + a * (j + b * k)] } } }
            }
            values = Matrix(rows: rows, columns: columns, rowMajor: cOrder)
        } else {
            values = fortranOrder || shape.count == 1
                ? Matrix(rows: rows, columns: columns, columnMajor: flat)
                : Matrix(rows: rows, columns: columns, rowMajor: flat)
        }
        return NPYArray(shape: shape, values: values)
    }

    // MARK: Internals

    static func encode(rowMajor values: [Double], shape: String) -> [UInt8] {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
        // magic(6) + version(2) + length(2) + header + '\n' must be a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = header.utf8.count
        out.append(UInt8(n & 0xFF))
        out.append(UInt8(n >> 8))
        out.append(contentsOf: header.utf8)
        out.reserveCapacity(out.count + 8 * values.count)
        for x in values {
            let bits = x.bitPattern
            for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
        }
        return out
    }

    /// A supported element type: kind (`f`, `i`, `u`), size in bytes, byte order.
    struct DType {
        enum Kind { case float, signed, unsigned }
        let kind: Kind
        let size: Int
        let bigEndian: Bool

        init(_ descr: String, path: String) throws(DataError) {
            let scalars = Array(descr)
            guard scalars.count >= 3, let size = Int(String(scalars[2...])) else {
                throw .unsupportedNPY(path: path, reason: "dtype '\(descr)'")
            }
            switch scalars[0] {
            case "<", "=": bigEndian = false
            case ">": bigEndian = true
            case "|" where size == 1: bigEndian = false
            default: throw .unsupportedNPY(path: path, reason: "dtype '\(descr)' (byte order '\(scalars[0])')")
            }
            switch (scalars[1], size) {
            case ("f", 4), ("f", 8): kind = .float
            case ("i", 1), ("i", 2), ("i", 4), ("i", 8): kind = .signed
            case ("u", 1), ("u", 2), ("u", 4), ("u", 8): kind = .unsigned
            default:
                throw .unsupportedNPY(path: path, reason: "dtype '\(descr)'; supported: f8, f4, i1–i8, u1–u8")
            }
            self.size = size
        }

        /// Element `index` starting at byte `offset`, converted exactly to `Double`.
        func load(_ bytes: [UInt8], at offset: Int, index: Int, path: String) throws(DataError) -> Double {
            var bits: UInt64 = 0
            for b in 0..<size {
                let shift = bigEndian ? 8 * (size - 1 - b) : 8 * b
                bits |= UInt64(bytes[offset + b]) << UInt64(shift)
            }
            let limit: UInt64 = 1 << 53
            switch kind {
            case .float:
                return size == 8 ? Double(bitPattern: bits) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
            case .unsigned:
                guard bits <= limit else { throw .inexactInteger(path: path, index: index, value: Int64(bitPattern: bits)) }
                return Double(bits)
            case .signed:
                // Sign-extend from `size` bytes.
                let unused = UInt64(64 - 8 * size)
                let value = Int64(bitPattern: bits << unused) >> Int64(unused)
                guard value.magnitude <= limit else { throw .inexactInteger(path: path, index: index, value: value) }
                return Double(value)
            }
        }
    }

    /// A value in the header dictionary.
    enum HeaderValue: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
        case other
    }

    /// Parses the Python dict literal of a `.npy` header (strings, True/False, int tuples; lists
    /// and other values are recognised only as `.other`).
    struct HeaderParser {
        let text: [Unicode.Scalar]
        let path: String
        var i = 0

        init(text: [Unicode.Scalar], path: String) {
            self.text = text
            self.path = path
        }

        private func fail(_ what: String) -> DataError {
            .malformedNPY(path: path, reason: "header dictionary: \(what) at character \(i)")
        }

        private mutating func skipSpace() {
            while i < text.count && (text[i] == " " || text[i] == "\n" || text[i] == "\t" || text[i] == "\r") { i += 1 }
        }

        private mutating func expect(_ c: Unicode.Scalar) throws(DataError) {
            skipSpace()
            guard i < text.count && text[i] == c else { throw fail("expected '\(c)'") }
            i += 1
        }

        mutating func parseDict() throws(DataError) -> [String: HeaderValue] {
            try expect("{")
            var dict: [String: HeaderValue] = [:]
            while true {
                skipSpace()
                guard i < text.count else { throw fail("unterminated dictionary") }
                if text[i] == "}" { i += 1; return dict }
                let key = try parseString()
                try expect(":")
                dict[key] = try parseValue()
                skipSpace()
                if i < text.count && text[i] == "," { i += 1 }
            }
        }

        private mutating func parseString() throws(DataError) -> String {
            skipSpace()
            guard i < text.count, text[i] == "'" || text[i] == "\"" else { throw fail("expected a quoted string") }
            let quote = text[i]
            i += 1
            var s = String.UnicodeScalarView()
            while i < text.count && text[i] != quote {
                s.append(text[i])
                i += 1
            }
            guard i < text.count else { throw fail("unterminated string") }
            i += 1
            return String(s)
        }

        private mutating func parseValue() throws(DataError) -> HeaderValue {
            skipSpace()
            guard i < text.count else { throw fail("missing value") }
            switch text[i] {
            case "'", "\"":
                return .string(try parseString())
            case "(":
                i += 1
                var items: [Int] = []
                while true {
                    skipSpace()
                    guard i < text.count else { throw fail("unterminated tuple") }
                    if text[i] == ")" { i += 1; return .tuple(items) }
                    var digits = ""
                    while i < text.count, text[i].properties.numericType != nil || text[i] == "L" {
                        if text[i] != "L" { digits.unicodeScalars.append(text[i]) }
                        i += 1
                    }
                    guard let n = Int(digits), n >= 0 else { throw fail("expected a non-negative integer in shape") }
                    items.append(n)
                    skipSpace()
                    if i < text.count && text[i] == "," { i += 1 }
                }
            case "[", "{":
                // Structured dtype descriptions: skip the balanced bracket expression.
                var depth = 0
                repeat {
                    if text[i] == "[" || text[i] == "{" || text[i] == "(" { depth += 1 }
                    if text[i] == "]" || text[i] == "}" || text[i] == ")" { depth -= 1 }
                    i += 1
                } while i < text.count && depth > 0
                guard depth == 0 else { throw fail("unbalanced brackets") }
                return .other
            default:
                var word = ""
                while i < text.count, text[i].properties.isAlphabetic || text[i].properties.numericType != nil {
                    word.unicodeScalars.append(text[i])
                    i += 1
                }
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "": throw fail("unexpected character '\(text[i])'")
                default: return .other
                }
            }
        }
    }
}
