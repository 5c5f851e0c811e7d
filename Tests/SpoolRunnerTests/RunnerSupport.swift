import Foundation
import SpoolCore
import Testing

/// The built executables and temporary spools for the runner's end-to-end tests.
enum RunnerSupport {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let bin = repository.appendingPathComponent(".build/debug")
    static var spoolctl: URL { bin.appendingPathComponent("spoolctl") }
    static var trainer: URL { bin.appendingPathComponent("spool-trainer") }

    static func temporaryDirectory(_ name: String = "spool-runner") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program to its end through SpoolCore's `ChildProcess` (the one way the tests run a command), with
    /// `extra` added to this process's environment.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Output {
        let output = try ChildProcess.run(executable, arguments,
                                          environment: ProcessInfo.processInfo.environment.merging(extra) { $1 })
        return Output(status: output.status, stdout: output.stdoutText, stderr: output.stderrText)
    }

    static func spoolctl(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        try run(spoolctl, arguments, environment: environment)
    }

    /// A small generated bundle folder that trains in seconds (resnet18, 32 px, 2 epochs).
    static func bundle(in dir: URL, name: String = "shapes", epochs: Int = 2, perClass: Int = 6, extraSettings: String = "") throws -> URL {
        let folder = dir.appendingPathComponent(name)
        let result = try spoolctl(["example", "--out", folder.path, "--per-class", "\(perClass)", "--size", "32"])
        guard result.status == 0 else { throw TestFailure("spoolctl example failed: \(result.stderr)") }
        let settings = """
            task: image_classification
            training_data: {path: train.jsonl}
            limits: {timeout_minutes: 30}
            training_parameters:
              model_name: resnet18
              number_of_epochs: \(epochs)
              training_batch_size: 8
              validation_batch_size: 8
              train_crop_size: 32
              valid_resize_size: 32
              valid_crop_size: 32
              early_stopping: 0
            \(extraSettings)
            """
        try settings.write(to: folder.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// `tar -czf` of a folder (its contents at the archive's top).
    static func tarball(_ folder: URL, to archive: URL) throws {
        let result = try run(URL(fileURLWithPath: "/bin/tar"), ["-czf", archive.path, "-C", folder.path, "."])
        guard result.status == 0 else { throw TestFailure("tar failed: \(result.stderr)") }
    }

    /// `spoolctl status --json`'s jobs, read through the document's type.
    static func status(spool: URL) throws -> [JobStatusDocument] {
        let result = try spoolctl(["status", "--spool", spool.path, "--json"])
        guard result.status == 0 else { throw TestFailure("status failed: \(result.stderr)") }
        return try QueueStatusDocument.decode(Data(result.stdout.utf8)).jobs
    }

    /// `spoolctl status JOB --json`: one job with its trials' detail, read through the document's type.
    static func status(spool: URL, job: String) throws -> JobStatusDocument {
        let result = try spoolctl(["status", job, "--spool", spool.path, "--json"])
        guard result.status == 0 else { throw TestFailure("status \(job) failed: \(result.stderr)") }
        return try JobStatusDocument.decode(Data(result.stdout.utf8))
    }

    /// The detail of `spoolctl status JOB --json` (the trials, the outbox's files).
    static func detail(spool: URL, job: String) throws -> JobStatusDocument.Detail {
        try #require(try status(spool: spool, job: job).detail)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension SettingValue {
    /// A JSON number as a Double (what `as? Double` read from `JSONSerialization`): integers too, not strings.
    var number: Double? {
        switch self {
        case let .int(value): Double(value)
        case let .double(value): value
        default: nil
        }
    }
}
