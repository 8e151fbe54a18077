import COpenBLAS
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The loops every operation runs. They work on raw buffers and know nothing of gradients.

/// Visits every position of `shape` in row-major order with the matching offsets into two
/// strided layouts. The innermost axis is handed to `inner` whole, so that it can be a tight
/// (vectorisable) loop.
@inline(__always)
func forEachRow(shape: [Int], stridesA: [Int], offsetA: Int = 0, stridesB: [Int], offsetB: Int = 0,
                _ inner: (_ a: Int, _ b: Int, _ length: Int, _ strideA: Int, _ strideB: Int) -> Void) {
    let rank = shape.count
    if rank == 0 { inner(offsetA, offsetB, 1, 0, 0); return }
    if shape.contains(0) { return }
    let length = shape[rank - 1], innerA = stridesA[rank - 1], innerB = stridesB[rank - 1]
    var counters = [Int](repeating: 0, count: rank)
    var a = offsetA, b = offsetB
    while true {
        inner(a, b, length, innerA, innerB)
        var axis = rank - 2
        while axis >= 0 {
            counters[axis] += 1
            a += stridesA[axis]
            b += stridesB[axis]
            if counters[axis] < shape[axis] { break }
            a -= stridesA[axis] * shape[axis]
            b -= stridesB[axis] * shape[axis]
            counters[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

/// `out[i] = f(x[i])` over a contiguous buffer.
@inline(__always)
func mapElements(_ x: UnsafeMutablePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ count: Int, _ f: (Double) -> Double) {
    for i in 0..<count { out[i] = f(x[i]) }
}

/// `out = f(a, b)` with NumPy broadcasting; `out` has the broadcast shape.
@inline(__always)
func broadcastElements(_ a: Tensor, _ b: Tensor, into out: UnsafeMutablePointer<Double>, shape: [Int],
                       _ f: (Double, Double) -> Double) {
    let pa = a.storage.pointer, pb = b.storage.pointer
    if a.shape == b.shape {
        for i in 0..<a.count { out[i] = f(pa[i], pb[i]) }
        return
    }
    if b.count == 1 {
        let y = pb[0]
        for i in 0..<a.count { out[i] = f(pa[i], y) }
        return
    }
    if a.count == 1 {
        let x = pa[0]
        for i in 0..<b.count { out[i] = f(x, pb[i]) }
        return
    }
    var o = 0
    forEachRow(shape: shape, stridesA: broadcastStrides(a.shape, to: shape), stridesB: broadcastStrides(b.shape, to: shape)) { ia, ib, length, sa, sb in
        let row = out + o
        if sa == 1 && sb == 1 {
            for j in 0..<length { row[j] = f(pa[ia + j], pb[ib + j]) }
        } else if sa == 1 && sb == 0 {
            let y = pb[ib]
            for j in 0..<length { row[j] = f(pa[ia + j], y) }
        } else if sa == 0 && sb == 1 {
            let x = pa[ia]
            for j in 0..<length { row[j] = f(x, pb[ib + j]) }
        } else {
            for j in 0..<length { row[j] = f(pa[ia + j * sa], pb[ib + j * sb]) }
        }
        o += length
    }
}

/// Copies the strided view (`offset`, `strides`) of `source` into contiguous `out` of `shape`.
func gatherStrided(_ source: UnsafeMutablePointer<Double>, offset: Int, strides: [Int], shape: [Int],
                   into out: UnsafeMutablePointer<Double>) {
    var o = 0
    forEachRow(shape: shape, stridesA: strides, offsetA: offset, stridesB: contiguousStrides(shape)) { ia, _, length, sa, _ in
        if sa == 1 {
            (out + o).update(from: source + ia, count: length)
        } else {
            for j in 0..<length { out[o + j] = source[ia + j * sa] }
        }
        o += length
    }
}

/// Adds contiguous `values` of `shape` into the strided view (`offset`, `strides`) of `target`:
/// the adjoint of `gatherStrided`. Zero strides accumulate, which makes it a reduction too.
func scatterAddStrided(_ values: UnsafeMutablePointer<Double>, shape: [Int],
                       into target: UnsafeMutablePointer<Double>, offset: Int, strides: [Int]) {
    var o = 0
    forEachRow(shape: shape, stridesA: strides, offsetA: offset, stridesB: contiguousStrides(shape)) { it, _, length, st, _ in
        if st == 0 {
            var sum = 0.0
            for j in 0..<length { sum += values[o + j] }
            target[it] += sum
        } else {
            for j in 0..<length { target[it + j * st] += values[o + j] }
        }
        o += length
    }
}

/// The layout that maps each element of `shape` to its slot in the reduced tensor: the reduced
/// axes get stride 0. Returns the reduced shape with the axes kept as size 1.
func reductionLayout(_ shape: [Int], axes: [Int]) -> (keptShape: [Int], strides: [Int]) {
    var kept = shape
    for axis in axes { kept[axis] = 1 }
    let keptStrides = contiguousStrides(kept)
    return (kept, shape.indices.map { axes.contains($0) ? 0 : keptStrides[$0] })
}

/// Folds the reduced axes of `x` with `combine`, starting from `initial`, into `out` (kept shape).
func reduceElements(_ x: Tensor, axes: [Int], into out: UnsafeMutablePointer<Double>, outCount: Int,
                    initial: Double, _ combine: (Double, Double) -> Double) {
    out.initialize(repeating: initial, count: outCount)
    let layout = reductionLayout(x.shape, axes: axes)
    let px = x.storage.pointer
    var i = 0
    forEachRow(shape: x.shape, stridesA: layout.strides, stridesB: contiguousStrides(x.shape)) { io, _, length, so, _ in
        if so == 0 {
            var acc = out[io]
            for j in 0..<length { acc = combine(acc, px[i + j]) }
            out[io] = acc
        } else {
            for j in 0..<length { out[io + j * so] = combine(out[io + j * so], px[i + j]) }
        }
        i += length
    }
}

// MARK: - Matrix products

/// Products with fewer multiply-adds than this run in Swift. OpenBLAS is as fast or faster from
/// 2 x 2 up on the machines measured (BENCHMARKS.md: 1.7 us against 7.5 us for 32 x 32 in Swift),
/// so only the tiniest products, where the call costs as much as the arithmetic, stay here.
let blasThreshold = 8 * 8 * 8

/// OpenBLAS starts a thread per core at load time and its idle threads spin, which on a 2-core
/// machine takes the second core's time from the interpreter (the training benchmark ran 12%
/// slower). Products of fewer multiply-adds than this run on the calling thread alone; larger ones
/// (a 128 x 128 x 128 product and up) use every core.
public enum BLASThreading {
    static let parallelThreshold = 1 << 21
    /// 0 until `startOnOneThread`: embedders that never call it keep OpenBLAS's own threading.
    private static let current = Atomic<Int>(0)
    private static let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Makes OpenBLAS single-threaded until a large product needs more, and stops its idle
    /// threads once it is loaded (at its first use); call once at start-up, before any other
    /// thread uses OpenBLAS.
    public static func startOnOneThread() {
        current.store(1, ordering: .relaxed)
        descent_blas_set_threads(1)
        descent_blas_stop_idle_threads_when_loaded()
    }

    /// For LAPACK on an n x n matrix: about n^3 multiply-adds.
    static func prepare(matrixOrder n: Int) { prepare(multiplyAdds: n * n * n) }

    static func prepare(multiplyAdds: Int) {
        let threads = multiplyAdds >= parallelThreshold ? cores : 1
        let previous = current.load(ordering: .relaxed)
        if previous != 0 && previous != threads {
            current.store(threads, ordering: .relaxed)
            descent_blas_set_threads(Int32(threads))
        }
    }
}

/// `c = op(a) @ op(b)` for row-major matrices, `op` transposing when asked: `a` is m x k after
/// `op`, `b` is k x n after `op`.
func multiplyMatrices(_ a: UnsafePointer<Double>, transposeA: Bool, leadingA: Int? = nil, _ b: UnsafePointer<Double>, transposeB: Bool,
                      _ c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int) {
    let lda = leadingA ?? (transposeA ? m : k)
    if m * n * k >= blasThreshold {
        BLASThreading.prepare(multiplyAdds: m * n * k)
        descent_dgemm(Int32(DescentRowMajor), Int32(transposeA ? DescentTrans : DescentNoTrans),
                    Int32(transposeB ? DescentTrans : DescentNoTrans), Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(lda), b, Int32(transposeB ? k : n), 0, c, Int32(n))
        return
    }
    c.initialize(repeating: 0, count: m * n)
    if k == 0 { return }
    // b's rows must be contiguous for the inner loop; a small transposed b is copied once.
    var bRows = b
    var transposedCopy: UnsafeMutablePointer<Double>?
    if transposeB {
        let copy = UnsafeMutablePointer<Double>.allocate(capacity: k * n)
        for p in 0..<k { for j in 0..<n { copy[p * n + j] = b[j * k + p] } }
        bRows = UnsafePointer(copy)
        transposedCopy = copy
    }
    defer { transposedCopy?.deallocate() }
    let rowStrideA = transposeA ? 1 : lda, columnStrideA = transposeA ? lda : 1
    for i in 0..<m {
        let row = c + i * n
        for p in 0..<k {
            let x = a[i * rowStrideA + p * columnStrideA]
            let bRow = bRows + p * n
            for j in 0..<n { row[j] += x * bRow[j] }
        }
    }
}
