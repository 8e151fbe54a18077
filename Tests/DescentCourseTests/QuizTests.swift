import DescentCourse
import Foundation
import Testing

@Suite struct QuizTests {
    func quiz(_ json: String) throws -> Quiz {
        let path = NSTemporaryDirectory() + "quiz-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try Quiz(path: path, lesson: 1)
    }

    @Test func choicesAcceptLettersNumbersAndText() throws {
        let question = try quiz(#"{"questions": [{"question": "q", "choices": ["a saddle", "a minimum"], "answer": 0, "explanation": "e"}]}"#).questions[0]
        #expect(question.grade("a") == .right)
        #expect(question.grade(" A ") == .right)
        #expect(question.grade("1") == .right)
        #expect(question.grade("a minimum") == .wrong)
        #expect(question.grade("b") == .wrong)
        if case .unreadable = question.grade("c") {} else { Issue.record("c is out of range") }
        #expect(question.rightAnswer == "(a) a saddle")
    }

    @Test func numbersAcceptToleranceAndPercent() throws {
        let question = try quiz(#"{"questions": [{"question": "q", "answer": 0.0349, "tolerance": 0.0005, "explanation": "e"}]}"#).questions[0]
        #expect(question.grade("0.035") == .right)
        #expect(question.grade("3.49%") == .right)
        #expect(question.grade("3.49e-2") == .right)
        #expect(question.grade("0.04") == .wrong)
        if case .unreadable = question.grade("about a third") {} else { Issue.record("words are not a number") }
    }

    @Test func malformedQuizzesAreLocated() throws {
        #expect(throws: Quiz.Problem.self) { try quiz(#"{"questions": [{"question": "q"}]}"#) }
        do {
            _ = try quiz("{\n  \"questions\": [,]\n}")
            Issue.record("malformed JSON was accepted")
        } catch {
            #expect("\(error)".contains("line 2"))
        }
    }
}
