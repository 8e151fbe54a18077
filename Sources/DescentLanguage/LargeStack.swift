#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on a new thread with a large stack and waits for it. The evaluator recurses on the
/// native stack once per nested expression and call, so 10,000 nested Descent calls need far more
/// than the 8 MiB a main thread gets; the pages are only reserved until they are touched.
public func runOnLargeStack<T>(bytes: Int = 2 << 30, _ body: @escaping () -> T) -> T {
    let job = LargeStackJob(body)
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, bytes)
    let context = Unmanaged.passRetained(job).toOpaque()
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let created = pthread_create(&thread, &attributes, { context in
        Unmanaged<LargeStackJob>.fromOpaque(context!).takeRetainedValue().run()  // trap-ok: pthread passes our non-nil context back
        return nil
    }, context)
    guard created == 0 else {
        // No thread could be made (resource limits): run here, with the ordinary stack.
        Unmanaged<LargeStackJob>.fromOpaque(context).release()
        return body()
    }
    #if canImport(Glibc)
    pthread_join(thread, nil)
    #else
    pthread_join(thread!, nil)  // trap-ok: pthread_create succeeded
    #endif
    return job.result as! T  // trap-ok: the thread stores the body's result before it ends
}

private final class LargeStackJob: @unchecked Sendable {
    private let body: () -> Any
    var result: Any?
    init<T>(_ body: @escaping () -> T) { self.body = { body() } }
    func run() { result = body() }
}
