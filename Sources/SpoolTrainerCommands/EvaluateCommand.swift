import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

/// The metrics of a model folder on labelled images: a JSONL file in Azure's schema (every image), or a bundle's
/// validation set split exactly as training splits it (how the daemon compares a retrained model with the one in
/// use). Prints the primary metric and a table per class (`EvaluationTable`), or with `--json` an
/// `EvaluationDocument`; `--predictions FILE` also writes what the model predicted, a JSONL line
/// per image in the scoring format.
struct EvaluateCommand: ParsableCommand {
    static let configuration = EvaluateArguments.configuration

    @OptionGroup var arguments: EvaluateArguments

    func run() throws {
        if let predictions = arguments.predictions { try OutputPath.claimFile(predictions, force: arguments.force) }
        try EngineRuntime.setThreads(arguments.threads)
        let predictor = try arguments.thresholds.predictor(modelDirectory: URL(fileURLWithPath: arguments.model), device: arguments.device)
        if let grid = arguments.tileGrid.override { try predictor.useTiles(grid) }
        let manifest = predictor.manifest
        let images: [LabeledImage], source: String
        var parameters: TrainingParameters?
        if let bundle = arguments.bundle {
            let loaded = try JobBundle.load(directory: URL(fileURLWithPath: bundle))
            let p = try loaded.settings.firstTrialParameters()
            let split = arguments.seed ?? p.seed.map { UInt64(truncatingIfNeeded: $0) } ?? 0
            let data = try loaded.trainingData(splitRatio: p.splitRatio, seed: split)
            guard data.classes == manifest.classes else {
                throw CommandError("the model knows the classes \(manifest.classes.joined(separator: ", ")), the bundle has \(data.classes.joined(separator: ", ")): they cannot be compared")
            }
            images = data.validation
            parameters = arguments.thresholds.applied(to: p)
            source = "\(bundle) (validation split)"
        } else if let data = arguments.data {
            images = try LabeledImage.read(jsonl: URL(fileURLWithPath: data), task: manifest.task, classes: manifest.classes)
            source = data
        } else {
            throw ValidationError("give the labelled data: a JSONL file (DATA) or --bundle")
        }
        let report = try predictor.evaluate(on: images, classes: manifest.classes, parameters: parameters)
        var predictionsPath: String?
        if let out = arguments.predictions {
            let responses = try predictor.predict(paths: images.map(\.path))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var text = Data()
            for response in responses { text += try encoder.encode(response) + Data("\n".utf8) }
            try text.write(to: URL(fileURLWithPath: out), options: .atomic)
            predictionsPath = out
        }
        let document = EvaluationDocument(model: arguments.model, data: source, images: images.count,
                                          primaryMetric: .init(name: report.primaryMetric, value: report.primaryValue),
                                          report: report, predictions: predictionsPath)
        print(arguments.json ? String(decoding: try document.jsonData(), as: UTF8.self) : EvaluationTable.text(document))
    }
}
