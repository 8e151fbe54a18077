#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import DescentCourse
import DescentLanguage
import Foundation

/// What every course command needs: the shipped catalogue, the learner's workspace and progress.
struct Course {
    let catalog: Catalog
    let workspace: Workspace
    var progress: CourseProgress
    let color = Terminal.wantsColor(1)

    /// Finds the catalogue and the workspace (`--workspace`, else the one holding the current
    /// folder, else ./descent-exercises), and loads the progress, rebuilding it by grading every
    /// changed exercise when the file is corrupt.
    static func open(workspace explicit: String?) -> Result<Course, CourseError> {
        // Ctrl-C stops a running exercise (it is reported as interrupted) rather than the process.
        installInterruptHandler(restart: true)
        let catalog: Catalog
        switch loadCatalog() {
        case .success(let found): catalog = found
        case .failure(let error): return .failure(error)
        }
        let workspace: Workspace
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit + "/" + Workspace.markerName) else {
                return .failure(CourseError("'\(explicit)' is not a Descent workspace; create one with 'descent init \(explicit)'"))
            }
            workspace = Workspace(root: explicit)
        } else if let found = Workspace.find(from: FileManager.default.currentDirectoryPath) {
            workspace = found
        } else {
            return .failure(CourseError("no exercise workspace here; create one with 'descent init' (it makes ./\(Workspace.defaultName))"))
        }
        let (progress, problem) = CourseProgress.load()
        var course = Course(catalog: catalog, workspace: workspace, progress: progress)
        if let problem {
            Terminal.write(2, "warning: \(problem); rebuilding it from the workspace\n")
            for exercise in catalog.exercises where !workspace.isUntouched(exercise) {
                _ = course.grade(exercise, show: .nothing)
            }
            course.save()
        }
        return .success(course)
    }

    static func loadCatalog() -> Result<Catalog, CourseError> {
        guard let directory = lessonsDirectory() else {
            return .failure(CourseError("cannot find the lessons folder (set DESCENT_DATA to lessons/data of a Descent checkout)"))
        }
        do { return .success(try Catalog(lessonsDirectory: directory)) } catch {
            return .failure(CourseError("\(error)"))
        }
    }

    func exercise(_ name: String) -> Result<Exercise, CourseError> {
        if let found = catalog.exercise(named: name) { return .success(found) }
        let close = suggestion(for: name, among: catalog.exercises.map(\.id))
        return .failure(CourseError("there is no exercise '\(name)'\(close) ('descent exercises' lists them)"))
    }

    mutating func save() {
        do { try progress.save() } catch { Terminal.write(2, "warning: \(error.description)\n") }
    }

    enum Shown { case nothing, failures, everything }

    /// Grades the workspace copy, records the result, and shows what `show` asks for: the
    /// script's own output and its failed checks located in the learner's file.
    mutating func grade(_ exercise: Exercise, show: Shown) -> Grade {
        let path = workspace.path(of: exercise)
        let text: String
        do { text = try workspace.text(of: exercise) } catch {
            Terminal.write(2, "error: \(error.description)\n")
            return Grade(checks: [], error: Diagnostic(error.description, at: nil))
        }
        let quiet = show != .everything
        let grader = Grader {
            guard quiet else { return makeInterpreter() }
            let interpreter = Interpreter(output: Output(flushesEveryWrite: false) { _ in }, interrupt: interruptFlag)
            interpreter.dataDirectory = dataDirectory()
            interpreter.defaultWorkers = coreCount()
            return interpreter
        }
        let (grade, interpreter) = grader.grade(text, name: path) { result, interpreter in
            if !result.passed && show == .everything { report(result.diagnostic, interpreter) }
        }
        if show == .failures {
            for check in grade.failedChecks { report(check.diagnostic, interpreter) }
        }
        if show != .nothing, let error = grade.error { report(error, interpreter) }
        if !grade.interrupted {
            progress.recordGrade(exercise, text: text, passed: grade.passed)
        }
        return grade
    }

    /// done / failing / not started, grading copies changed since they were last graded.
    mutating func status(_ exercise: Exercise) -> CourseProgress.Status? {
        let known = progress.knownStatus(of: exercise, in: workspace)
        if known.known { return known.status }
        return grade(exercise, show: .nothing).passed ? .done : .failing
    }

    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func mark(_ status: CourseProgress.Status?) -> String {
        switch status {
        case .done: return paint("✓ done       ", "32")
        case .failing: return paint("✗ failing    ", "31")
        case nil: return paint("· not started", "2")
        }
    }

    /// `[#########-----------] 7/16 done`
    func progressBar(done: Int, total: Int) -> String {
        let width = 24
        let filled = total == 0 ? 0 : width * done / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(done)/\(total) done"
    }

    func hintText(_ exercise: Exercise, upTo count: Int) -> String {
        exercise.hints.prefix(count).enumerated().map { "Hint \($0.offset + 1)/\(exercise.hints.count): \($0.element)" }.joined(separator: "\n")
    }
}

struct CourseError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Shared by the course commands: `--workspace DIR`.
struct WorkspaceOption: ParsableArguments {
    @Option(name: .customLong("workspace"), help: ArgumentHelp("The exercise workspace (default: the one holding the current folder, else ./descent-exercises).", valueName: "DIR"))
    var path: String?

    func open() -> Course? {
        switch Course.open(workspace: path) {
        case .success(let course): return course
        case .failure(let error):
            Terminal.write(2, "error: \(error.message)\n")
            return nil
        }
    }

    /// The course and the exercise named `id`, or nil after saying what is wrong.
    func open(exercise id: String) -> (Course, Exercise)? {
        guard let course = open() else { return nil }
        switch course.exercise(id) {
        case .success(let exercise): return (course, exercise)
        case .failure(let error):
            Terminal.write(2, "error: \(error.message)\n")
            return nil
        }
    }
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an exercise workspace with a copy of every exercise.",
        discussion: "Edit the copies, then 'descent grade' or 'descent watch'. Running init again on a workspace adds new exercises and never overwrites your work.")

    @Argument(help: ArgumentHelp("Where to create it.", valueName: "DIR"))
    var directory: String = Workspace.defaultName

    func execute() -> Int32 {
        let catalog: Catalog
        switch Course.loadCatalog() {
        case .success(let found): catalog = found
        case .failure(let error):
            Terminal.write(2, "error: \(error.message)\n")
            return 1
        }
        do {
            let copied = try Workspace.create(at: directory, catalog: catalog)
            let kept = catalog.exercises.count - copied.count
            Terminal.write(1, "\(directory): copied \(describeCount(copied.count, "exercise"))\(kept > 0 ? ", kept your \(kept) existing" : "").\n")
            Terminal.write(1, "Next: cd \(directory) && descent exercises   (then edit a file and run 'descent grade ID', or 'descent watch')\n")
            return 0
        } catch {
            Terminal.write(2, "error: \(error.description)\n")
            return 1
        }
    }
}

struct ExercisesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercises", abstract: "List the exercises with their status and your progress.")

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        guard var course = workspace.open() else { return 1 }
        var done = 0
        var lesson = -1
        for exercise in course.catalog.exercises {
            if exercise.lesson != lesson {
                lesson = exercise.lesson
                Terminal.write(1, course.paint("Lesson \(lesson) (\(exercise.lessonFolder))", "1") + "\n")
            }
            let status = course.status(exercise)
            if status == .done { done += 1 }
            Terminal.write(1, "  \(course.mark(status))  \(exercise.number.padding(toLength: 5, withPad: " ", startingAt: 0)) \(exercise.id.padding(toLength: 28, withPad: " ", startingAt: 0)) \(exercise.title)\n")
        }
        course.save()
        Terminal.write(1, "\n" + course.progressBar(done: done, total: course.catalog.exercises.count) + "   workspace: \(course.workspace.root)\n")
        return 0
    }
}

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Run one exercise (with its output) or all of them, and report which pass.",
        discussion: "Exit status: 0 when every graded exercise passes, 1 otherwise.")

    @Argument(help: ArgumentHelp("An exercise id or number (default: all).", valueName: "ID"))
    var id: String?

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        if let id {
            guard let (opened, exercise) = workspace.open(exercise: id) else { return 1 }
            var course = opened
            defer { course.save() }
            Terminal.write(1, course.paint("\(exercise.number) \(exercise.id): \(exercise.title)", "1") + "\n")
            let grade = course.grade(exercise, show: .everything)
            if grade.interrupted { return 130 }
            Terminal.write(1, grade.passed ? course.paint("✓ passed", "32") + " (\(grade.summary))\n"
                                           : course.paint("✗ not yet", "31") + " (\(grade.summary)); 'descent hint \(exercise.id)' helps\n")
            return grade.passed ? 0 : 1
        }
        guard var course = workspace.open() else { return 1 }
        defer { course.save() }
        var passed = 0
        for exercise in course.catalog.exercises {
            if course.workspace.isUntouched(exercise) {
                Terminal.write(1, "\(course.mark(nil))  \(exercise.id)\n")
                course.progress.recordGrade(exercise, text: (try? course.workspace.text(of: exercise)) ?? "", passed: false)
                continue
            }
            let grade = course.grade(exercise, show: .nothing)
            if grade.interrupted {
                Terminal.write(1, "interrupted\n")
                return 130
            }
            if grade.passed { passed += 1 }
            Terminal.write(1, "\(course.mark(grade.passed ? .done : .failing))  \(exercise.id)  \(course.paint(grade.summary, "2"))\n")
        }
        Terminal.write(1, "\n" + course.progressBar(done: passed, total: course.catalog.exercises.count) + "\n")
        return passed == course.catalog.exercises.count ? 0 : 1
    }
}

struct HintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hint", abstract: "Show the next hint for an exercise (up to three, each more specific).")

    @Argument(help: ArgumentHelp("An exercise id or number.", valueName: "ID"))
    var id: String

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        guard let (opened, exercise) = workspace.open(exercise: id) else { return 1 }
        var course = opened
        Terminal.write(1, course.revealHint(exercise))
        course.save()
        return 0
    }
}

extension Course {
    /// Reveals one more hint and returns every hint shown so far, or says there are no more.
    mutating func revealHint(_ exercise: Exercise) -> String {
        var record = progress.exercises[exercise.id] ?? CourseProgress.ExerciseRecord()
        guard !exercise.hints.isEmpty else { return "This exercise has no hints.\n" }
        if record.hintsShown >= exercise.hints.count {
            return hintText(exercise, upTo: exercise.hints.count)
                + "\nThat was the last hint; 'descent solution \(exercise.id) --force' shows the reference solution.\n"
        }
        record.hintsShown += 1
        progress.exercises[exercise.id] = record
        return hintText(exercise, upTo: record.hintsShown) + "\n"
    }
}

struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Restore an exercise's original file (your changes are lost).")

    @Argument(help: ArgumentHelp("An exercise id or number.", valueName: "ID"))
    var id: String

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        guard let (opened, exercise) = workspace.open(exercise: id) else { return 1 }
        var course = opened
        do { try course.workspace.reset(exercise) } catch {
            Terminal.write(2, "error: \(error.description)\n")
            return 1
        }
        course.progress.exercises[exercise.id]?.status = nil
        course.progress.exercises[exercise.id]?.fingerprint = nil
        course.save()
        Terminal.write(1, "\(course.workspace.path(of: exercise)) is back to its original.\n")
        return 0
    }
}

struct SolutionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solution", abstract: "Show an exercise's reference solution, once your own passes.")

    @Argument(help: ArgumentHelp("An exercise id or number.", valueName: "ID"))
    var id: String

    @Flag(name: .customLong("force"), help: "Show it even though the exercise does not pass yet.")
    var force = false

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        guard let (opened, exercise) = workspace.open(exercise: id) else { return 1 }
        var course = opened
        defer { course.save() }
        if !force && course.status(exercise) != .done {
            Terminal.write(2, "error: '\(exercise.id)' does not pass yet; solve it first ('descent hint \(exercise.id)' helps), or use --force\n")
            return 1
        }
        guard let text = try? String(contentsOfFile: exercise.solutionPath, encoding: .utf8) else {
            Terminal.write(2, "error: cannot read '\(exercise.solutionPath)'\n")
            return 1
        }
        Terminal.write(1, course.paint("Reference solution of \(exercise.id) (\(exercise.solutionPath)):", "1") + "\n" + solutionBody(text))
        return 0
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Grade the current exercise every time you save it; move on when it passes.",
        discussion: "Keys: h shows the next hint, l lists the exercises, n skips to the next one, q quits (Ctrl-C too).")

    @Argument(help: ArgumentHelp("Start with this exercise (default: the first that does not pass).", valueName: "ID"))
    var id: String?

    @OptionGroup var workspace: WorkspaceOption

    func execute() -> Int32 {
        var course: Course
        var current: Exercise
        if let id {
            guard let (opened, exercise) = workspace.open(exercise: id) else { return 1 }
            (course, current) = (opened, exercise)
        } else {
            guard let opened = workspace.open() else { return 1 }
            course = opened
            guard let first = course.nextUnfinished(after: nil) else {
                Terminal.write(1, course.paint("Every exercise passes. Well done!", "1;32") + "\n")
                return 0
            }
            current = first
        }
        defer { course.save() }
        while true {
            let path = course.workspace.path(of: current)
            Terminal.write(1, "\n" + course.paint("── \(current.number) \(current.id): \(current.title)", "1") + "\n" + course.paint("   \(path)", "2") + "\n")
            let grade = course.grade(current, show: .everything)
            course.save()
            if grade.passed {
                Terminal.write(1, course.paint("✓ passed", "32") + " (\(grade.summary))\n")
                guard let next = course.nextUnfinished(after: current) else {
                    Terminal.write(1, course.paint("Every exercise passes. Well done!", "1;32") + "\n")
                    return 0
                }
                Terminal.write(1, "Next: \(next.id)\n")
                current = next
                continue
            }
            Terminal.write(1, course.paint("✗ not yet", "31") + " (\(grade.summary)). Save the file to check again; h hint, l list, n next, q quit\n")
            let stamp = modificationStamp(path)
            waiting: while true {
                switch Terminal.readKey(timeoutMilliseconds: 200) {
                case .end, .key("q"):
                    return 0
                case .key("h"):
                    Terminal.write(1, course.revealHint(current))
                    course.save()
                case .key("l"):
                    for exercise in course.catalog.exercises {
                        let marker = exercise == current ? "▶" : " "
                        Terminal.write(1, "\(marker) \(course.mark(course.status(exercise)))  \(exercise.id)\n")
                    }
                case .key("n"):
                    current = course.nextUnfinished(after: current) ?? current
                    break waiting
                case .key, .timeout:
                    if modificationStamp(path) != stamp { break waiting }
                }
            }
        }
    }
}

/// When a file last changed and how big it is: editors that save by renaming change both.
private func modificationStamp(_ path: String) -> [Int] {
    var info = stat()
    guard stat(path, &info) == 0 else { return [] }
    return [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_size), Int(info.st_ino)]
}

extension Course {
    /// The first exercise after `exercise` (or from the start) that does not pass yet, wrapping around.
    mutating func nextUnfinished(after exercise: Exercise?) -> Exercise? {
        let all = catalog.exercises
        let start = exercise.flatMap { current in all.firstIndex { $0.id == current.id } }.map { $0 + 1 } ?? 0
        for offset in 0..<all.count {
            let candidate = all[(start + offset) % all.count]
            if candidate.id == exercise?.id { continue }
            if status(candidate) != .done { return candidate }
        }
        return nil
    }
}

struct QuizCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quiz",
        abstract: "Answer a lesson's quiz; each answer is graded at once and explained.",
        discussion: "Answer multiple-choice questions with a letter, numeric ones with a number. Without N, the first quiz you have not yet answered perfectly.")

    @Argument(help: ArgumentHelp("The lesson's number.", valueName: "N"))
    var lesson: Int?

    func execute() -> Int32 {
        let catalog: Catalog
        switch Course.loadCatalog() {
        case .success(let found): catalog = found
        case .failure(let error):
            Terminal.write(2, "error: \(error.message)\n")
            return 1
        }
        let quizzes: [Quiz]
        do { quizzes = try Quiz.all(in: catalog) } catch {
            Terminal.write(2, "error: \(error.description)\n")
            return 1
        }
        var (progress, problem) = CourseProgress.load()
        if let problem { Terminal.write(2, "warning: \(problem); starting it afresh\n") }
        let color = Terminal.wantsColor(1)
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let chosen: Quiz
        if let lesson {
            guard let quiz = quizzes.first(where: { $0.lesson == lesson }) else {
                Terminal.write(2, "error: there is no quiz for lesson \(lesson); the quizzes are for lessons \(quizzes.map { String($0.lesson) }.joined(separator: ", "))\n")
                return 2
            }
            chosen = quiz
        } else if let next = quizzes.first(where: { quiz in (progress.quizzes[String(quiz.lesson)]?.best ?? 0) < quiz.questions.count }) {
            chosen = next
        } else {
            for quiz in quizzes {
                Terminal.write(1, "  \(quiz.lesson)  \(quiz.title)  best \(progress.quizzes[String(quiz.lesson)]?.best ?? 0)/\(quiz.questions.count)\n")
            }
            Terminal.write(1, "Every quiz answered perfectly; 'descent quiz N' takes one again.\n")
            return 0
        }
        Terminal.write(1, paint("Quiz \(chosen.lesson): \(chosen.title)", "1") + "  (\(describeCount(chosen.questions.count, "question")); Ctrl-D stops)\n")
        var record = progress.quizzes[String(chosen.lesson)] ?? CourseProgress.QuizRecord()
        var right = 0
        var answered = 0
        questions: for (index, question) in chosen.questions.enumerated() {
            Terminal.write(1, "\n" + paint("\(index + 1)/\(chosen.questions.count). ", "1") + question.text + "\n")
            if case .choice(let options, _) = question.kind {
                for (letter, option) in options.enumerated() {
                    Terminal.write(1, "   \(String(UnicodeScalar(UInt8(97 + letter))))) \(option)\n")
                }
            }
            while true {
                Terminal.write(1, "answer> ")
                guard let line = readLine() else {
                    Terminal.write(1, "\n")
                    break questions
                }
                switch question.grade(line) {
                case .unreadable(let advice):
                    Terminal.write(1, "Please \(advice).\n")
                    continue
                case .right:
                    right += 1
                    record.answers[String(index + 1)] = true
                    Terminal.write(1, paint("✓ right. ", "32") + question.explanation + "\n")
                case .wrong:
                    record.answers[String(index + 1)] = false
                    Terminal.write(1, paint("✗ the answer is \(question.rightAnswer). ", "31") + question.explanation + "\n")
                }
                answered += 1
                break
            }
        }
        record.total = chosen.questions.count
        if answered == chosen.questions.count {
            record.last = right
            record.best = max(record.best, right)
        }
        progress.quizzes[String(chosen.lesson)] = record
        do { try progress.save() } catch { Terminal.write(2, "warning: \(error.description)\n") }
        let finished = answered == chosen.questions.count
        Terminal.write(1, "\n" + paint("Score: \(right)/\(finished ? chosen.questions.count : answered)", "1")
            + (finished ? "  (best \(record.best)/\(chosen.questions.count))" : "  (stopped after \(describeCount(answered, "question")))") + "\n")
        return 0
    }
}
