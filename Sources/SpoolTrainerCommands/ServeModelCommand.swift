import ArgumentParser
import Foundation
import Logging
import SpoolArguments
import SpoolEngine
import SpoolServer
import SpoolTraining

/// `spool-trainer serve-model`: loads the model, then serves it until SIGTERM or SIGINT.
struct ServeModelCommand: ParsableCommand {
    static let configuration = ServeModelArguments.configuration
    @OptionGroup var arguments: ServeModelArguments

    func run() throws {
        try EngineRuntime.setThreads(arguments.threads)
        let folder = URL(fileURLWithPath: arguments.model)
        let predictor = try Predictor(modelDirectory: folder, device: arguments.device, batchSize: arguments.maxBatch)
        let manifest = (try? Data(contentsOf: folder.appendingPathComponent("model.json"))) ?? Data("{}".utf8)
        var configuration = ScoringServer.Configuration()
        configuration.host = arguments.host
        configuration.port = arguments.port
        configuration.maxBodyBytes = Int(arguments.maxBodyMB * 1024 * 1024)
        var logger = Logger(label: "spool.serve-model")
        logger.logLevel = .notice
        let server = ScoringServer(scorer: try BatchScorer(predictor: predictor, maxBatchImages: arguments.maxBatch),
                                   manifest: manifest, modelName: predictor.manifest.modelName.rawValue,
                                   configuration: configuration, logger: logger)
        let host = arguments.host
        let model = folder.path
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        Task {
            do {
                try await server.run { port in
                    printError("serving \(model) on http://\(host):\(port) (POST /score, GET /health, GET /model)")
                }
            } catch {
                failure = error
            }
            finished.signal()
        }
        finished.wait()
        if let failure { throw CommandError("serve-model: \(failure)") }
    }
}
