#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import DescentLanguage

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

var command: ParsableCommand
do {
    command = try DescentCommand.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
    if !(command is DescentCommand || command is RunCommand || command is LessonCommand || command is ExportCommand) {
        try command.run()  // ArgumentParser's own `help` command: it reports through a thrown error
        exit(0)
    }
} catch {
    exitForParseError(error)
}

setInterruptDelivery(blocked: true)
let status = runOnLargeStack { () -> Int32 in
    setInterruptDelivery(blocked: false)
    switch command {
    case let run as RunCommand: return run.execute()
    case let lesson as LessonCommand: return lesson.execute()
    case let export as ExportCommand: return export.execute()
    case let root as DescentCommand: return root.execute()
    default: return 2
    }
}
exit(status)
