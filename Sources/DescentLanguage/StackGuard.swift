import CKernels

/// How much native stack the current thread has left. The parser and the evaluator recurse; on a
/// thread with a small stack (a test runner's, an embedder's, a sanitizer build's larger frames)
/// they stop with a diagnostic while there is still room, instead of overflowing at a fixed depth
/// that only a large stack allows.
enum StackGuard {
    /// Room kept free below the deepest frame: enough for a built-in and the error path.
    static let reserve = 256 << 10

    static func hasRoom() -> Bool {
        let room = descent_stack_room()
        return room < 0 || room > reserve
    }
}
