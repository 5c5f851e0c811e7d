import ArgumentParser
import Foundation
import SpoolCore

/// The entry point of `spoolctl` and `spool-trainer`: ArgumentParser's, except that an error from Foundation
/// or the system (a file that is missing, a folder that exists) is said as `ErrorText` words it, never as
/// `NSCocoaErrorDomain Code=516`, a misspelt subcommand gets the nearest one (`UnknownCommand`), and the usage
/// line is wrapped as the rest of the help (`HelpText`).
public enum CommandMain {
    public static func run<Command: ParsableCommand>(_ command: Command.Type) -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var parsed: ParsableCommand
        do {
            parsed = try command.parseAsRoot(arguments)
        } catch {
            if let unknown = UnknownCommand.find(in: arguments, root: command) {
                FileHandle.standardError.write(Data((unknown.message + "\n").utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)  // 64, EX_USAGE, as ArgumentParser's usage errors
            }
            exit(command, withError: userFacing(error))
        }
        do {
            try parsed.run()
            command.exit()
        } catch {
            exit(command, withError: userFacing(error))
        }
    }

    /// ArgumentParser's `exit(withError:)` (help on standard output, errors on standard error, its exit codes),
    /// with the usage line wrapped to the terminal.
    static func exit<Command: ParsableCommand>(_ command: Command.Type, withError error: any Error) -> Never {
        let columns = HelpText.terminalWidth
        let text = HelpText.wrappingUsage(command.fullMessage(for: error, columns: columns), columns: columns)
        let code = command.exitCode(for: error)
        if !text.isEmpty {
            if code.isSuccess {
                print(text)
            } else {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
        Foundation.exit(code.rawValue)
    }

    /// Errors ArgumentParser formats itself (usage, help, exit codes) pass through; others become plain text.
    static func userFacing(_ error: any Error) -> any Error {
        if error is CommandError || error is ExitCode || error is CleanExit || error is ValidationError {
            return error
        }
        let text = ErrorText.describe(error)
        // ArgumentParser's own parse errors are not NSError-bridged Foundation errors: keep them as they are.
        if type(of: error) is NSError.Type || error is CocoaError || error is POSIXError || error is DecodingError {
            return CommandError(text)
        }
        return error
    }
}
