/// A dense vector of `Double`: a thin, value-semantic wrapper over `[Double]` so that vector
/// arithmetic has its own operators instead of overloading those of plain arrays.
///
/// Complexity: elementwise operations are O(n).
public struct Vector: Sendable, Equatable, Hashable, RandomAccessCollection, MutableCollection,
    ExpressibleByArrayLiteral, CustomStringConvertible
{
    /// The elements.
    public var elements: [Double]

    /// A vector holding `elements`.
    public init(_ elements: [Double]) { self.elements = elements }
    /// A vector of `count` copies of `value`.
    public init(repeating value: Double, count: Int) { elements = Array(repeating: value, count: count) }
    /// `Vector([1, 2, 3])` may also be written `[1, 2, 3]` where a Vector is expected.
    public init(arrayLiteral elements: Double...) { self.elements = elements }
    /// The zero vector of length `count`.
    public static func zeros(_ count: Int) -> Vector { Vector(repeating: 0, count: count) }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of elements.
    public var endIndex: Int { elements.count }
    @inlinable public subscript(i: Int) -> Double {
        get { elements[i] }
        set { elements[i] = newValue }
    }

    /// Euclidean norm ‖x‖₂ (overflow-safe via BLAS dnrm2).
    public var norm: Double { BLAS.nrm2(self) }
    /// Sum of elements.
    public var sum: Double { elements.reduce(0, +) }
    /// True when every element is finite.
    public var isFinite: Bool { elements.allSatisfy { $0.isFinite } }
    /// Largest absolute element (0 when empty).
    public var maxAbs: Double { elements.reduce(0) { Swift.max($0, abs($1)) } }

    /// The vector as an `n × 1` matrix (no copy semantics beyond the array's).
    public var asColumn: Matrix { Matrix(rows: count, columns: 1, columnMajor: elements) }

    public var description: String { "Vector(\(elements))" }

    /// Elementwise sum (equal lengths). O(n).
    public static func + (a: Vector, b: Vector) -> Vector {
        precondition(a.count == b.count, "Vector +: length mismatch")
        return Vector(zip(a.elements, b.elements).map { $0 + $1 })
    }
    /// Elementwise difference (equal lengths). O(n).
    public static func - (a: Vector, b: Vector) -> Vector {
        precondition(a.count == b.count, "Vector -: length mismatch")
        return Vector(zip(a.elements, b.elements).map { $0 - $1 })
    }
    /// Scalar multiple. O(n).
    public static func * (s: Double, a: Vector) -> Vector { Vector(a.elements.map { s * $0 }) }
    /// Negation. O(n).
    public static prefix func - (a: Vector) -> Vector { Vector(a.elements.map { -$0 }) }

    /// Elementwise product.
    public func hadamard(_ b: Vector) -> Vector {
        precondition(count == b.count, "hadamard: length mismatch")
        return Vector(zip(elements, b.elements).map { $0 * $1 })
    }
}
