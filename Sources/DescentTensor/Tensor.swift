import CKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An n-dimensional array of Doubles in row-major order. A value type: copies share their
/// elements until one of them is written to (copy-on-write), as Swift arrays do; a language that
/// wants reference semantics (NumPy's, PyTorch's) wraps a `Tensor` in an object of its own.
///
/// While a gradient is being computed, a tensor may carry a `Trace`: its node on the tape that
/// records the operations that produced it.
public struct Tensor {
    public internal(set) var shape: [Int]
    var storage: Storage
    var trace: Trace?
    /// The result of a comparison: PyTorch's bool tensors. Used as an index, it selects the
    /// elements where it is 1; any arithmetic gives an ordinary tensor.
    public internal(set) var isMask = false

    init(shape: [Int], storage: Storage, trace: Trace? = nil) {
        self.shape = shape
        self.storage = storage
        self.trace = trace
    }

    /// A tensor of the given shape whose elements are not yet set.
    init(uninitializedShape shape: [Int]) throws {
        self.init(shape: shape, storage: Storage(count: try checkedCount(shape)))
    }

    public init(shape: [Int], repeating value: Double) throws {
        try self.init(uninitializedShape: shape)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    public init(shape: [Int], elements: [Double]) throws {
        let count = try checkedCount(shape)
        guard count == elements.count else {
            throw TensorError("\(elements.count) elements cannot fill a tensor of shape \(describe(shape))")
        }
        self.init(shape: shape, storage: Storage(count: count))
        elements.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { storage.pointer.update(from: start, count: count) }
        }
    }

    /// A tensor with no dimensions holding one number.
    public init(scalar: Double) {
        self.init(shape: [], storage: Storage(count: 1))
        storage.pointer.pointee = scalar
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var elements: [Double] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

    /// The single element of a one-element tensor.
    public var scalarValue: Double? { storage.count == 1 ? storage.pointer.pointee : nil }

    public subscript(flat index: Int) -> Double { storage.pointer[index] }

    /// Whether the operations producing this tensor are being recorded for a gradient.
    public var isTraced: Bool { trace?.tape.isOpen ?? false }

    /// The same elements with no gradient history: a constant to autodiff.
    public var detached: Tensor { Tensor(shape: shape, storage: storage) }

    /// Gives this tensor elements of its own before they are written in place.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = Storage(count: storage.count)
            copy.pointer.update(from: storage.pointer, count: storage.count)
            storage = copy
        }
    }

    /// Writes `body`'s changes into the elements, in place: how optimizers update parameters.
    /// Gradient history is dropped, as PyTorch's updates under `no_grad` do.
    public mutating func updateElements(_ body: (UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows {
        makeUnique()
        trace = nil
        isMask = false
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    public func withElements<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }
}

/// The element buffer. Allocated uninitialised; every kernel writes all of it.
final class Storage {
    let pointer: UnsafeMutablePointer<Double>
    let count: Int

    init(count: Int) {
        self.count = count
        guard let memory = descent_buffer_allocate(max(count, 1)) else {
            // trap-ok: the size was checked against the tensor memory limit; malloc failing is the system out of memory
            fatalError("out of memory allocating \(max(count, 1) * MemoryLayout<Double>.stride) bytes")
        }
        pointer = memory
    }

    deinit { descent_buffer_free(pointer, max(count, 1)) }
}

/// A misuse of a tensor operation: mismatched shapes, an axis out of range, a tensor too large.
public struct TensorError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// A long kernel stopped because `TensorCancellation` asked it to.
    public static let interrupted = TensorError("interrupted")
    public var isInterruption: Bool { message == TensorError.interrupted.message }
}

/// Long kernels (large matrix products) ask `isRequested()` between blocks whether to stop; the
/// language installs its session's Ctrl-C check while that session runs code. The check is per
/// thread, so sessions on different threads each stop on their own flag. (Swift's `TaskLocal`
/// would say this directly, but crashes outside a task in statically linked binaries.)
public enum TensorCancellation {
    private final class Check {
        let isRequested: @Sendable () -> Bool
        init(_ isRequested: @escaping @Sendable () -> Bool) { self.isRequested = isRequested }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with `check` as this thread's answer to `isRequested()`.
    public static func whileRunning<R>(check: @escaping @Sendable () -> Bool, _ body: () throws -> R) rethrows -> R {
        let installed = Unmanaged.passRetained(Check(check))
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, installed.toOpaque())
        defer {
            pthread_setspecific(key, previous)
            installed.release()
        }
        return try body()
    }

    public static func isRequested() -> Bool {
        guard let installed = pthread_getspecific(key) else { return false }
        return Unmanaged<Check>.fromOpaque(installed).takeUnretainedValue().isRequested()
    }
}

/// The largest tensor any operation may create, in bytes. Refusing one beyond it gives a clear
/// error where the allocation would otherwise exhaust memory.
public enum TensorMemoryLimit {
    private static let bytes = Atomic<Int>(2 << 30)
    public static var maxBytes: Int {
        get { bytes.load(ordering: .relaxed) }
        set { bytes.store(newValue, ordering: .relaxed) }
    }
}

/// The number of elements of `shape`, refusing negative sizes and tensors beyond the memory limit.
func checkedCount(_ shape: [Int]) throws -> Int {
    var count = 1
    var overflow = false
    for size in shape {
        guard size >= 0 else { throw TensorError("a tensor cannot have a dimension of size \(size) (shape \(describe(shape)))") }
        (count, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow { break }
    }
    let limit = TensorMemoryLimit.maxBytes
    if overflow || count > limit / MemoryLayout<Double>.stride {
        throw TensorError("a tensor of shape \(describe(shape)) would need \(overflow ? "more than 2^63 bytes" : formatBytes(count * 8)), over the limit of \(formatBytes(limit))")
    }
    return count
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : (value == value.rounded() ? "\(Int(value)) \(units[unit])" : "\((value * 10).rounded() / 10) \(units[unit])")
}

/// A number as learners see it in messages: `5`, not `5.0`.
func describe(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
}

/// A shape as learners see it in messages: `[3, 2]`.
public func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Row-major strides of a contiguous tensor of this shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var stride = 1
    for axis in shape.indices.reversed() {
        strides[axis] = stride
        stride *= shape[axis]
    }
    return strides
}

/// The shape two shapes broadcast to under NumPy's rules, or nil when they do not.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    if a == b { return a }
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard x == y || x == 1 || y == 1 else { return nil }
        result[i] = x == 1 ? y : x
    }
    return result
}

/// Strides that read a tensor of `shape` as if it had the larger `target` shape (0 on broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = target.count - shape.count
    return target.indices.map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

/// An axis counted from the end when negative, checked against the rank.
func normalizeAxis(_ axis: Int, rank: Int, operation: String) throws -> Int {
    // A tensor with no dimensions accepts axis 0 or -1, as in PyTorch.
    let resolved = axis < 0 ? axis + max(rank, 1) : axis
    guard resolved >= 0, resolved < max(rank, 1) else {
        throw TensorError("axis \(axis) is out of range for a tensor with \(rank) dimension\(rank == 1 ? "" : "s") in \(operation)")
    }
    return resolved
}
