// Tests of the data layer: CSV and .npy reading/writing, typed errors, and the bundled datasets.
import Foundation
import KernelKitCore
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// The repository's datasets/ folder, located from this source file (Tests/KernelKitCoreTests/).
private let datasetsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("datasets").path

/// A fresh path in the temporary directory with the given extension.
private func temporaryPath(_ ext: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("kk-data-\(UUID().uuidString).\(ext)").path
}

/// The error thrown by `body`, or nil when it does not throw.
private func thrownError(_ body: () throws(DataError) -> Dataset) -> DataError? {
    do { _ = try body(); return nil } catch { return error }
}

private func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

@Suite("CSV reading")
struct CSVReadingTests {
    @Test func headerAndTargetByName() throws {
        let text = "age,bmi,y\n1,2.5,10\n3,-4e-2,20\n"
        let d = try CSV.parse(text, source: "t.csv", options: DataReadOptions(target: "y"))
        #expect(d.featureNames == ["age", "bmi"])
        #expect(d.targetName == "y")
        #expect(d.features == Matrix([[1, 2.5], [3, -0.04]]))
        #expect(d.target == Vector([10, 20]))
        #expect(d.droppedLines.isEmpty)
    }

    @Test func headerlessIsDetectedAndNegativeIndexCountsFromTheEnd() throws {
        let d = try CSV.parse("1,2,3\n4,5,6\n", options: DataReadOptions(target: -1))
        #expect(d.count == 2 && d.dimension == 2)
        #expect(d.featureNames == ["x0", "x1"])
        #expect(d.targetName == "target")
        #expect(d.features == Matrix([[1, 2], [4, 5]]))
        #expect(d.target == Vector([3, 6]))
        let first = try CSV.parse("1,2,3\n4,5,6\n", options: DataReadOptions(target: 0))
        #expect(first.target == Vector([1, 4]))
        #expect(first.features == Matrix([[2, 3], [5, 6]]))
    }

    @Test func featureSelectionSkipsTextColumns() throws {
        let text = "date,t,v\n2001-01-06,2001.01,5\n2001-01-13,2001.03,6\n"
        let d = try CSV.parse(text, options: DataReadOptions(target: "v", features: ["t"]))
        #expect(d.featureNames == ["t"])
        #expect(d.features.storage == [2001.01, 2001.03])
    }

    @Test func quotedFieldsCRLFBOMAndBlankLines() throws {
        let text = "\u{FEFF}\"a, first\",\"say \"\"b\"\"\",c\r\n 1 ,\"2\",3\r\n\r\n4,5,\"6\"\r\n\r\n\n"
        let d = try CSV.parse(text)
        #expect(d.featureNames == ["a, first", "say \"b\"", "c"])
        #expect(d.features == Matrix([[1, 2, 3], [4, 5, 6]]))
    }

    @Test func quotedNewlineKeepsLineNumbersRight() {
        let text = "\"multi\nline\",b\n1,2\n3,x\n"
        let e = thrownError { () throws(DataError) in try CSV.parse(text, source: "q.csv") }
        #expect(e == .nonNumeric(path: "q.csv", line: 4, column: 2, columnName: "b", value: "x"))
    }

    @Test func semicolonAndTabSeparatorsAreDetected() throws {
        let semi = try CSV.parse("a;b\n1;2\n")
        #expect(semi.featureNames == ["a", "b"] && semi.features == Matrix([[1, 2]]))
        let tab = try CSV.parse("a\tb\n1\t2\n")
        #expect(tab.featureNames == ["a", "b"] && tab.features == Matrix([[1, 2]]))
        let forced = try CSV.parse("a;b,c\n1;2\n", options: DataReadOptions(separator: ";"))
        #expect(forced.featureNames == ["a", "b,c"])
    }

    @Test func explicitHeaderModes() throws {
        let absent = try CSV.parse("1,2\n3,4\n", options: DataReadOptions(header: .absent))
        #expect(absent.count == 2)
        let present = try CSV.parse("1,2\n3,4\n", options: DataReadOptions(header: .present))
        #expect(present.count == 1 && present.featureNames == ["1", "2"])
    }

    @Test func numberSyntax() throws {
        let d = try CSV.parse("1e-3,-.5,+7,-Inf\n", options: DataReadOptions(header: .absent, allowNonFinite: true))
        #expect(d.features.storage == [0.001, -0.5, 7, -.infinity])
        for bad in ["0x10", "1e", "abc", "1 2"] {
            let e = thrownError { () throws(DataError) in try CSV.parse("1,\(bad)\n", options: DataReadOptions(header: .absent)) }
            #expect(e == .nonNumeric(path: "<string>", line: 1, column: 2, columnName: nil, value: bad), "\(bad)")
        }
    }
}

@Suite("CSV errors")
struct CSVErrorTests {
    @Test func nonNumericNamesFileLineAndColumn() {
        let text = "age,bmi,y\n1,2,3\n4,abc,6\n"
        let e = thrownError { () throws(DataError) in try CSV.parse(text, source: "d.csv", options: DataReadOptions(target: "y")) }
        #expect(e == .nonNumeric(path: "d.csv", line: 3, column: 2, columnName: "bmi", value: "abc"))
        #expect(e?.description == "d.csv:3: non-numeric value 'abc' in column \"bmi\" (column 2)")
    }

    @Test func wrongFieldCount() {
        let text = "a,b,c\n1,2,3\n\n1,2\n"
        let e = thrownError { () throws(DataError) in try CSV.parse(text, source: "f.csv") }
        #expect(e == .wrongFieldCount(path: "f.csv", line: 4, found: 2, expected: 3))
        #expect(e?.description == "f.csv:4: wrong number of fields: 2, expected 3")
    }

    @Test func missingValuesAreErrorsByDefaultAndDroppedOnRequest() throws {
        let text = "x,y\n1,2\n2,NA\n3,\n4,nan\n5,6\n,7\n"
        let e = thrownError { () throws(DataError) in try CSV.parse(text, source: "m.csv", options: DataReadOptions(target: "y")) }
        #expect(e == .missingValue(path: "m.csv", line: 3, column: 2, columnName: "y", value: "NA"))
        #expect(e?.description.contains("m.csv:3") == true)
        let d = try CSV.parse(text, options: DataReadOptions(target: "y", missingValues: .dropRows))
        #expect(d.features.storage == [1, 5])
        #expect(d.target == Vector([2, 6]))
        #expect(d.droppedLines == [3, 4, 5, 7])
        // A missing value in an unselected column does not matter.
        let only = try CSV.parse(text, options: DataReadOptions(features: ["x"], missingValues: .dropRows))
        #expect(only.droppedLines == [7] && only.count == 5)
    }

    @Test func nonFiniteValues() throws {
        let text = "x\n1\ninf\n"
        let e = thrownError { () throws(DataError) in try CSV.parse(text, source: "n.csv") }
        #expect(e == .nonFinite(path: "n.csv", line: 3, column: 1, columnName: "x", value: "inf"))
        let d = try CSV.parse(text, options: DataReadOptions(allowNonFinite: true))
        #expect(d.features.storage == [1, .infinity])
    }

    @Test func unknownTargetListsColumns() {
        let e = thrownError { () throws(DataError) in try CSV.parse("a,b\n1,2\n", source: "u.csv", options: DataReadOptions(target: "c")) }
        #expect(e == .unknownColumn(path: "u.csv", name: "c", available: ["a", "b"]))
        #expect(e?.description == "u.csv: no column named \"c\"; available columns: \"a\", \"b\"")
    }

    @Test func columnSelectionErrors() {
        let s = "<string>"
        #expect(thrownError { () throws(DataError) in try CSV.parse("1,2\n", options: DataReadOptions(target: 2)) }
            == .columnIndexOutOfRange(path: s, index: 2, count: 2))
        #expect(thrownError { () throws(DataError) in try CSV.parse("1,2\n", options: DataReadOptions(target: -3)) }
            == .columnIndexOutOfRange(path: s, index: -3, count: 2))
        #expect(thrownError { () throws(DataError) in try CSV.parse("1,2\n", options: DataReadOptions(target: "y")) }
            == .noHeader(path: s, name: "y"))
        #expect(thrownError { () throws(DataError) in try CSV.parse("a,b\n1,2\n", options: DataReadOptions(target: "a", features: ["a"])) }
            == .duplicateColumn(path: s, column: "\"a\""))
    }

    @Test func emptyAndHeaderOnlyFiles() {
        #expect(thrownError { () throws(DataError) in try CSV.parse("", source: "e.csv") } == .emptyFile(path: "e.csv"))
        #expect(thrownError { () throws(DataError) in try CSV.parse("\n \r\n\n", source: "e.csv") } == .emptyFile(path: "e.csv"))
        #expect(thrownError { () throws(DataError) in try CSV.parse("a,b\n", source: "h.csv") }
            == .noDataRows(path: "h.csv", reason: "only a header row"))
        #expect(thrownError { () throws(DataError) in try CSV.parse("a\nNA\n", source: "h.csv", options: DataReadOptions(missingValues: .dropRows)) }
            == .noDataRows(path: "h.csv", reason: "all 1 rows have missing values and were dropped"))
    }

    @Test func unterminatedQuote() {
        #expect(thrownError { () throws(DataError) in try CSV.parse("a,b\n1,\"2\n3,4\n", source: "q.csv") }
            == .unterminatedQuote(path: "q.csv", line: 2))
    }
}

@Suite("CSV writing")
struct CSVWritingTests {
    @Test func formatAndQuoting() {
        let m = Matrix([[1, 0.1, -2.5e-300], [.nan, .infinity, 1e16]])
        let s = CSV.string(m, columnNames: ["a", "b,c", "say \"x\""])
        #expect(s == "a,\"b,c\",\"say \"\"x\"\"\"\n1,0.1,-2.5e-300\nnan,inf,1e+16\n")
    }

    /// Round trip is exact (shortest round-trip formatting), tolerance 0.
    @Test func roundTripIsExact() async {
        await propertyCheck(input: Gen.double(in: -1e300...1e300).array(of: 1...12),
                            Gen.double(in: -1e-300...1e-300).array(of: 1...12)) { big, tiny in
            let n = min(big.count, tiny.count)
            let m = Matrix(rows: n, columns: 2, columnMajor: Array(big.prefix(n)) + Array(tiny.prefix(n)))
            let back = try? CSV.parse(CSV.string(m, columnNames: ["big", "tiny"]))
            #expect(back?.features == m)
        }
        let extremes: [Double] = [.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 0.1, 1.0 / 3, -0.0]
        let m = Matrix(rows: extremes.count, columns: 1, columnMajor: extremes)
        let back = try? CSV.parse(CSV.string(m), options: DataReadOptions(header: .absent))
        #expect(back?.features.storage.map(\.bitPattern) == extremes.map(\.bitPattern))
    }

    @Test func datasetFileRoundTrip() throws {
        let d = Dataset(features: Matrix([[1, 2], [3, 4.5]]), target: Vector([0.25, -1]),
                        featureNames: ["p", "q"], targetName: "y")
        let path = temporaryPath("csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try d.save(to: path)
        let back = try Dataset.load(path, options: DataReadOptions(target: "y"))
        #expect(back == d)
        // A .tsv file is read with the tab separator (detection alone would pick the comma here).
        let tsv = temporaryPath("tsv")
        defer { try? FileManager.default.removeItem(atPath: tsv) }
        try Data("p,q\ty\n1.5\t2\n".utf8).write(to: URL(fileURLWithPath: tsv))
        let fromTSV = try Dataset.load(tsv, options: DataReadOptions(target: "y", header: .present))
        #expect(fromTSV.featureNames == ["p,q"] && fromTSV.features.storage == [1.5] && fromTSV.target == Vector([2]))
    }
}

@Suite("NumPy .npy")
struct NPYTests {
    // Files written by NumPy 2.4.6 (numpy.lib.format.write_array) for the arrays named.
    /// [[1.5, -2, 3.25], [4, 5e-300, -6.125]] as '<f8', C order, v1.0.
    static let cOrder = "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f83f00000000000000c00000000000000a4000000000000010402f30b7b3a7c9ca0100000000008018c0"
    /// The same array in Fortran order.
    static let fortranOrder = "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f83f000000000000104000000000000000c02f30b7b3a7c9ca010000000000000a4000000000008018c0"
    /// [0.1, 2.5, -3] as '<f4', format 2.0.
    static let version2Float32 = "934e554d50590200740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200acdcccc3d00002040000040c0"
    /// [-3, 0, 2^53] as '<i8'.
    static let int64 = "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200afdffffffffffffff00000000000000000000000000002000"
    /// [[1, -2], [3, -4]] as '<i4'.
    static let int32 = "934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000000feffffff03000000fcffffff"
    /// [1, -0.5] as '>f8' (big-endian).
    static let bigEndian = "934e554d5059010076007b276465736372273a20273e6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3ff0000000000000bfe0000000000000"

    static let expected = Matrix([[1.5, -2, 3.25], [4, 5e-300, -6.125]])

    @Test func readsNumPyFiles() throws {
        let c = try NPY.decode(bytes(hex: Self.cOrder))
        #expect(c.shape == [2, 3] && c.values == Self.expected)
        let f = try NPY.decode(bytes(hex: Self.fortranOrder))
        #expect(f.shape == [2, 3] && f.values == Self.expected)
        let v2 = try NPY.decode(bytes(hex: Self.version2Float32))
        // float32 0.1 widens exactly to 0.10000000149011612 (NumPy: float(np.float32(0.1))).
        #expect(v2.shape == [3] && v2.vector == Vector([0.10000000149011612, 2.5, -3]))
        #expect(try NPY.decode(bytes(hex: Self.int64)).vector == Vector([-3, 0, 9_007_199_254_740_992]))
        #expect(try NPY.decode(bytes(hex: Self.int32)).values == Matrix([[1, -2], [3, -4]]))
        #expect(try NPY.decode(bytes(hex: Self.bigEndian)).vector == Vector([1, -0.5]))
        // Format 3.0 differs from 2.0 only in allowing UTF-8 in the header.
        var v3 = bytes(hex: Self.version2Float32)
        v3[6] = 3
        #expect(try NPY.decode(v3) == v2)
    }

    @Test func writesExactlyWhatNumPyWrites() {
        #expect(NPY.encode(Self.expected) == bytes(hex: Self.cOrder))
        let v = NPY.encode(Vector([1, -0.5]))
        #expect(v.count % 64 == 16 && v[6] == 1 && v[7] == 0)  // 64-byte header + 16 data bytes
        #expect(v.count == 128 + 16)
    }

    @Test func roundTripIsExact() async {
        await propertyCheck(input: Gen.int(in: 1...6), Gen.double(in: -1e307...1e307).array(of: 1...30)) { c, xs in
            let r = xs.count / c
            guard r > 0 else { return }
            let m = Matrix(rows: r, columns: c, columnMajor: Array(xs.prefix(r * c)))
            #expect((try? NPY.decode(NPY.encode(m)))?.values == m)
        }
    }

    private func decodeError(_ b: [UInt8]) -> DataError? {
        do { _ = try NPY.decode(b, source: "a.npy"); return nil } catch { return error }
    }

    /// A v1.0 file with the given header dictionary and data bytes.
    private func file(_ dict: String, data: [UInt8]) -> [UInt8] {
        var h = Array(dict.utf8) + [0x0A]
        h = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h
        return h + data
    }

    /// A (2, 3, 4) array holding x[i, j, k] = 100i + 10j + k, written in C order and in Fortran order
    /// (element (i, j, k) at i + 2(j + 3k)): both decode to the 2 × 12 matrix whose row i is x[i] in C order.
    @Test func threeDimensionalArrays() throws {
        func value(_ i: Int, _ j: Int, _ k: Int) -> Double { Double(100 * i + 10 * j + k) }
        func encode(_ values: [Double]) -> [UInt8] {
            values.flatMap { x in (0..<8).map { UInt8(truncatingIfNeeded: x.bitPattern >> (8 * UInt64($0))) } }
        }
        var cOrder: [Double] = [], fortranOrder = [Double](repeating: 0, count: 24)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { cOrder.append(value(i, j, k)); fortranOrder[i + 2 * (j + 3 * k)] = value(i, j, k) } } }
        for (order, flat) in [("False", cOrder), ("True", fortranOrder)] {
            let array = try NPY.decode(file("{'descr': '<f8', 'fortran_order': \(order), 'shape': (2, 3, 4), }", data: encode(flat)), source: "a.npy")
            #expect(array.shape == [2, 3, 4] && array.values.rows == 2 && array.values.columns == 12)
            #expect(array.values.rowMajorElements == cOrder, "fortran_order \(order)")
        }
    }

    @Test func malformedAndUnsupportedFiles() {
        let ok = bytes(hex: Self.cOrder)
        #expect(decodeError(Array("a,b\n1,2\n".utf8))
            == .malformedNPY(path: "a.npy", reason: "missing the \\x93NUMPY magic string (not a .npy file)"))
        #expect(decodeError(Array(ok.dropLast(5))) == .truncatedNPY(path: "a.npy", expectedBytes: 48, actualBytes: 43))
        #expect(decodeError(ok + [0]) == .malformedNPY(path: "a.npy", reason: "1 unexpected bytes after the data"))
        var v4 = ok
        v4[6] = 4
        #expect(decodeError(v4) == .unsupportedNPY(path: "a.npy", reason: "format version 4.0 (supported: 1.0, 2.0, 3.0)"))
        let complex = file("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 16))
        #expect(decodeError(complex) == .unsupportedNPY(path: "a.npy", reason: "dtype '<c16'; supported: f8, f4, i1–i8, u1–u8"))
        let tesseract = file("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", data: Array(repeating: 0, count: 8))
        #expect(decodeError(tesseract) == .unsupportedNPY(path: "a.npy", reason: "4-dimensional array; only 1-D, 2-D and 3-D arrays are supported"))
        let noShape = file("{'descr': '<f8', 'fortran_order': False, }", data: [])
        #expect(decodeError(noShape) == .malformedNPY(path: "a.npy", reason: "header has no 'shape' tuple"))
        let broken = file("{'descr': '<f8', 'fortran_order': False, 'shape': (2, ", data: [])
        if case .malformedNPY? = decodeError(broken) {} else { Issue.record("unterminated header accepted") }
        let structured = file("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8))
        #expect(decodeError(structured) == .unsupportedNPY(path: "a.npy", reason: "structured dtype; save a plain numeric array"))
        // 2^53 + 1 has no exact Double.
        let big = file("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", data: [1, 0, 0, 0, 0, 0, 0x20, 0])
        #expect(decodeError(big) == .inexactInteger(path: "a.npy", index: 0, value: 9_007_199_254_740_993))
    }

    @Test func datasetFromNPYFile() throws {
        let path = temporaryPath("npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let d = Dataset(features: Matrix([[1, 2], [3, 4]]), target: Vector([5, 6]))
        try d.save(to: path)
        #expect(try NPY.read(path).values == Matrix([[1, 2, 5], [3, 4, 6]]))
        let back = try Dataset.load(path, options: DataReadOptions(target: -1))
        #expect(back.features == d.features && back.target == d.target)
    }

    @Test func loadErrors() {
        let missing = "/nonexistent/folder/x.csv"
        #expect(thrownError { () throws(DataError) in try Dataset.load(missing) } == .fileNotFound(path: missing))
        #expect(thrownError { () throws(DataError) in try Dataset.load("/nonexistent/x.npy") } == .fileNotFound(path: "/nonexistent/x.npy"))
        let readme = datasetsFolder + "/README.md"
        #expect(thrownError { () throws(DataError) in try Dataset.load(readme) } == .unknownExtension(path: readme, extension: "md"))
        #expect(DataError.unknownExtension(path: "f", extension: "").description == "f: unknown file type (no extension); KernelKit reads .csv, .tsv and .npy and writes .csv and .npy")
    }
}

@Suite("Bundled datasets")
struct BundledDatasetTests {
    private func load(_ name: String, _ options: DataReadOptions = DataReadOptions(target: "target")) throws -> Dataset {
        try Dataset.load(datasetsFolder + "/" + name, options: options)
    }

    @Test func shapesMatchTheREADME() throws {
        let shapes: [(String, Int, Int)] = [
            ("diabetes.csv", 442, 10), ("diabetes_raw.csv", 442, 10), ("iris.csv", 150, 4),
            ("wine.csv", 178, 13), ("breast_cancer.csv", 569, 30), ("digits.csv", 1797, 64),
        ]
        for (name, n, d) in shapes {
            let data = try load(name)
            #expect(data.count == n && data.dimension == d, "\(name): \(data.count)×\(data.dimension)")
            #expect(data.features.isFinite && data.target?.isFinite == true, "\(name)")
        }
    }

    @Test func diabetesValues() throws {
        let d = try load("diabetes.csv")
        #expect(d.featureNames == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"])
        #expect(d.features[0, 0] == 0.038075906433423026)  // sklearn load_diabetes().data[0, 0]
        #expect(d.features[0, 2] == 0.061696206518683294)
        #expect(d.target?[0] == 151)
        // Documented scaling: every column has mean 0 and unit sum of squares (float64 rounding of
        // 442 products, so 1e-13 absolute).
        for j in 0..<d.dimension {
            let col = d.features.column(j).elements
            expectClose(col.reduce(0, +), 0, rtol: 0, atol: 1e-13, "mean of column \(j)")
            expectClose(col.reduce(0) { $0 + $1 * $1 }, 1, rtol: 1e-13, "sum of squares of column \(j)")
        }
        let raw = try load("diabetes_raw.csv")
        #expect(raw.features.row(0) == Vector([59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87]))
        #expect(raw.target == d.target)
    }

    @Test func classificationSets() throws {
        let iris = try load("iris.csv")
        #expect(iris.features.row(0) == Vector([5.1, 3.5, 1.4, 0.2]))
        for c in 0..<3 { #expect(iris.target!.filter { $0 == Double(c) }.count == 50) }
        let digits = try load("digits.csv")
        #expect(digits.features.storage.allSatisfy { $0 >= 0 && $0 <= 16 && $0.rounded() == $0 })
        #expect(Set(digits.target!.elements) == Set((0...9).map(Double.init)))
        let cancer = try load("breast_cancer.csv")
        #expect(cancer.featureNames.first == "mean radius" && cancer.featureNames.last == "worst fractal dimension")
        #expect(cancer.target!.filter { $0 == 0 }.count == 212)  // 212 malignant, 357 benign
        let wine = try load("wine.csv")
        #expect(wine.features[0, 12] == 1065)
    }

    @Test func co2Weekly() throws {
        let path = datasetsFolder + "/co2.csv"
        let e = thrownError { () throws(DataError) in
            try Dataset.load(path, options: DataReadOptions(target: "co2", features: ["time"]))
        }
        // First missing week is 1958-05-10, the 7th data row (line 8).
        #expect(e == .missingValue(path: path, line: 8, column: 3, columnName: "co2", value: ""))
        let d = try Dataset.load(path, options: DataReadOptions(target: "co2", features: ["time"], missingValues: .dropRows))
        #expect(d.count == 2225 && d.droppedLines.count == 59)
        #expect(d.count + d.droppedLines.count == 2284)
        #expect(d.features[0, 0] == 1958.239726 && d.target?[0] == 316.1)
        #expect(d.target?.elements.last == 371.5)
        let monthly = try Dataset.load(datasetsFolder + "/co2_monthly.csv", options: DataReadOptions(target: "co2"))
        #expect(monthly.count == 521)
        #expect(monthly.features[0, 0] == 1958.208333 && monthly.target?[0] == 316.1)
    }
}
