import ArgumentParser
import Foundation
import SpoolCore

/// The entry point of `spoolctl` and `spool-trainer`: ArgumentParser's, except that an error from Foundation
/// or the system (a file that is missing, a folder that exists) is said as `ErrorText` words it, never as
/// `NSCocoaErrorDomain Code=516`.
public enum CommandMain {
    public static func run<Command: ParsableCommand>(_ command: Command.Type) -> Never {
        do {
            var parsed = try command.parseAsRoot()
            try parsed.run()
            command.exit()
        } catch {
            command.exit(withError: userFacing(error))
        }
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
