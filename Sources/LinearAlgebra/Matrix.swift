/// A dense row-major matrix over contiguous storage.
///
/// Element `(i, j)` lives at `storage[i * columns + j]`. BLAS and LAPACK are called with
/// `CblasRowMajor` / `LAPACK_ROW_MAJOR`, so no copies are made for layout.
public struct Matrix<Scalar: LinearAlgebraScalar>: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major elements, `rows * columns` of them.
    public var storage: [Scalar]

    /// A `rows x columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over the given row-major elements; throws when the count does not match.
    public init(rows: Int, columns: Int, elements: [Scalar]) throws {
        guard rows >= 0, columns >= 0, elements.count == rows * columns else {
            throw LinearAlgebraError.shapeMismatch("Matrix(rows: \(rows), columns: \(columns)) needs "
                + "\(max(0, rows * columns)) elements, got \(elements.count)")
        }
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }
}

/// Whether an operand of GEMM is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transpose
}
