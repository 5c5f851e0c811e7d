import ArgumentParser
import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining

/// Scores a model on a bundle's validation set, split exactly as training splits it (the daemon compares a
/// retrained model with the one in use this way). Prints one JSON object.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "The primary metric of a model folder on a bundle's validation set (as training splits it).")

    @Option(help: "A model folder (model.json + weights.safetensors).")
    var model: String

    @Option(help: "The bundle folder.")
    var bundle: String

    @Option(help: "The split's seed (default: the bundle's training_parameters.seed, else 0).")
    var seed: UInt64?

    @Option(help: "cpu, cuda or cuda:N.")
    var device: String = "cpu"

    @Option(help: "Threads (default: every core).")
    var threads: Int?

    func run() throws {
        try EngineRuntime.setThreads(threads)
        let loaded = try JobBundle.load(directory: URL(fileURLWithPath: bundle))
        let parameters = try loaded.settings.trainingParameters()
        let split = seed ?? parameters.seed.map { UInt64(truncatingIfNeeded: $0) } ?? 0
        let data = try loaded.trainingData(splitRatio: parameters.splitRatio, seed: split)
        let predictor = try Predictor(modelDirectory: URL(fileURLWithPath: model), device: device)
        let value = try predictor.primaryMetric(on: data.validation, classes: data.classes)
        let result: [String: Any] = ["metric": loaded.settings.task.primaryMetric, "value": value,
                                     "images": data.validation.count, "model": model]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
    }
}
