import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A dense, column-major matrix of `Double`.
///
/// Element `(i, j)` is stored at `storage[i + j * rows]`, the layout BLAS and LAPACK expect, so
/// matrices are handed to them without copies or transposes. Value semantics (copy on write) come
/// from the underlying array.
///
/// Complexity: construction O(rows·columns); subscripting O(1).
public struct Matrix: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Elements in column-major order. Mutate elements freely; the count must stay `rows * columns`.
    public var storage: [Double]

    /// A `rows × columns` matrix with every element equal to `value`.
    ///
    /// Matrices of 4 MiB and more ask the kernel for transparent huge pages before their memory is
    /// first touched: an n × n kernel matrix otherwise costs n²/512 page faults (measured: 15% of
    /// the NNGP+NTK computation at n = 4000).
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        let count = rows * columns
        guard count >= (1 << 19) else {
            self.storage = Array(repeating: value, count: count)
            return
        }
        self.storage = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: value)
            initialized = count
        }
    }

    /// A matrix from elements already in column-major order.
    public init(rows: Int, columns: Int, columnMajor elements: [Double]) {
        precondition(rows >= 0 && columns >= 0 && elements.count == rows * columns,
                     "Matrix(rows:columns:columnMajor:) needs rows*columns elements")
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix from elements in row-major (C, NumPy default) order. O(rows·columns) transpose copy.
    public init(rows: Int, columns: Int, rowMajor elements: [Double]) {
        precondition(rows >= 0 && columns >= 0 && elements.count == rows * columns,
                     "Matrix(rows:columns:rowMajor:) needs rows*columns elements")
        self.rows = rows
        self.columns = columns
        var s = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns { s[i + j * rows] = elements[i * columns + j] }
        }
        self.storage = s
    }

    /// A matrix from an array of rows, e.g. `Matrix([[1, 2], [3, 4]])`. All rows must have equal length.
    public init(_ rowArrays: [[Double]]) {
        let r = rowArrays.count
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix([[Double]]) needs rows of equal length")
        self.init(rows: r, columns: c, rowMajor: rowArrays.flatMap { $0 })
    }

    /// A matrix whose `(i, j)` element is `f(i, j)`.
    public init(rows: Int, columns: Int, _ f: (Int, Int) -> Double) {
        self.init(rows: rows, columns: columns)
        for j in 0..<columns {
            for i in 0..<rows { storage[i + j * rows] = f(i, j) }
        }
    }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i + i * n] = 1 }
        return m
    }

    /// A square matrix with `d` on its diagonal.
    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(rows: d.count, columns: d.count)
        for i in d.indices { m.storage[i + i * d.count] = d[i] }
        return m
    }

    /// Element at row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// True when `rows == columns`.
    public var isSquare: Bool { rows == columns }

    /// The transpose `Aᵀ`. O(rows·columns).
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { t.storage[j + i * columns] = storage[i + j * rows] }
        }
        return t
    }

    /// Column `j` as a vector (a copy).
    public func column(_ j: Int) -> Vector {
        Vector(Array(storage[(j * rows)..<((j + 1) * rows)]))
    }

    /// Row `i` as a vector (a strided copy).
    public func row(_ i: Int) -> Vector {
        Vector((0..<columns).map { storage[i + $0 * rows] })
    }

    /// Replace column `j` with `v` (`v.count == rows`).
    public mutating func setColumn(_ j: Int, to v: Vector) {
        precondition(v.count == rows, "setColumn: length mismatch")
        storage.replaceSubrange((j * rows)..<((j + 1) * rows), with: v.elements)
    }

    /// The main diagonal.
    public var diagonal: Vector {
        Vector((0..<Swift.min(rows, columns)).map { storage[$0 + $0 * rows] })
    }

    /// Sum of the diagonal.
    public var trace: Double { diagonal.elements.reduce(0, +) }

    /// Elements in row-major order (for writing C-ordered files). O(rows·columns).
    public var rowMajorElements: [Double] { transposed.storage }

    /// Rows `r` and all columns, as a new matrix.
    public func rows(_ r: Range<Int>) -> Matrix {
        Matrix(rows: r.count, columns: columns) { i, j in self[r.lowerBound + i, j] }
    }

    /// Rows selected by index, as a new matrix.
    public func rows(_ indices: [Int]) -> Matrix {
        Matrix(rows: indices.count, columns: columns) { i, j in self[indices[i], j] }
    }

    /// Columns `c` as a new matrix (one contiguous copy).
    public func columns(_ c: Range<Int>) -> Matrix {
        Matrix(rows: rows, columns: c.count,
               columnMajor: Array(storage[(c.lowerBound * rows)..<(c.upperBound * rows)]))
    }

    /// Apply `f` to every element.
    public func map(_ f: (Double) throws -> Double) rethrows -> Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: try storage.map(f))
    }

    /// True when every element is finite (no NaN or ±∞).
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// Largest absolute element (0 for an empty matrix).
    public var maxAbs: Double { storage.reduce(0) { Swift.max($0, abs($1)) } }

    /// Squared Euclidean norms of the rows, Σⱼ aᵢⱼ², and sums of the columns, Σᵢ aᵢⱼ, in ONE pass
    /// over the column-major storage (each element is read once: for a matrix larger than the caches
    /// this halves the memory traffic of a norm pass followed by a dgemv with a vector of ones).
    /// O(rows·columns). Column sums are accumulated in four interleaved partial sums (vectorisable);
    /// their rounding error is of the same order as dgemv's. Non-finite entries propagate.
    public func rowSquaredNormsAndColumnSums() -> (rowSquaredNorms: [Double], columnSums: [Double]) {
        var squares = [Double](repeating: 0, count: rows)
        var sums = [Double](repeating: 0, count: columns)
        let n = rows
        storage.withUnsafeBufferPointer { a in
            squares.withUnsafeMutableBufferPointer { sq in
                for j in 0..<columns {
                    let column = a.baseAddress! + j * n
                    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                    var i = 0
                    while i + 4 <= n {
                        let x0 = column[i], x1 = column[i + 1], x2 = column[i + 2], x3 = column[i + 3]
                        sq[i] += x0 * x0; sq[i + 1] += x1 * x1; sq[i + 2] += x2 * x2; sq[i + 3] += x3 * x3
                        s0 += x0; s1 += x1; s2 += x2; s3 += x3
                        i += 4
                    }
                    while i < n {
                        let x = column[i]
                        sq[i] += x * x
                        s0 += x
                        i += 1
                    }
                    sums[j] = (s0 + s1) + (s2 + s3)
                }
            }
        }
        return (squares, sums)
    }

    /// Copy the lower triangle onto the upper one (after a routine that fills only one triangle).
    /// Blocked in 64 × 64 tiles so both the strided reads and the writes stay in cache. O(n²).
    public mutating func symmetrizeFromLower() {
        precondition(isSquare)
        let n = rows, b = 64
        storage.withUnsafeMutableBufferPointer { a in
            for j0 in stride(from: 0, to: n, by: b) {
                for i0 in stride(from: j0, to: n, by: b) {
                    for j in j0..<Swift.min(j0 + b, n) {
                        for i in Swift.max(i0, j + 1)..<Swift.max(Swift.max(i0, j + 1), Swift.min(i0 + b, n)) {
                            a[j + i * n] = a[i + j * n]
                        }
                    }
                }
            }
        }
    }

    /// Replace A by its symmetric part (A + Aᵀ)/2: for a matrix that is symmetric in exact arithmetic
    /// but was formed by products that round differently in the two triangles. O(n²).
    public mutating func symmetrizeByAveraging() {
        precondition(isSquare)
        let n = rows
        storage.withUnsafeMutableBufferPointer { a in
            for j in 0..<n {
                for i in 0..<j {
                    let mean = 0.5 * (a[i + j * n] + a[j + i * n])
                    a[i + j * n] = mean
                    a[j + i * n] = mean
                }
            }
        }
    }

    /// Copy the upper triangle onto the lower one. O(n²).
    public mutating func symmetrizeFromUpper() {
        precondition(isSquare)
        let n = rows
        storage.withUnsafeMutableBufferPointer { a in
            for j in 0..<n {
                for i in (j + 1)..<Swift.max(j + 1, n) { a[i + j * n] = a[j + i * n] }
            }
        }
    }

    /// The block `A[rows, columns]` in column-major order, written into `block` (resized to fit):
    /// one contiguous copy per column. O(|rows|·|columns|).
    public func copyBlock(rows r: Range<Int>, columns c: Range<Int>, into block: inout [Double]) {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns)
        let m = r.count
        if block.count != m * c.count { block = [Double](repeating: 0, count: m * c.count) }
        let ld = rows
        storage.withUnsafeBufferPointer { a in
            block.withUnsafeMutableBufferPointer { out in
                for (jj, j) in c.enumerated() {
                    (out.baseAddress! + jj * m).update(from: a.baseAddress! + r.lowerBound + j * ld, count: m)
                }
            }
        }
    }

    /// Writes a column-major `block` into `A[rows, columns]`; with `mirrored`, also writes its
    /// transpose into `A[columns, rows]` (filling both triangles of a symmetric result from one block).
    /// O(|rows|·|columns|).
    public mutating func setBlock(rows r: Range<Int>, columns c: Range<Int>, from block: [Double], mirrored: Bool = false) {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns)
        let m = r.count
        precondition(block.count == m * c.count, "setBlock: block has \(block.count) elements, expected \(m * c.count)")
        precondition(!mirrored || (c.upperBound <= rows && r.upperBound <= columns))
        let ld = rows
        storage.withUnsafeMutableBufferPointer { a in
            block.withUnsafeBufferPointer { src in
                for (jj, j) in c.enumerated() {
                    (a.baseAddress! + r.lowerBound + j * ld).update(from: src.baseAddress! + jj * m, count: m)
                }
                guard mirrored else { return }
                for (ii, i) in r.enumerated() {
                    for (jj, j) in c.enumerated() { a[j + i * ld] = src[ii + jj * m] }
                }
            }
        }
    }

    public var description: String {
        var s = "Matrix \(rows)×\(columns)\n"
        for i in 0..<Swift.min(rows, 8) {
            let r = (0..<Swift.min(columns, 8)).map { String(format6(self[i, $0])) }
            s += "  [" + r.joined(separator: ", ") + (columns > 8 ? ", …" : "") + "]\n"
        }
        if rows > 8 { s += "  …\n" }
        return s
    }

    // MARK: Pointer access (this module only)

    @inlinable
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    @inlinable
    mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}

/// Marks the 2 MiB-aligned interior of `buffer` for transparent huge pages (Linux `madvise`;
/// a no-op elsewhere or when the kernel declines).
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    guard let base = buffer.baseAddress else { return }
    let huge = 2 << 20
    let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
    guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(pointer, end - start, MADV_HUGEPAGE)
    #endif
}

/// Short human formatting used in `description`s (not for data output, which uses %.17g).
func format6(_ x: Double) -> String {
    if x == 0 { return "0" }
    let a = abs(x)
    if a >= 1e-3 && a < 1e6 {
        var s = String(x)
        if s.count > 10 { s = String(s.prefix(10)) }
        return s
    }
    return String(describing: x)
}

// MARK: Elementwise arithmetic (Matrix is our own type, so operators are unambiguous)

extension Matrix {
    /// Elementwise sum. Shapes must match.
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "Matrix +: shape mismatch")
        var c = a
        for k in c.storage.indices { c.storage[k] += b.storage[k] }
        return c
    }

    /// Elementwise difference. Shapes must match.
    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "Matrix -: shape mismatch")
        var c = a
        for k in c.storage.indices { c.storage[k] -= b.storage[k] }
        return c
    }

    /// Scalar multiple.
    public static func * (s: Double, a: Matrix) -> Matrix { a.map { s * $0 } }

    /// Add `s` to every diagonal element in place (`A + sI`).
    public mutating func addToDiagonal(_ s: Double) {
        let n = Swift.min(rows, columns)
        for i in 0..<n { storage[i + i * rows] += s }
    }

    /// Add `d[i]` to diagonal element `i` in place (`A + diag(d)`).
    public mutating func addToDiagonal(_ d: [Double]) {
        precondition(d.count == Swift.min(rows, columns))
        for i in d.indices { storage[i + i * rows] += d[i] }
    }

    /// Hadamard (elementwise) product `A ∘ B`.
    public func hadamard(_ b: Matrix) -> Matrix {
        precondition(rows == b.rows && columns == b.columns, "hadamard: shape mismatch")
        var c = self
        for k in c.storage.indices { c.storage[k] *= b.storage[k] }
        return c
    }
}

// MARK: Concurrent block access

/// Shared access to one matrix's storage from several threads that read and write *disjoint*
/// blocks (tiled kernel computations). Obtain it with `Matrix.withConcurrentBlocks`; it must not
/// escape that call. Thread safety is the caller's contract: no two concurrent calls may touch the
/// same element when one of them writes.
public struct ConcurrentBlocks: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>?
    /// Dimensions of the underlying matrix.
    public let rows: Int, columns: Int

    /// `A[r, c]` into `block` (column-major, resized to fit). O(|r|·|c|).
    public func copyBlock(rows r: Range<Int>, columns c: Range<Int>, into block: inout [Double]) {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns)
        let m = r.count
        if block.count != m * c.count { block = [Double](repeating: 0, count: m * c.count) }
        guard let base, m > 0 else { return }
        block.withUnsafeMutableBufferPointer { out in
            for (jj, j) in c.enumerated() { (out.baseAddress! + jj * m).update(from: base + r.lowerBound + j * rows, count: m) }
        }
    }

    /// Writes `block` into `A[r, c]` and, with `mirrored`, its transpose into `A[c, r]`. O(|r|·|c|).
    public func setBlock(rows r: Range<Int>, columns c: Range<Int>, from block: [Double], mirrored: Bool = false) {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns)
        let m = r.count
        precondition(block.count == m * c.count, "setBlock: block has \(block.count) elements, expected \(m * c.count)")
        precondition(!mirrored || (c.upperBound <= rows && r.upperBound <= columns))
        guard let base, m > 0 else { return }
        block.withUnsafeBufferPointer { src in
            for (jj, j) in c.enumerated() { (base + r.lowerBound + j * rows).update(from: src.baseAddress! + jj * m, count: m) }
            guard mirrored else { return }
            for (ii, i) in r.enumerated() {
                for (jj, j) in c.enumerated() { base[j + i * rows] = src[ii + jj * m] }
            }
        }
    }
}

extension Matrix {
    /// Gives `body` block access to this matrix that may be used from several threads at once
    /// (each thread on its own blocks). The storage is uniquely owned for the duration.
    public mutating func withConcurrentBlocks<R>(_ body: (ConcurrentBlocks) throws -> R) rethrows -> R {
        let (r, c) = (rows, columns)
        return try storage.withUnsafeMutableBufferPointer { buffer in
            try body(ConcurrentBlocks(base: buffer.baseAddress, rows: r, columns: c))
        }
    }
}

/// Runs `body(i)` for i in 0..<count on up to `threads` threads (Dispatch's concurrentPerform), and
/// rethrows the first error any iteration threw. With threads ≤ 1 it is a plain loop.
public func concurrentForEach(_ count: Int, threads: Int, _ body: @Sendable (Int) throws -> Void) throws {
    guard threads > 1 && count > 1 else {
        for i in 0..<count { try body(i) }
        return
    }
    let lock = NSLock()
    nonisolated(unsafe) var firstError: Error? = nil
    let workers = Swift.min(threads, count)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count {
            lock.lock(); let stop = firstError != nil; lock.unlock()
            if stop { return }
            do { try body(i) } catch {
                lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                return
            }
            i += workers
        }
    }
    if let firstError { throw firstError }
}
