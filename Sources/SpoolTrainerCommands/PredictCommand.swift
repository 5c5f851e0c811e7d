import ArgumentParser
import Foundation
import SpoolCommands
import SpoolEngine
import SpoolTraining

struct PredictCommand: ParsableCommand {
    static let configuration = PredictArguments.configuration
    @OptionGroup var arguments: PredictArguments

    func run() throws {
        try EngineRuntime.setThreads(nil)
        let predictor = try Predictor(modelDirectory: URL(fileURLWithPath: arguments.model), device: arguments.device,
                                      batchSize: arguments.batchSize)
        let predictions = try predictor.predict(paths: arguments.images, top: arguments.top)
        if arguments.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(predictions), as: UTF8.self))
        } else {
            for p in predictions {
                let pairs = zip(p.labels, p.probs).map { "\($0) \(String(format: "%.4f", $1))" }
                print("\(p.filename): \(pairs.joined(separator: ", "))")
            }
        }
    }
}
