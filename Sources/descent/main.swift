#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import DescentLanguage
import DescentTensor

// Parse on the main thread, run on a thread with a large stack; SIGINT is delivered only there.
/// Prints ArgumentParser's message for a parse error, help or version request, and exits:
/// 0 for help and version, 2 for a usage mistake.
func exitForParseError(_ error: Error) -> Never {
    let code = DescentCommand.exitCode(for: error)
    let message = DescentCommand.fullMessage(for: error)
    if code == .success {
        Terminal.write(1, message + "\n")
        exit(0)
    }
    Terminal.write(2, message + "\n")
    exit(code == .validationFailure ? 2 : code.rawValue)
}

/// A command that runs on the evaluator thread and returns the process's exit status.
protocol Executable { func execute() -> Int32 }
extension DescentCommand: Executable {}
extension RunCommand: Executable {}
extension LessonCommand: Executable {}
extension ExportCommand: Executable {}
extension InitCommand: Executable {}
extension ExercisesCommand: Executable {}
extension GradeCommand: Executable {}
extension HintCommand: Executable {}
extension WatchCommand: Executable {}
extension ResetCommand: Executable {}
extension SolutionCommand: Executable {}
extension QuizCommand: Executable {}

BLASThreading.startOnOneThread()
var command: ParsableCommand
do {
    command = try DescentCommand.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
    if !(command is Executable) {
        try command.run()  // ArgumentParser's own `help` command: it reports through a thrown error
        exit(0)
    }
} catch {
    exitForParseError(error)
}

setInterruptDelivery(blocked: true)
let status = runOnLargeStack { () -> Int32 in
    setInterruptDelivery(blocked: false)
    return (command as? Executable)?.execute() ?? 2
}
exit(status)
