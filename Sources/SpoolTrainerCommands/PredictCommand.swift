import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

struct PredictCommand: ParsableCommand {
    static let configuration = PredictArguments.configuration
    @OptionGroup var arguments: PredictArguments

    func run() throws {
        try EngineRuntime.setThreads(nil)
        let predictor = try arguments.thresholds.predictor(modelDirectory: URL(fileURLWithPath: arguments.model),
                                                           device: arguments.device, batchSize: arguments.batchSize)
        if let grid = arguments.tileGrid.override { try predictor.useTiles(grid) }
        // One bad image is an error line (`{"filename", "error"}` in JSON), not the end of the batch; exit 1 if any.
        let predictions = ScoreCommand.score(arguments.images, predictor, top: arguments.top)
        if arguments.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(predictions), as: UTF8.self))
        } else {
            for p in predictions { print(Self.text(p)) }
        }
        let failed = predictions.filter { $0.error != nil }
        if !failed.isEmpty {
            printError("\(failed.count) of \(predictions.count) image(s) could not be scored: "
                + failed.map(\.filename).joined(separator: ", "))
            throw ExitCode(1)
        }
    }

    /// `a.jpg: cat 0.9123, dog 0.0877` or `a.jpg: 2 boxes: cat 0.91 [0.10 0.20 0.40 0.55], ...`.
    static func text(_ p: ScoringResponse) -> String {
        if let error = p.error { return "\(p.filename): error: \(error)" }
        if let boxes = p.boxes {
            let items = boxes.map { b in
                "\(b.label) \(String(format: "%.2f", b.score)) [" + [b.box.topX, b.box.topY, b.box.bottomX, b.box.bottomY]
                    .map { String(format: "%.3f", $0) }.joined(separator: " ") + "]"
            }
            return "\(p.filename): \(boxes.count) box(es)" + (items.isEmpty ? "" : ": " + items.joined(separator: ", "))
        }
        let pairs = zip(p.labels ?? [], p.probs ?? []).map { "\($0) \(String(format: "%.4f", $1))" }
        return "\(p.filename): \(pairs.joined(separator: ", "))"
    }
}
