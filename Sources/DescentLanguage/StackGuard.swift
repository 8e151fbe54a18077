#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much native stack the current thread has left. The parser and the evaluator recurse; on a
/// thread with a small stack (a test runner's, an embedder's) they stop with a diagnostic while
/// there is still room, instead of overflowing at a fixed depth that only a large stack allows.
enum StackGuard {
    /// Room kept free below the deepest frame: enough for a built-in and the error path.
    static let reserve: UInt = 256 << 10

    /// Each thread's lowest usable stack address, kept in thread-local storage (threads come and go,
    /// and a new one may reuse an old one's id).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    #if canImport(Glibc)
    /// glibc's `pthread_getattr_np`, which Swift's Glibc module does not expose (it needs _GNU_SOURCE).
    private typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
    private static let getAttributes: GetAttributes? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pthread_getattr_np") else { return nil }
        return unsafeBitCast(symbol, to: GetAttributes.self)
    }()
    #endif

    static func hasRoom() -> Bool {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        let low = lowBound()
        // A local that is not on this thread's stack (AddressSanitizer's fake stack) says nothing
        // about the room left: then only the fixed depth limits apply.
        guard low != 0, here > low, here - low < stackSpan else { return true }
        return here - low > reserve
    }

    /// No thread stack is larger than this; a local further above the low bound is elsewhere.
    private static let stackSpan: UInt = 1 << 40

    /// 0 when the platform cannot say, which turns the check off.
    private static func lowBound() -> UInt {
        if let stored = pthread_getspecific(key) { return UInt(bitPattern: stored) }
        var low: UInt = 0
        #if canImport(Glibc)
        var attributes = pthread_attr_t()
        if let getAttributes, getAttributes(pthread_self(), &attributes) == 0 {
            var address: UnsafeMutableRawPointer?
            var size = 0
            if pthread_attr_getstack(&attributes, &address, &size) == 0, let address { low = UInt(bitPattern: address) }
            pthread_attr_destroy(&attributes)
        }
        #else
        let thread = pthread_self()
        low = UInt(bitPattern: pthread_get_stackaddr_np(thread)) - UInt(pthread_get_stacksize_np(thread))
        #endif
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: low))
        return low
    }
}
