import Foundation

/// A learner's folder of exercise copies: `DIR/NN-topic/MM-name.dsc`, marked by a
/// `.descent-workspace` file. Learners edit the copies; the shipped exercises never change.
public struct Workspace: Sendable {
    public static let markerName = ".descent-workspace"
    public static let defaultName = "descent-exercises"
    public var root: String

    public init(root: String) { self.root = root }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func path(of exercise: Exercise) -> String { "\(root)/\(exercise.lessonFolder)/\(exercise.fileName)" }

    /// Creates the workspace, or completes an existing one: exercises already copied are left
    /// alone, so running `init` twice never loses a learner's work. Returns the copies made.
    @discardableResult
    public static func create(at root: String, catalog: Catalog) throws(Failure) -> [Exercise] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "'\(root)' exists and is not a folder") }
            let entries = (try? manager.contentsOfDirectory(atPath: root)) ?? []
            if !entries.isEmpty, !entries.contains(markerName) {
                throw Failure(description: "'\(root)' is a folder that is not empty and not a Descent workspace; choose another name")
            }
        }
        let workspace = Workspace(root: root)
        var copied: [Exercise] = []
        do {
            try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
            try writeAtomically("\(root)/\(markerName)", "{\"format\": 1}\n")
            for exercise in catalog.exercises where !manager.fileExists(atPath: workspace.path(of: exercise)) {
                try manager.createDirectory(atPath: "\(root)/\(exercise.lessonFolder)", withIntermediateDirectories: true)
                try writeAtomically(workspace.path(of: exercise), try String(contentsOfFile: exercise.path, encoding: .utf8))
                copied.append(exercise)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot create the workspace '\(root)': \(error.localizedDescription)")
        }
        return copied
    }

    /// The workspace holding `directory` (it or an ancestor has the marker), else
    /// `directory/descent-exercises` when that is one.
    public static func find(from directory: String) -> Workspace? {
        var current = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(markerName).path) {
                return Workspace(root: current.path)
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        let fallback = URL(fileURLWithPath: directory).appendingPathComponent(defaultName)
        if FileManager.default.fileExists(atPath: fallback.appendingPathComponent(markerName).path) {
            return Workspace(root: fallback.standardizedFileURL.path)
        }
        return nil
    }

    public func text(of exercise: Exercise) throws(Failure) -> String {
        do { return try String(contentsOfFile: path(of: exercise), encoding: .utf8) } catch {
            throw Failure(description: "cannot read '\(path(of: exercise))'; 'descent reset \(exercise.id)' restores it")
        }
    }

    /// Whether the learner has changed the copy: an untouched copy is "not started".
    public func isUntouched(_ exercise: Exercise) -> Bool {
        guard let copy = try? text(of: exercise), let original = try? String(contentsOfFile: exercise.path, encoding: .utf8) else { return false }
        return copy == original
    }

    /// Puts the shipped exercise back in place of the learner's copy.
    public func reset(_ exercise: Exercise) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: "\(root)/\(exercise.lessonFolder)", withIntermediateDirectories: true)
            try Workspace.writeAtomically(path(of: exercise), try String(contentsOfFile: exercise.path, encoding: .utf8))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot reset '\(path(of: exercise))': \(error.localizedDescription)")
        }
    }

    /// Temporary file and rename: a failed write leaves the previous file whole.
    static func writeAtomically(_ path: String, _ text: String) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw Failure(description: "cannot write '\(path)': \(error.localizedDescription)")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw Failure(description: "cannot write '\(path)': \(reason)")
        }
    }
}

/// A short fingerprint of a file's text (64-bit FNV-1a), to know when a graded copy has changed.
public func fingerprint(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
}
