/// Solve `op(A) X = B` for a triangular matrix A, where op(A) is A or Aᵀ, returning X (like
/// `scipy.linalg.solve_triangular`). Only the `lower` (or upper) triangle of `a` is read;
/// `unitDiagonal` treats its diagonal as ones without reading it.
///
/// Cost: n²·k flops (BLAS dtrsm) plus an O(n² + nk) check of the inputs and of the result.
/// Accuracy: backward stable; the forward error grows with the condition number of A, which for
/// triangular matrices can be huge even when the diagonal looks harmless.
/// Reference: Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., ch. 8.
/// - Throws: `LinalgError.nonFinite` for NaN/∞ in the referenced triangle or in `b`;
///   `LinalgError.singular(pivot:)` for an exactly zero diagonal element (1-based index);
///   `LinalgError.domain` when the solution overflows (A is numerically singular).
public func solveTriangular(_ a: Matrix, _ b: Matrix, lower: Bool, transpose: Bool = false,
                            unitDiagonal: Bool = false) throws -> Matrix {
    precondition(a.isSquare && a.rows == b.rows,
                 "solveTriangular: A is \(a.rows)×\(a.columns), B has \(b.rows) rows")
    try checkTriangularSystem(a, lower: lower, unitDiagonal: unitDiagonal, rightHandSide: b.storage)
    var x = b
    BLAS.trsm(lower ? .lower : .upper, transpose ? .transpose : .none, unitDiagonal: unitDiagonal, a, &x)
    guard x.isFinite else { throw triangularOverflow(a, unitDiagonal: unitDiagonal) }
    return x
}

/// Solve `op(A) x = b` for a triangular matrix A (see the matrix version). n² flops (BLAS dtrsv)
/// plus an O(n²) input check.
/// - Throws: as the matrix version.
public func solveTriangular(_ a: Matrix, _ b: Vector, lower: Bool, transpose: Bool = false,
                            unitDiagonal: Bool = false) throws -> Vector {
    precondition(a.isSquare && a.rows == b.count,
                 "solveTriangular: A is \(a.rows)×\(a.columns), b has \(b.count) elements")
    try checkTriangularSystem(a, lower: lower, unitDiagonal: unitDiagonal, rightHandSide: b.elements)
    var x = b
    BLAS.trsv(lower ? .lower : .upper, transpose ? .transpose : .none, unitDiagonal: unitDiagonal, a, &x)
    guard x.isFinite else { throw triangularOverflow(a, unitDiagonal: unitDiagonal) }
    return x
}

/// Reject NaN/∞ in the referenced triangle or the right-hand side, and exact zeros on the diagonal.
private func checkTriangularSystem(_ a: Matrix, lower: Bool, unitDiagonal: Bool,
                                   rightHandSide: [Double]) throws {
    let n = a.rows
    let finite = a.withUnsafeBufferPointer { p -> Bool in
        for j in 0..<n {
            let rowsInColumn = lower ? (unitDiagonal ? j + 1 : j)..<n : 0..<(unitDiagonal ? j : j + 1)
            for i in rowsInColumn where !p[i + j * n].isFinite { return false }
        }
        return true
    }
    guard finite else { throw LinalgError.nonFinite(what: "triangular matrix") }
    guard rightHandSide.allSatisfy({ $0.isFinite }) else {
        throw LinalgError.nonFinite(what: "right-hand side of the triangular solve")
    }
    if !unitDiagonal {
        for i in 0..<n where a[i, i] == 0 { throw LinalgError.singular(pivot: i + 1) }
    }
}

private func triangularOverflow(_ a: Matrix, unitDiagonal: Bool) -> LinalgError {
    let smallest = unitDiagonal ? 1 : a.diagonal.elements.reduce(Double.infinity) { Swift.min($0, abs($1)) }
    return .domain("triangular solve overflowed: the matrix is numerically singular "
        + "(smallest |diagonal element| \(smallest)); regularise it or rescale the system")
}
