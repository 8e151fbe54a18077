import Foundation

/// Everything Descent remembers about a learner, in one JSON file
/// (`$XDG_DATA_HOME/descent/progress.json`): how far each lesson got, each exercise's last grade
/// and hints revealed, and quiz results. Written whole and atomically after every change.
public struct CourseProgress: Sendable, Equatable {
    public enum Status: String, Sendable { case done, failing }

    public struct ExerciseRecord: Sendable, Equatable {
        /// The grade of the copy whose text had this fingerprint.
        public var status: Status?
        public var fingerprint: String?
        public var hintsShown = 0
        public init(status: Status? = nil, fingerprint: String? = nil, hintsShown: Int = 0) {
            self.status = status; self.fingerprint = fingerprint; self.hintsShown = hintsShown
        }
    }

    public struct QuizRecord: Sendable, Equatable {
        public var best = 0
        public var last = 0
        public var total = 0
        /// Question number (from 1) to whether the last answer was right.
        public var answers: [String: Bool] = [:]
        public init(best: Int = 0, last: Int = 0, total: Int = 0, answers: [String: Bool] = [:]) {
            self.best = best; self.last = last; self.total = total; self.answers = answers
        }
    }

    public var lessons: [String: Int] = [:]
    public var exercises: [String: ExerciseRecord] = [:]
    public var quizzes: [String: QuizRecord] = [:]

    public init() {}

    /// The default location, following the XDG base directory convention.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].map { $0 + "/.local/share" } ?? ".")
        return base + "/descent/progress.json"
    }

    /// Reads the file. A missing file is no progress; an unreadable or malformed one is also no
    /// progress, with the reason in `problem` so the caller can say so and rebuild it.
    public static func load(from path: String = defaultPath) -> (progress: CourseProgress, problem: String?) {
        guard FileManager.default.fileExists(atPath: path) else { return (CourseProgress(), nil) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return (CourseProgress(), "cannot read '\(path)'")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            return (CourseProgress(), "'\(path)' is not valid JSON at \(jsonErrorLocation(error, data))")
        }
        guard let root = object as? [String: Any] else { return (CourseProgress(), "'\(path)' does not hold a JSON object") }
        var progress = CourseProgress()
        var malformed: [String] = []
        if let lessons = root["lessons"] {
            if let lessons = lessons as? [String: Int] { progress.lessons = lessons } else { malformed.append("lessons") }
        }
        if let exercises = root["exercises"] {
            if let exercises = exercises as? [String: [String: Any]] {
                for (id, fields) in exercises {
                    progress.exercises[id] = ExerciseRecord(
                        status: (fields["status"] as? String).flatMap(Status.init(rawValue:)),
                        fingerprint: fields["fingerprint"] as? String,
                        hintsShown: fields["hints_shown"] as? Int ?? 0)
                }
            } else { malformed.append("exercises") }
        }
        if let quizzes = root["quizzes"] {
            if let quizzes = quizzes as? [String: [String: Any]] {
                for (lesson, fields) in quizzes {
                    progress.quizzes[lesson] = QuizRecord(
                        best: fields["best"] as? Int ?? 0, last: fields["last"] as? Int ?? 0,
                        total: fields["total"] as? Int ?? 0, answers: fields["answers"] as? [String: Bool] ?? [:])
                }
            } else { malformed.append("quizzes") }
        }
        return (progress, malformed.isEmpty ? nil : "'\(path)' has a malformed \(malformed.joined(separator: " and ")) section")
    }

    public func save(to path: String = defaultPath) throws(Workspace.Failure) {
        var exerciseObjects: [String: Any] = [:]
        for (id, record) in exercises {
            var fields: [String: Any] = ["hints_shown": record.hintsShown]
            if let status = record.status { fields["status"] = status.rawValue }
            if let fingerprint = record.fingerprint { fields["fingerprint"] = fingerprint }
            exerciseObjects[id] = fields
        }
        var quizObjects: [String: Any] = [:]
        for (lesson, record) in quizzes {
            quizObjects[lesson] = ["best": record.best, "last": record.last, "total": record.total, "answers": record.answers]
        }
        let root: [String: Any] = ["lessons": lessons, "exercises": exerciseObjects, "quizzes": quizObjects]
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]) } catch {
            throw Workspace.Failure(description: "cannot encode the progress: \(error.localizedDescription)")
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw Workspace.Failure(description: "cannot create the folder of '\(path)': \(error.localizedDescription)")
        }
        try Workspace.writeAtomically(path, String(decoding: data, as: UTF8.self) + "\n")
    }

    /// The status a workspace copy has now: nil (not started) when untouched; the recorded grade
    /// when it was graded with exactly this text; otherwise unknown until graded again.
    public func knownStatus(of exercise: Exercise, in workspace: Workspace) -> (known: Bool, status: Status?) {
        if workspace.isUntouched(exercise) { return (true, nil) }
        guard let text = try? workspace.text(of: exercise), let record = exercises[exercise.id],
              record.fingerprint == fingerprint(text) else { return (false, nil) }
        return (true, record.status)
    }

    public mutating func recordGrade(_ exercise: Exercise, text: String, passed: Bool) {
        var record = exercises[exercise.id] ?? ExerciseRecord()
        record.status = passed ? .done : .failing
        record.fingerprint = fingerprint(text)
        exercises[exercise.id] = record
    }
}

/// "line 2, column 22: Invalid value" for a JSON syntax error: Foundation reports a character
/// offset, learners and editors think in lines.
func jsonErrorLocation(_ error: Error, _ data: Data) -> String {
    let description = (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
    guard let range = description.range(of: "character "),
          let offset = Int(description[range.upperBound...].prefix { $0.isNumber }) else { return description }
    var line = 1, column = 1
    for character in String(decoding: data, as: UTF8.self).prefix(offset) {
        if character == "\n" { line += 1; column = 1 } else { column += 1 }
    }
    let reason = description.components(separatedBy: " around").first ?? description
    return "line \(line), column \(column): \(reason)"
}
