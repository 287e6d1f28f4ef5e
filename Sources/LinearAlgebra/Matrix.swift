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
            throw LinearAlgebraError.shapeMismatch(
                "Matrix(rows: \(rows), columns: \(columns)) needs \(max(0, rows * columns)) elements, got \(elements.count)")
        }
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix from nested rows; throws when the rows are ragged.
    public init(_ nested: [[Scalar]]) throws {
        let columns = nested.first?.count ?? 0
        for (i, row) in nested.enumerated() where row.count != columns {
            throw LinearAlgebraError.shapeMismatch("row \(i) has \(row.count) elements, row 0 has \(columns)")
        }
        try self.init(rows: nested.count, columns: columns, elements: nested.flatMap { $0 })
    }

    /// A column vector (`n x 1`).
    public init(column: [Scalar]) {
        self.rows = column.count
        self.columns = 1
        self.storage = column
    }

    /// The `n x n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// The transpose, as a new matrix.
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t.storage[j * rows + i] = storage[i * columns + j] } }
        return t
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Scalar] { Array(storage[(i * columns)..<((i + 1) * columns)]) }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Scalar] { (0..<rows).map { storage[$0 * columns + j] } }

    /// Nested rows, convenient for printing and JSON.
    public var nested: [[Scalar]] { (0..<rows).map { row($0) } }

    /// Largest absolute elementwise difference to `other` (shapes must agree).
    public func maxAbsDifference(_ other: Matrix) throws -> Scalar {
        guard rows == other.rows, columns == other.columns else {
            throw LinearAlgebraError.shapeMismatch("\(rows)x\(columns) vs \(other.rows)x\(other.columns)")
        }
        var m: Scalar = 0
        for k in storage.indices { m = Swift.max(m, Swift.abs(storage[k] - other.storage[k])) }
        return m
    }
}

/// Whether an operand of GEMM/GEMV is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transpose
}
