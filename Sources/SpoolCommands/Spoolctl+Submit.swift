import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl submit BUNDLE [--wait]`: validate, then drop a bundle safely.
    public struct Submit: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check a bundle, then drop it into the spool safely (copy into tmp/, rename into incoming/).",
            discussion: """
            The bundle is validated first, as `spoolctl validate` does, and refused at once (exit 14) when it \
            has problems, unless --no-validate. The drop is identified by its name in incoming/ and its \
            SHA-256, both printed; with --wait, that drop (and no other of the same name) is followed to its \
            end, and the exit status says how it ended, for cron:
              0 COMPLETED, 10 FAILED, 11 TIMEOUT, 12 CANCELLED, 13 OUT_OF_MEMORY,
              14 REJECTED (refused here, or by the daemon: see failed/NAME.error.json),
              15 DUPLICATE (the same bundle was already taken), 1 an error or --timeout.

            A daemon (`spoolctl serve`) must be running to take the drop, or run `spoolctl serve --once`.

            --set key=value (as `spoolctl train --set`) and --name change the copy that is dropped, never \
            your bundle: the settings get the training parameters, the job gets the name.

            Examples:
              spoolctl submit my-bundle --wait
              spoolctl submit my-bundle --set number_of_epochs=5 --name fridge
              spoolctl submit my-bundle.tar.gz --wait --timeout 3600 --json
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "A bundle folder or archive.")
        public var bundle: String
        @Flag(help: "Wait for the job to end; exit with its state.")
        public var wait = false
        @Option(help: "With --wait: give up after this many seconds (exit 1).")
        public var timeout: Double?
        @Flag(name: .customLong("no-validate"), help: "Drop without checking first (the daemon still validates).")
        public var noValidate = false
        @Flag(help: "Print one JSON object: the drop, and with --wait its outcome.")
        public var json = false
        @Option(name: .customLong("set"), help: ArgumentHelp("Override a training parameter (repeatable).", valueName: "key=value"))
        public var overrides: [String] = []
        @Option(help: "The job's name (default: the bundle's folder or archive name).")
        public var name: String?
        public init() {}

        public func run() throws {
            let layout = spool.layout
            var source = URL(fileURLWithPath: bundle)
            guard FileManager.default.fileExists(atPath: source.path) else {
                throw CommandError("\(bundle): no such file or folder")
            }
            // A folder per class is made into a bundle (in a scratch folder, removed after the drop).
            let made = try MadeBundle.ifFolderPerClass(source, shown: bundle, quiet: json)
            defer { made?.remove() }
            if let made { source = made.bundle }
            var outcome = SubmitOutcome(bundle: bundle)
            // --set and --name apply to a copy staged in the spool's tmp/, never to the user's bundle.
            let staged = try stageChanges(source, layout: layout)
            var handedOver = false
            defer { if let staged, !handedOver { try? FileManager.default.removeItem(at: staged) } }
            if !noValidate {
                let report = try BundleCheck.run(staged?.path ?? source.path, estimate: false, weightsDirectories: [spool.layout.weights.path])
                if !report.isValid {
                    outcome.outcome = "REJECTED"
                    outcome.reason = "the bundle is not valid: \(report.problems.count) problem(s); it was not submitted"
                    outcome.problems = report.problems
                    outcome.exitCode = 14
                    return try finish(outcome)
                }
            }
            try layout.create()
            // The cursor before the hand-over: the drop this command makes is the first after it.
            let cursor = (try? JobStore.openForReading(path: layout.database.path).lastDropID()) ?? 0
            let dropped: Dropper.Drop
            do {
                dropped = try staged.map { try Dropper(layout: layout).handOver($0, as: dropName(for: source)) }
                    ?? Dropper(layout: layout).drop(source)
                handedOver = true
            } catch {
                throw CommandError(ErrorText.describe(error))
            }
            outcome.drop = dropped.name
            outcome.sha256 = dropped.sha256
            outcome.incoming = dropped.url.path
            if !json {
                print("submitted \(bundle) as \(dropped.name) (sha256 \(dropped.sha256.prefix(12))) to \(layout.incoming.path)")
            }
            let serving = DaemonLock.holder(layout) != nil
            if !serving {
                FileHandle.standardError.write(Data(
                    "note: no daemon is serving \(layout.root.path); run `spoolctl serve` (or `spoolctl serve --once`) to take the drop\n".utf8))
            }
            guard wait else { return try finish(outcome) }
            outcome = try Follower(layout: layout, quiet: json).follow(dropped, after: cursor, timeout: timeout, outcome: outcome)
            try finish(outcome)
        }

        func finish(_ outcome: SubmitOutcome) throws {
            if json {
                try printJSON(outcome)
            } else if outcome.exitCode == 14, outcome.drop == nil {
                FileHandle.standardError.write(Data("\(bundle): \(outcome.reason ?? "rejected")\n".utf8))
                for problem in outcome.problems { FileHandle.standardError.write(Data("  \(problem)\n".utf8)) }
            }
            if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
        }
    }
}
