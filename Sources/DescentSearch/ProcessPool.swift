import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs numbered tasks on several processes at once: this one and `workers - 1` forked children,
/// each claiming the next unstarted task from a counter in shared memory (so a worker that drew
/// cheap tasks takes more of them). What a task returns is bytes: a child writes each result to
/// its pipe as soon as it has it, and the results come back ordered by task number, so callers
/// that make each task depend only on its number get the same answers for any number of workers.
/// Processes rather than threads: an interpreter session is single-threaded by design.
public struct ProcessPool {
    public let workers: Int

    public struct Failure: Error, Sendable {
        public let message: String
    }

    public init(workers: Int) { self.workers = Swift.max(1, workers) }

    /// Runs `task(i)` once for each i in 0..<count. `childStarted` runs first in every child.
    /// A task that returns `stop: true` (it was interrupted) ends its worker's claims, and in this
    /// process it interrupts the children too. While this
    /// process waits for its children, `waiting` is asked about every 100 ms whether to interrupt
    /// them; when it says yes they get SIGINT, once. A nil result is a task that never ran or
    /// whose process ended before reporting it.
    public func run(count: Int, childStarted: () -> Void = {}, task: (Int) -> (bytes: [UInt8], stop: Bool),
                    waiting: () -> Bool) throws(Failure) -> [[UInt8]?] {
        var results = [[UInt8]?](repeating: nil, count: count)
        guard count > 0 else { return results }
        guard workers > 1, count > 1 else {
            for index in 0..<count {
                let (bytes, stop) = task(index)
                results[index] = bytes
                if stop { break }
            }
            return results
        }
        guard let shared = mmap(nil, MemoryLayout<Int>.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              shared != MAP_FAILED else {
            throw Failure(message: "cannot start workers: \(String(cString: strerror(errno)))")
        }
        defer { munmap(shared, MemoryLayout<Int>.size) }
        let counter = shared.bindMemory(to: Int.self, capacity: 1)
        counter.pointee = 0
        var children: [(pid: pid_t, reader: Int32)] = []
        var startFailure: Failure?
        for _ in 1..<Swift.min(workers, count) {
            var descriptors: [Int32] = [0, 0]
            guard pipe(&descriptors) == 0 else {
                startFailure = Failure(message: "cannot start a worker: \(String(cString: strerror(errno)))")
                break
            }
            let pid = fork()
            if pid == 0 {
                close(descriptors[0])
                for other in children { close(other.reader) }
                childStarted()
                while case let index = descent_claim_next(counter), index < count {
                    let (bytes, stop) = task(index)
                    var frame = WireWriter()
                    frame.append(index)
                    frame.append(bytes.count)
                    writeAll(descriptors[1], frame.bytes + bytes)
                    if stop { break }
                }
                _exit(0)
            }
            close(descriptors[1])
            guard pid > 0 else {
                close(descriptors[0])
                startFailure = Failure(message: "cannot start a worker: \(String(cString: strerror(errno)))")
                break
            }
            children.append((pid, descriptors[0]))
        }
        if children.isEmpty, let startFailure { throw startFailure }
        var stopped = false
        while case let index = descent_claim_next(counter), index < count {
            let (bytes, stop) = task(index)
            results[index] = bytes
            if stop { stopped = true; break }
        }
        // This process was interrupted: the children stop too (a Ctrl-C from the terminal reaches
        // them already; a signal sent to this process alone does not).
        if stopped { for child in children { kill(child.pid, SIGINT) } }
        for (index, bytes) in collect(children, waiting: stopped ? { false } : waiting) where index < count { results[index] = bytes }
        return results
    }

    /// Reads every child's frames until its pipe closes, then reaps it.
    private func collect(_ children: [(pid: pid_t, reader: Int32)], waiting: () -> Bool) -> [(Int, [UInt8])] {
        var received = [[UInt8]](repeating: [], count: children.count)
        var open = Set(children.indices)
        var signalled = false
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !open.isEmpty {
            let watched = open.sorted()
            var descriptors = watched.map { pollfd(fd: children[$0].reader, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 100)
            if ready == 0 || (ready < 0 && errno == EINTR) {
                // Ctrl-C reaches the children through the terminal; a time limit or an embedder's
                // interrupt does not, so it is passed on.
                if !signalled && waiting() {
                    signalled = true
                    for child in children { kill(child.pid, SIGINT) }
                }
                continue
            }
            for (position, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let child = watched[position]
                let count = read(children[child].reader, &buffer, buffer.count)
                if count > 0 { received[child] += buffer[0..<count]; continue }
                if count < 0 && errno == EINTR { continue }
                close(children[child].reader)
                open.remove(child)
            }
        }
        var frames: [(Int, [UInt8])] = []
        for (child, bytes) in zip(children, received) {
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
            var reader = WireReader(bytes)
            while let index = reader.integer(), let length = reader.integer(), let payload = reader.bytes(length) {
                frames.append((index, payload))
            }
        }
        return frames
    }
}

private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written <= 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}

/// Results on their way between processes: integers, doubles (bit for bit), strings and byte runs.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func append(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    public mutating func append(_ value: Int) { append(UInt64(bitPattern: Int64(value))) }
    public mutating func append(_ value: Double) { append(value.bitPattern) }
    public mutating func append(_ value: String) { append(Array(value.utf8)) }
    public mutating func append(_ run: [UInt8]) {
        append(run.count)
        bytes += run
    }
}

/// Reads what a `WireWriter` wrote; nil when the bytes run out (a worker that died mid-write).
public struct WireReader {
    private let bytes: [UInt8]
    private var position = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func word() -> UInt64? {
        guard position + 8 <= bytes.count else { return nil }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << UInt64(8 * offset) }
        position += 8
        return value
    }
    public mutating func integer() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }
    public mutating func double() -> Double? { word().map(Double.init(bitPattern:)) }
    public mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, position + count <= bytes.count else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }
    public mutating func run() -> [UInt8]? { integer().flatMap { bytes($0) } }
    public mutating func string() -> String? { run().map { String(decoding: $0, as: UTF8.self) } }
}
