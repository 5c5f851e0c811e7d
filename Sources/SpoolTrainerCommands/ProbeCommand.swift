import ArgumentParser
import Foundation
import Logging
import SpoolCommands
import SpoolCore
import SpoolEngine
import SpoolTraining

/// Decodes every image a bundle names and loads its starting weights, in this disposable process: a hostile
/// or broken image or weights file can crash a decoder here without harming the daemon. With `--estimate`,
/// also times a training step of the bundle's model on this machine. Prints a `ProbeReport` as JSON.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check that a bundle's images decode and its weights fit its model (used by validation).",
        aliases: ["probe-images"])

    @Argument(help: "The bundle folder.")
    var bundle: String
    @Flag(help: "Also time a training step of the bundle's model on this machine.")
    var estimate = false
    @Option(help: "cpu or cuda[:N], for the estimate.")
    var device = "cpu"

    func run() throws {
        let root = URL(fileURLWithPath: bundle)
        var report = ProbeReport()
        let inspection = try JobBundle.inspect(directory: root)
        guard let job = inspection.bundle else { return emit(report) }
        let files: [(String, [DatasetRecord])] = [(job.settings.trainingDataPath, job.trainRecords)]
            + (job.validationRecords.map { [(job.settings.validationDataPath ?? "validation", $0)] } ?? [])
        for (file, records) in files {
            for record in records {
                guard let path = job.locator.path(for: record.imageURL) else { continue }  // reported by inspection
                report.checked += 1
                do {
                    let size = try ImageLoader.probe(path: path)
                    if let details = record.imageDetails, let w = details.width, let h = details.height,
                       w != size.width || h != size.height {
                        report.warnings.append("\(file):\(record.line): image_details says \(w)x\(h) but \(record.imageURL) is \(size.width)x\(size.height); the decoded size is used")
                    }
                } catch {
                    let reason = error.message.replacingOccurrences(of: path + ": ", with: "")
                    report.problems.append("\(file):\(record.line): image_url: \(record.imageURL): \(reason)")
                }
            }
        }
        // The starting weights, loaded into the model as training will load them.
        guard let parameters = try? job.settings.trainingParameters() else { return emit(report) }
        let classes = JSONLDataset.classNames(in: job.trainRecords + (job.validationRecords ?? []))
        guard classes.count >= 1 else { return emit(report) }
        let model: Model
        do {
            model = try Model(name: parameters.modelName.rawValue, numClasses: max(2, classes.count),
                              imageSize: parameters.trainCropSize, device: "cpu")
        } catch {
            report.problems.append("model \(parameters.modelName.rawValue) cannot be built: \(error.message)")
            return emit(report)
        }
        var options = RunOptions(outputDirectory: root)
        options.baseDirectory = root
        if let env = ProcessInfo.processInfo.environment["SPOOL_WEIGHTS_DIR"], !env.isEmpty {
            options.weightsSearchPaths = [URL(fileURLWithPath: env)]
        }
        var quiet = Logger(label: "spool.probe", factory: { _ in SwiftLogNoOpLogHandler() })
        quiet.logLevel = .critical
        do {
            let used = try TrainingRun.loadStartingWeights(into: model, parameters: parameters, options: options,
                                                           classes: classes, logger: quiet)
            report.weights = used.map { $0.hasPrefix(root.path + "/") ? String($0.dropFirst(root.path.count + 1)) : $0 }
        } catch {
            report.problems.append(ErrorText.describe(error))
        }
        if estimate, report.problems.isEmpty {
            do {
                let measured = try StepTimer.secondsPerImage(model: model, parameters: parameters,
                                                             images: job.trainRecords.prefix(16).map(job.imagePath), device: device)
                report.secondsPerImage = measured.seconds
                report.device = measured.device
            } catch {
                report.warnings.append("the time per epoch could not be estimated: \(ErrorText.describe(error))")
            }
        }
        emit(report)
    }

    func emit(_ report: ProbeReport) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self))
    }
}

/// Times training steps of a model on a few of the bundle's images: the rough time per epoch that
/// `spoolctl validate` prints.
enum StepTimer {
    static func secondsPerImage(model: Model, parameters: TrainingParameters, images: [String],
                                device: String) throws -> (seconds: Double, device: String) {
        let batch = max(1, min(parameters.trainingBatchSize, 8, images.count))
        var loaderOptions = LoaderOptions()
        loaderOptions.train = true
        loaderOptions.batchSize = batch
        loaderOptions.cropSize = parameters.trainCropSize
        loaderOptions.resizeSize = parameters.validResizeSize
        loaderOptions.workers = 1
        let loader = try ImageLoader(paths: Array(images.prefix(batch)), targets: [Float](repeating: 0, count: batch),
                                     targetWidth: 1, options: loaderOptions)
        var trainerOptions = TrainerOptions()
        trainerOptions.learningRate = 1e-6
        let trainer = try Trainer(model: model, options: trainerOptions)
        try EngineRuntime.setThreads(nil)
        var best = Double.infinity
        for epoch in 0..<3 {  // the first step warms up allocators and kernels
            try loader.startEpoch(epoch)
            let start = TrainingRun.monotonicSeconds()
            guard let step = try trainer.step(loader), step.images > 0 else { break }
            let seconds = (TrainingRun.monotonicSeconds() - start) / Double(step.images)
            if epoch > 0 { best = min(best, seconds) }
        }
        let info = try EngineRuntime.info()
        return (best.isFinite ? best : 0, "\(device), \(info.intraOpThreads) threads")
    }
}
