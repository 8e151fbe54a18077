@testable import DescentCourse
import Foundation
import Testing

/// The shipped lessons folder of this checkout.
let shippedLessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("lessons").path

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "descent-course-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct CatalogTests {
    @Test func shippedExercisesAreComplete() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        for lesson in 1...4 {
            let exercises = catalog.exercises.filter { $0.lesson == lesson }
            #expect(exercises.count >= 4, "lesson \(lesson) has \(exercises.count) exercises")
            for exercise in exercises {
                #expect((1...3).contains(exercise.hints.count), "\(exercise.id) has \(exercise.hints.count) hints")
                #expect(exercise.title.first?.isUppercase == true, "\(exercise.id)'s title")
                let text = try String(contentsOfFile: exercise.path, encoding: .utf8)
                #expect(text.contains("TODO"), "\(exercise.id) marks what to do")
                #expect(text.contains("check"), "\(exercise.id) has checks")
            }
        }
        #expect(Set(catalog.exercises.map(\.id)).count == catalog.exercises.count)
    }

    @Test func exercisesAreFoundByIdNumberOrPrefix() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        let first = catalog.exercises[0]
        #expect(catalog.exercise(named: first.id) == first)
        #expect(catalog.exercise(named: "1.1") == first)
        #expect(catalog.exercise(named: String(first.id.prefix(first.id.count - 1))) == first)
        #expect(catalog.exercise(named: "no-such-exercise") == nil)
    }

    @Test func hintsAndTitlesAreParsed() {
        #expect(exerciseID("03-cosine-formula.dsc") == "cosine-formula")
        #expect(exerciseTitle("# Exercise: write it\n#\nlet x = 1") == "Write it")
        let solution = "# hint: first\n#   continued\n# hint: second\n\nlet x = 1 # hint: not a hint\n"
        #expect(solutionHints(solution) == ["first continued", "second"])
        #expect(solutionBody(solution) == "let x = 1 # hint: not a hint\n")
    }

    @Test func aMissingSolutionIsReported() throws {
        let root = temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/01-topic/exercises", withIntermediateDirectories: true)
        try "# Exercise: x\n".write(toFile: root + "/01-topic/exercises/01-x.dsc", atomically: true, encoding: .utf8)
        #expect(throws: Catalog.Problem.self) { try Catalog(lessonsDirectory: root) }
    }
}

@Suite struct WorkspaceTests {
    @Test func initCopiesEveryExerciseAndNeverOverwrites() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        let root = temporaryFolder() + "/ws"
        let copied = try Workspace.create(at: root, catalog: catalog)
        #expect(copied.count == catalog.exercises.count)
        let workspace = Workspace(root: root)
        let exercise = catalog.exercises[0]
        #expect(workspace.isUntouched(exercise))
        try "my work".write(toFile: workspace.path(of: exercise), atomically: true, encoding: .utf8)
        #expect(!workspace.isUntouched(exercise))
        #expect(try Workspace.create(at: root, catalog: catalog).isEmpty)
        #expect(try workspace.text(of: exercise) == "my work")
        try workspace.reset(exercise)
        #expect(workspace.isUntouched(exercise))
    }

    @Test func initRefusesAForeignFolder() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        let root = temporaryFolder()
        try "x".write(toFile: root + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: Workspace.Failure.self) { try Workspace.create(at: root, catalog: catalog) }
    }

    @Test func workspacesAreFoundFromInsideAndBeside() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        let parent = temporaryFolder()
        let root = parent + "/" + Workspace.defaultName
        try Workspace.create(at: root, catalog: catalog)
        let resolved = URL(fileURLWithPath: root).standardizedFileURL.path
        #expect(Workspace.find(from: root + "/01-learning-rate-decay")?.root == resolved)
        #expect(Workspace.find(from: parent)?.root == resolved)
        #expect(Workspace.find(from: temporaryFolder()) == nil)
    }
}

@Suite struct ProgressTests {
    @Test func roundTripsEverySection() throws {
        let path = temporaryFolder() + "/descent/progress.json"
        var progress = CourseProgress()
        progress.lessons["01-learning-rate-decay.dsc"] = 7
        progress.exercises["cosine-formula"] = .init(status: .done, fingerprint: "abc", hintsShown: 2)
        progress.quizzes["1"] = .init(best: 7, last: 6, total: 8, answers: ["1": true, "2": false])
        try progress.save(to: path)
        let (loaded, problem) = CourseProgress.load(from: path)
        #expect(problem == nil)
        #expect(loaded == progress)
    }

    @Test func aCorruptFileIsReportedWithItsLine() throws {
        let path = temporaryFolder() + "/progress.json"
        try "{\n  \"lessons\": {\"a\": 1,,}\n}".write(toFile: path, atomically: true, encoding: .utf8)
        let (loaded, problem) = CourseProgress.load(from: path)
        #expect(loaded == CourseProgress())
        #expect(problem?.contains("line 2") == true)
        try "[1, 2]".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(CourseProgress.load(from: path).problem?.contains("JSON object") == true)
        try "{\"exercises\": 3}".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(CourseProgress.load(from: path).problem?.contains("exercises") == true)
        #expect(CourseProgress.load(from: path + ".missing").problem == nil)
    }

    @Test func statusFollowsTheGradedText() throws {
        let catalog = try Catalog(lessonsDirectory: shippedLessons)
        let workspace = Workspace(root: temporaryFolder() + "/ws")
        try Workspace.create(at: workspace.root, catalog: catalog)
        let exercise = catalog.exercises[0]
        var progress = CourseProgress()
        #expect(progress.knownStatus(of: exercise, in: workspace) == (true, nil))
        try "edited".write(toFile: workspace.path(of: exercise), atomically: true, encoding: .utf8)
        #expect(progress.knownStatus(of: exercise, in: workspace).known == false)
        progress.recordGrade(exercise, text: "edited", passed: true)
        #expect(progress.knownStatus(of: exercise, in: workspace) == (true, .done))
        try "edited again".write(toFile: workspace.path(of: exercise), atomically: true, encoding: .utf8)
        #expect(progress.knownStatus(of: exercise, in: workspace).known == false)
    }
}
