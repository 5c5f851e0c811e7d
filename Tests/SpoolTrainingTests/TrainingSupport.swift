import Foundation
import Logging
import SpoolCore
import SpoolTraining
import Testing

enum TrainingSupport {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let debianPython = "/usr/bin/python3"

    /// What a finished child process printed.
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program to its end through SpoolCore's `ChildProcess` (the one way the tests run a command).
    /// `environment` entries are added to this process's (nil values remove one).
    static func run(_ executable: URL, _ arguments: [String], environment extra: [String: String?] = [:]) throws -> Output {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        let output = try ChildProcess.run(executable, arguments, environment: environment)
        return Output(status: output.status, stdout: output.stdoutText, stderr: output.stderrText)
    }

    static func temporaryDirectory(_ name: String = "spool-train") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A generated shapes bundle with the given training parameters (YAML lines under training_parameters).
    static func shapesBundle(in dir: URL, perClass: Int, size: Int, multilabel: Bool = false, seed: UInt64 = 1,
                             formats: [String] = ["png"], parameters: [String]) throws -> URL {
        var shapes = ShapesDataset()
        shapes.imagesPerClass = perClass
        shapes.size = size
        shapes.multilabel = multilabel
        shapes.seed = seed
        shapes.formats = formats
        let task = multilabel ? "image_classification_multilabel" : "image_classification"
        let settings = "task: \(task)\ntraining_data: {path: train.jsonl}\ntraining_parameters:\n"
            + parameters.map { "  \($0)\n" }.joined()
        let bundle = dir.appendingPathComponent("bundle")
        try shapes.write(to: bundle, settings: settings)
        return bundle
    }

    /// Trains a bundle as `spoolctl train` does, in this process.
    static func train(bundle: URL, out: URL, seed: UInt64 = 0,
                      weightsSearch: [URL] = [], overrides: [String: SettingValue] = [:]) throws -> TrainingResult {
        let job = try JobBundle.load(directory: bundle)
        let parameters = try job.settings.trainingParameters(overrides: overrides)
        let data = try job.trainingData(splitRatio: parameters.splitRatio, seed: seed)
        var options = RunOptions(outputDirectory: out)
        options.seed = seed
        options.baseDirectory = bundle
        options.weightsSearchPaths = weightsSearch
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let logger = RunLogHandler.logger(label: "test", file: out.appendingPathComponent("train.log"), mirrorToStderr: false)
        return try TrainingRun(task: job.settings.task, parameters: parameters, data: data, options: options,
                               logger: logger).run()!
    }

    static func log(_ out: URL) -> String {
        (try? String(contentsOf: out.appendingPathComponent("train.log"), encoding: .utf8)) ?? ""
    }
}
