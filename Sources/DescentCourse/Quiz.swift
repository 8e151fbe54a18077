import Foundation

/// A lesson's quiz, `lessons/NN-topic/quiz.json`: a list of questions, each either multiple
/// choice (`choices` and the index of the right one as `answer`) or numeric (`answer` a number
/// and `tolerance`), with an `explanation` shown after every answer.
public struct Quiz: Sendable {
    public struct Question: Sendable {
        public enum Kind: Sendable, Equatable {
            case choice(options: [String], correct: Int)
            case number(value: Double, tolerance: Double)
        }
        public var text: String
        public var kind: Kind
        public var explanation: String
    }

    public enum Verdict: Sendable, Equatable {
        case right
        case wrong
        /// The answer could not be read (a letter out of range, not a number): ask again.
        case unreadable(String)
    }

    public var lesson: Int
    public var title: String
    public var questions: [Question]

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(path: String, lesson: Int) throws(Problem) {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "cannot read '\(path)'") }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw Problem(description: "\(path): not valid JSON at \(jsonErrorLocation(error, data))")
        }
        guard let object = root as? [String: Any], let items = object["questions"] as? [[String: Any]] else {
            throw Problem(description: "\(path): expected an object with a 'questions' list")
        }
        self.lesson = lesson
        title = object["title"] as? String ?? "Lesson \(lesson)"
        questions = try items.enumerated().map { (index, item) throws(Problem) -> Question in
            let place = "\(path): question \(index + 1)"
            guard let text = item["question"] as? String, let explanation = item["explanation"] as? String else {
                throw Problem(description: "\(place) needs 'question' and 'explanation'")
            }
            if let options = item["choices"] as? [String] {
                guard let correct = item["answer"] as? Int, options.indices.contains(correct), options.count >= 2 else {
                    throw Problem(description: "\(place): 'answer' must be the index (from 0) of one of at least two choices")
                }
                return Question(text: text, kind: .choice(options: options, correct: correct), explanation: explanation)
            }
            guard let value = (item["answer"] as? NSNumber)?.doubleValue else {
                throw Problem(description: "\(place) needs 'choices' or a numeric 'answer'")
            }
            let tolerance = (item["tolerance"] as? NSNumber)?.doubleValue ?? 0
            return Question(text: text, kind: .number(value: value, tolerance: tolerance), explanation: explanation)
        }
    }

    /// Every lesson's quiz under a lessons folder, by lesson number.
    public static func all(in catalog: Catalog) throws(Problem) -> [Quiz] {
        var quizzes: [Quiz] = []
        for (number, folder) in catalog.lessonFolders {
            let path = "\(catalog.lessonsDirectory)/\(folder)/quiz.json"
            if FileManager.default.fileExists(atPath: path) { quizzes.append(try Quiz(path: path, lesson: number)) }
        }
        return quizzes
    }
}

extension Quiz.Question {
    /// Grades a typed answer: a letter (`b`), a choice's number (`2`) or its exact text for
    /// multiple choice; a number (`0.035`, `3.5e-2`, `3.5%`) for a numeric question.
    public func grade(_ answer: String) -> Quiz.Verdict {
        let typed = answer.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .choice(let options, let correct):
            let letters = options.indices.map { String(UnicodeScalar(UInt8(97 + $0))) }
            let chosen: Int?
            if let index = letters.firstIndex(of: typed.lowercased()) {
                chosen = index
            } else if let number = Int(typed), (1...options.count).contains(number) {
                chosen = number - 1
            } else {
                chosen = options.firstIndex { $0.caseInsensitiveCompare(typed) == .orderedSame }
            }
            guard let chosen else {
                return .unreadable("answer with a letter from a to \(letters.last!)")
            }
            return chosen == correct ? .right : .wrong
        case .number(let value, let tolerance):
            var text = typed.replacingOccurrences(of: ",", with: "")
            var scale = 1.0
            if text.hasSuffix("%") { text.removeLast(); scale = 0.01 }
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
                return .unreadable("answer with a number, such as 0.25 or 2.5e-1")
            }
            return Swift.abs(number * scale - value) <= tolerance ? .right : .wrong
        }
    }

    /// The right answer, as shown after a wrong one: "(b) saddle points".
    public var rightAnswer: String {
        switch kind {
        case .choice(let options, let correct): return "(\(String(UnicodeScalar(UInt8(97 + correct))))) \(options[correct])"
        case .number(let value, let tolerance):
            return tolerance > 0 ? "\(formatAnswer(value)) (within \(formatAnswer(tolerance)))" : formatAnswer(value)
        }
    }
}

private func formatAnswer(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
}
