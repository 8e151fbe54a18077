#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DescentLanguage

/// The one global the C signal handler can reach (see ../shared/notes): Ctrl-C raises it, the
/// interpreter polls it.
let interruptFlag = InterruptFlag()
/// Ctrl-C presses since the flag was last consumed: a second press while code ignores the first
/// (a long built-in that does not poll) ends the process, so Ctrl-C always works.
let pendingInterrupts = InterruptFlag()

/// The thread that evaluates (and reads the REPL's lines). Written once, before the handler is
/// installed, and only read afterwards.
nonisolated(unsafe) private var evaluatorThread = pthread_self()

/// Installs the SIGINT handler; call it on the evaluator's thread. Without `restart`, a blocked
/// `el_gets` returns EINTR (the REPL clears the line); with it, plain reads resume (Swift's
/// readLine spins otherwise).
func installInterruptHandler(restart: Bool) {
    _ = interruptFlag.isRaised  // lazy globals are not signal-safe: initialise before the handler can run
    _ = pendingInterrupts.isRaised
    evaluatorThread = pthread_self()
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = { _ in
        // OpenBLAS starts its worker threads before main() can block SIGINT in them; a signal
        // delivered there is passed on to the evaluator, whose read must see EINTR.
        if pthread_equal(pthread_self(), evaluatorThread) == 0 {
            pthread_kill(evaluatorThread, SIGINT)
            return
        }
        if interruptFlag.isRaised && pendingInterrupts.isRaised { _exit(130) }
        if interruptFlag.isRaised { pendingInterrupts.raise() }
        interruptFlag.raise()
    }
    #endif
    action.sa_flags = restart ? SA_RESTART : 0
    sigemptyset(&action.sa_mask)
    sigaction(SIGINT, &action, nil)
}

/// SIGINT goes to the evaluator's thread, where el_gets must see EINTR: block it everywhere else.
func setInterruptDelivery(blocked: Bool) {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nil)
}

enum Terminal {
    static func isTTY(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    static func wantsColor(_ descriptor: Int32) -> Bool {
        isTTY(descriptor) && getenv("NO_COLOR") == nil && String(cString: getenv("TERM") ?? strdup("xterm")) != "dumb"
    }

    static func write(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    static func write(_ descriptor: Int32, _ text: String) { write(descriptor, Array(text.utf8)) }

    enum KeyEvent: Equatable { case key(Character), timeout, end }

    /// One key from standard input, without waiting for Enter on a terminal (the first character
    /// of a line otherwise). `end` at the end of input or on Ctrl-C; `timeout` when nothing came
    /// within the time given (nil waits for ever).
    static func readKey(timeoutMilliseconds: Int32? = nil) -> KeyEvent {
        var saved = termios()
        let tty = isTTY(0)
        if tty {
            tcgetattr(0, &saved)
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            tcsetattr(0, TCSANOW, &raw)
        }
        defer { if tty { tcsetattr(0, TCSANOW, &saved) } }
        if let timeoutMilliseconds {
            var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if interruptFlag.isRaised {
                interruptFlag.clear()
                return .end
            }
            if ready == 0 || (ready < 0 && errno == EINTR) { return .timeout }
        }
        guard tty else {
            guard let line = readLine(strippingNewline: false) else { return .end }
            return .key(line.first ?? "\n")
        }
        var byte: UInt8 = 0
        let count = read(0, &byte, 1)
        if count <= 0 || interruptFlag.isRaised {
            interruptFlag.clear()
            return .end
        }
        return .key(Character(Unicode.Scalar(byte)))
    }
}

enum Files {
    struct Failure: Error { let message: String }

    static func read(_ path: String) throws(Failure) -> String {
        guard let file = fopen(path, "rb") else {
            throw Failure(message: "cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 { throw Failure(message: "cannot read '\(path)': \(String(cString: strerror(errno)))") }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes through a temporary file and a rename, so a failed write leaves the old file whole.
    static func writeAtomically(_ path: String, _ text: String) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else {
            throw Failure(message: "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file)
        guard written == bytes.count, closed == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(message: "cannot write '\(path)': \(reason)")
        }
    }
}

/// Bytes a run may print before `print` stops it (`--max-output`).
nonisolated(unsafe) var outputLimit = 256 << 20
/// `--seed N` (or `:seed N`): mixed into every random stream of the sessions made from now on.
nonisolated(unsafe) var runSeed: UInt64 = 0

func coreCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

/// A session's interpreter wired to this process: stdout for values, stderr for diagnostics.
func makeInterpreter() -> Interpreter {
    let interactive = Terminal.isTTY(1)
    let output = Output(flushesEveryWrite: interactive) { Terminal.write(1, $0) }
    output.byteLimit = outputLimit
    let interpreter = Interpreter(output: output, interrupt: interruptFlag)
    interpreter.showsProgress = interactive
    interpreter.defaultWorkers = coreCount()
    interpreter.dataDirectory = dataDirectory()
    interpreter.runSeed = runSeed
    interpreter.plotColor = Terminal.wantsColor(1)
    var size = winsize()
    if interactive, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 30 { interpreter.plotWidth = min(Int(size.ws_col), 160) }
    return interpreter
}

/// lessons/data: from DESCENT_DATA, else the first ancestor of the executable (a build
/// directory inside the checkout) or of the working directory that holds it.
func dataDirectory() -> String? {
    if let configured = getenv("DESCENT_DATA") { return String(cString: configured) }
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    var starts: [String] = []
    if length > 0 { starts.append(String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
    if getcwd(&buffer, buffer.count) != nil {
        starts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/.")
    }
    for start in starts {
        var directory = start
        for _ in 0..<8 {
            guard let slash = directory.lastIndex(of: "/") else { break }
            directory = String(directory[..<slash])
            let candidate = (directory.isEmpty ? "" : directory) + "/lessons/data"
            if access(candidate + "/digits.csv", R_OK) == 0 { return candidate }
        }
    }
    return nil
}

func report(_ diagnostic: Diagnostic, _ interpreter: Interpreter) {
    interpreter.output.flush()
    pendingInterrupts.clear()
    let renderer = DiagnosticRenderer(sources: interpreter.sources, color: Terminal.wantsColor(2))
    Terminal.write(2, renderer.render(diagnostic))
}
