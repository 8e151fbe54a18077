import Foundation

/// One self-graded exercise as shipped: `lessons/NN-topic/exercises/MM-name.dsc`, its reference
/// solution `lessons/NN-topic/solutions/MM-name.dsc` and up to three hints, kept in the solution's
/// leading `# hint:` lines so that they travel with it.
public struct Exercise: Sendable, Equatable {
    /// The name learners type: the file name without its order prefix and extension (`exponential-by-hand`).
    public var id: String
    /// `1.2`: lesson 1, second exercise; accepted wherever an id is.
    public var number: String
    public var lesson: Int
    /// The lesson folder (`01-learning-rate-decay`), also the folder of the copy in a workspace.
    public var lessonFolder: String
    public var fileName: String
    public var title: String
    public var path: String
    public var solutionPath: String
    public var hints: [String]
}

/// Every exercise and quiz shipped under a lessons folder, in lesson and file-name order.
public struct Catalog: Sendable {
    public var lessonsDirectory: String
    public var exercises: [Exercise]

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(lessonsDirectory: String) throws {
        self.lessonsDirectory = lessonsDirectory
        let manager = FileManager.default
        var found: [Exercise] = []
        for folder in (try? manager.contentsOfDirectory(atPath: lessonsDirectory))?.sorted() ?? [] {
            guard let lesson = leadingNumber(folder) else { continue }
            let exerciseFolder = "\(lessonsDirectory)/\(folder)/exercises"
            let names = ((try? manager.contentsOfDirectory(atPath: exerciseFolder)) ?? []).filter { $0.hasSuffix(".dsc") }.sorted()
            for (index, name) in names.enumerated() {
                let path = "\(exerciseFolder)/\(name)"
                let solutionPath = "\(lessonsDirectory)/\(folder)/solutions/\(name)"
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw Problem(description: "cannot read the exercise '\(path)'")
                }
                guard let solution = try? String(contentsOfFile: solutionPath, encoding: .utf8) else {
                    throw Problem(description: "the exercise '\(path)' has no solution '\(solutionPath)'")
                }
                found.append(Exercise(
                    id: exerciseID(name), number: "\(lesson).\(index + 1)", lesson: lesson, lessonFolder: folder,
                    fileName: name, title: exerciseTitle(text) ?? exerciseID(name), path: path, solutionPath: solutionPath,
                    hints: solutionHints(solution)))
            }
        }
        var seen: Set<String> = []
        for exercise in found where !seen.insert(exercise.id).inserted {
            throw Problem(description: "two exercises are called '\(exercise.id)'; ids must be unique across lessons")
        }
        exercises = found
    }

    /// An exercise by id (`exponential-by-hand`), number (`1.2`) or unambiguous id prefix.
    public func exercise(named name: String) -> Exercise? {
        if let exact = exercises.first(where: { $0.id == name || $0.number == name }) { return exact }
        let matches = exercises.filter { $0.id.hasPrefix(name) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The lessons that have exercises or a quiz, by number, with their folder names.
    public var lessonFolders: [(number: Int, folder: String)] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: lessonsDirectory))?.sorted() ?? []
        return folders.compactMap { folder in
            var isDirectory: ObjCBool = false
            guard let number = leadingNumber(folder),
                  FileManager.default.fileExists(atPath: "\(lessonsDirectory)/\(folder)", isDirectory: &isDirectory),
                  isDirectory.boolValue else { return nil }
            return (number, folder)
        }
    }
}

/// `3` for `03-hyperparameter-search`; nil for a name that does not start with digits and a dash.
func leadingNumber(_ name: String) -> Int? {
    let digits = name.prefix { $0.isNumber }
    guard !digits.isEmpty, name.dropFirst(digits.count).first == "-" else { return nil }
    return Int(digits)
}

/// `exponential-by-hand` for `01-exponential-by-hand.dsc`.
func exerciseID(_ fileName: String) -> String {
    var name = fileName.hasSuffix(".dsc") ? String(fileName.dropLast(4)) : fileName
    if leadingNumber(name) != nil { name = String(name.drop { $0.isNumber }.dropFirst()) }
    return name
}

/// The text after `# Exercise:` on the first lines of an exercise.
func exerciseTitle(_ text: String) -> String? {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(5) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("# exercise:") {
            let title = trimmed.dropFirst("# exercise:".count).trimmingCharacters(in: .whitespaces)
            return title.prefix(1).uppercased() + title.dropFirst()
        }
    }
    return nil
}

/// The `# hint:` lines at the top of a solution, in order; a hint may continue on `#   ` lines.
func solutionHints(_ text: String) -> [String] {
    var hints: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("# hint:") {
            hints.append(trimmed.dropFirst("# hint:".count).trimmingCharacters(in: .whitespaces))
        } else if !hints.isEmpty, trimmed.hasPrefix("#  "), !trimmed.dropFirst(1).trimmingCharacters(in: .whitespaces).isEmpty {
            hints[hints.count - 1] += " " + trimmed.dropFirst(1).trimmingCharacters(in: .whitespaces)
        } else if !hints.isEmpty {
            break
        }
    }
    return hints
}

/// A solution without its hint lines: what `descent solution` shows.
public func solutionBody(_ text: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    while let first = lines.first, first.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("# hint:")
            || (first.hasPrefix("#  ") && !first.dropFirst(1).trimmingCharacters(in: .whitespaces).isEmpty) {
        lines.removeFirst()
    }
    while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
    return lines.joined(separator: "\n")
}
