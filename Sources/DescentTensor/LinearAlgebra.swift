import COpenBLAS

extension Tensor {
    /// `a @ b` with NumPy's rules: vectors are promoted to matrices and the added axis removed
    /// again; leading (batch) axes broadcast.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank > 0, b.rank > 0 else {
            throw TensorError("cannot multiply shapes \(describe(a.shape)) and \(describe(b.shape)) in '@': both need at least one dimension")
        }
        let x = a.rank == 1 ? try a.reshaped([1, a.count]) : a
        let y = b.rank == 1 ? try b.reshaped([b.count, 1]) : b
        let inner = x.shape[x.rank - 1]
        guard inner == y.shape[y.rank - 2] else {
            throw TensorError("cannot multiply shapes \(describe(a.shape)) and \(describe(b.shape)) in '@': inner sizes \(inner) and \(y.shape[y.rank - 2]) differ")
        }
        guard let batch = broadcastShape(Array(x.shape.dropLast(2)), Array(y.shape.dropLast(2))) else {
            throw TensorError("cannot multiply shapes \(describe(a.shape)) and \(describe(b.shape)) in '@': batch shapes do not broadcast")
        }
        let left = try x.expanded(to: batch + x.shape.suffix(2))
        let right = try y.expanded(to: batch + y.shape.suffix(2))
        var product = try multiplied(left, right, transposeA: false, transposeB: false)
        if a.rank == 1 { product = try product.squeezed(axis: -2) }
        if b.rank == 1 { product = try product.squeezed(axis: -1) }
        return product
    }

    /// The matrix-product primitive: `op(a) @ op(b)` over identical batch axes, `op` transposing
    /// the last two axes when asked. Gradients use the flags instead of copying transposes.
    static func multiplied(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        let batch = Array(a.shape.dropLast(2))
        let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        var out = try Tensor(uninitializedShape: batch + [m, n])
        let batches = batch.reduce(1, *)
        // A large product runs in blocks of rows of about 2^27 multiply-adds (a fraction of a
        // second), so Ctrl-C can stop it between blocks.
        let rowsPerBlock = Swift.max(1, (1 << 27) / Swift.max(1, n * k))
        for i in 0..<batches {
            var row = 0
            repeat {
                let rows = Swift.min(rowsPerBlock, m - row)
                if row > 0, TensorCancellation.isRequested() { throw TensorError.interrupted }
                // Rows of op(a) start `row` rows (or, transposed, columns) in; leading dimensions are the full ones.
                let aBlock = a.storage.pointer + i * m * k + (transposeA ? row : row * k)
                multiplyMatrices(aBlock, transposeA: transposeA, leadingA: transposeA ? m : k, b.storage.pointer + i * k * n,
                                 transposeB: transposeB, out.storage.pointer + i * m * n + row * n, m: rows, n: n, k: k)
                row += rows
            } while row < m
        }
        if let tape = activeTape(a, b) { tape.record(.matmul(transposeA: transposeA, transposeB: transposeB), [a, b], &out) }
        return out
    }

    public static func dot(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank == 1, b.rank == 1, a.count == b.count else {
            throw TensorError("dot() needs two vectors of one length, got shapes \(describe(a.shape)) and \(describe(b.shape))")
        }
        return try Tensor.binary(.multiply, a, b).sum()
    }

    public static func outer(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Tensor.binary(.multiply, a.reshaped([a.count, 1]), b.reshaped([1, b.count]))
    }

    // MARK: LAPACK

    private func requireSquare(_ operation: String) throws -> Int {
        guard rank == 2, shape[0] == shape[1] else {
            throw TensorError("\(operation) needs a square matrix, got shape \(describe(shape))")
        }
        return shape[0]
    }

    /// A fresh copy of the elements for LAPACK to overwrite.
    private func scratchCopy() -> UnsafeMutablePointer<Double> {
        let copy = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(count, 1))
        copy.update(from: storage.pointer, count: count)
        return copy
    }

    public func inverse() throws -> Tensor {
        let n = try requireSquare("inv()")
        var out = try Tensor(uninitializedShape: shape)
        if n > 0 {
            // LAPACK is column-major: it sees the transpose, and the inverse of the transpose
            // read back row-major is the inverse.
            out.storage.pointer.update(from: storage.pointer, count: count)
            var size = Int32(n), info: Int32 = 0
            var pivots = [Int32](repeating: 0, count: n)
            BLASThreading.prepare(matrixOrder: Int(size))
            descent_dgetrf(&size, &size, out.storage.pointer, &size, &pivots, &info)
            guard info == 0 else { throw TensorError("inv() of a singular matrix") }
            var workSize = Int32(64 * n)
            var work = [Double](repeating: 0, count: Int(workSize))
            descent_dgetri(&size, out.storage.pointer, &size, &pivots, &work, &workSize, &info)
            guard info == 0 else { throw TensorError("inv() of a singular matrix") }
        }
        if let tape = activeTape(self) { tape.record(.inverse, [self], &out) }
        return out
    }

    public func determinant() throws -> Tensor {
        let n = try requireSquare("det()")
        var value = 1.0
        if n > 0 {
            let lu = scratchCopy()
            defer { lu.deallocate() }
            var size = Int32(n), info: Int32 = 0
            var pivots = [Int32](repeating: 0, count: n)
            BLASThreading.prepare(matrixOrder: Int(size))
            descent_dgetrf(&size, &size, lu, &size, &pivots, &info)
            for i in 0..<n {
                value *= lu[i * n + i]
                if pivots[i] != Int32(i + 1) { value = -value }
            }
        }
        var out = Tensor(scalar: value)
        if let tape = activeTape(self) { tape.record(.determinant, [self], &out) }
        return out
    }

    /// x with a @ x = b, for a vector or a matrix of right-hand sides.
    public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let n = try a.requireSquare("solve()")
        guard (b.rank == 1 || b.rank == 2), b.shape[0] == n else {
            throw TensorError("solve() needs a right-hand side with \(n) rows for a matrix of shape \(describe(a.shape)), got shape \(describe(b.shape))")
        }
        let columns = b.rank == 1 ? 1 : b.shape[1]
        var out = try Tensor(uninitializedShape: b.shape)
        if n > 0 && columns > 0 {
            let matrix = a.detached.transposed.scratchCopy()  // column-major a
            let rhs = (b.rank == 1 ? b.detached : b.detached.transposed).scratchCopy()
            defer { matrix.deallocate(); rhs.deallocate() }
            var size = Int32(n), count = Int32(columns), info: Int32 = 0
            var pivots = [Int32](repeating: 0, count: n)
            BLASThreading.prepare(matrixOrder: Int(size))
            descent_dgesv(&size, &count, matrix, &size, &pivots, rhs, &size, &info)
            guard info == 0 else { throw TensorError("solve() with a singular matrix") }
            for i in 0..<n { for j in 0..<columns { out.storage.pointer[i * columns + j] = rhs[j * n + i] } }
        }
        if let tape = activeTape(a, b) { tape.record(.solve, [a, b], &out) }
        return out
    }

    /// Eigenvalues (ascending) and eigenvectors (as columns) of a symmetric matrix, read from its
    /// lower triangle as torch.linalg.eigh does.
    public func symmetricEigen() throws -> (values: Tensor, vectors: Tensor) {
        let n = try requireSquare("eigh()")
        guard !isTraced else { throw TensorError("eigh() has no gradient; compute it outside grad()") }
        let values = try Tensor(uninitializedShape: [n])
        let vectors = try Tensor(uninitializedShape: [n, n])
        if n > 0 {
            let matrix = scratchCopy()
            defer { matrix.deallocate() }
            var size = Int32(n), info: Int32 = 0
            var workSize: Int32 = -1, iworkSize: Int32 = -1
            var workQuery = 0.0, iworkQuery: Int32 = 0
            let job = Int8(UInt8(ascii: "V")), upper = Int8(UInt8(ascii: "U"))  // row-major lower = column-major upper
            var jobz = job, uplo = upper
            BLASThreading.prepare(matrixOrder: Int(size))
            descent_dsyevd(&jobz, &uplo, &size, matrix, &size, values.storage.pointer, &workQuery, &workSize, &iworkQuery, &iworkSize, &info, 1, 1)
            workSize = Int32(workQuery)
            iworkSize = iworkQuery
            var work = [Double](repeating: 0, count: Int(workSize))
            var iwork = [Int32](repeating: 0, count: Int(iworkSize))
            descent_dsyevd(&jobz, &uplo, &size, matrix, &size, values.storage.pointer, &work, &workSize, &iwork, &iworkSize, &info, 1, 1)
            guard info == 0 else { throw TensorError("eigh() did not converge") }
            // Column-major eigenvectors are rows here; transpose them into columns.
            for i in 0..<n { for j in 0..<n { vectors.storage.pointer[i * n + j] = matrix[j * n + i] } }
        }
        return (values, vectors)
    }
}
