import ArgumentParser
import Foundation
import Logging
import SpoolArguments
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
        discussion: """
        Prints JSON (the probe report) that `spoolctl validate` and the daemon read. Use `spoolctl \
        validate` to check a bundle by hand.

        Examples:
          spool-trainer probe examples/shapes
          spool-trainer probe examples/shapes --estimate --weights-dir /srv/weights
        """,
        aliases: ["probe-images"])

    @Argument(help: "The bundle folder.")
    var bundle: String
    @Flag(help: "Also time a training step of the bundle's model on this machine.")
    var estimate = false
    @Option(name: .customLong("weights-dir"), help: "A folder of reference weight files (repeatable; SPOOL_WEIGHTS_DIR too).")
    var weightsDirectories: [String] = []

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
                    // Zero-width boxes make torchvision's box losses NaN: every box must keep a pixel.
                    for (k, object) in record.label.objects.enumerated() where !object.isCrowd {
                        let b = object.box
                        let w = (b.bottomX - b.topX) * Double(size.width), h = (b.bottomY - b.topY) * Double(size.height)
                        if w < 1 || h < 1 {
                            report.problems.append("\(file):\(record.line): label[\(k)]: the box is \(String(format: "%.2f", w)) x \(String(format: "%.2f", h)) pixels in this \(size.width)x\(size.height) image; a box needs at least 1 pixel each way")
                        }
                    }
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
        guard inspection.problems.isEmpty, let parameters = try? job.settings.firstTrialParameters(),
              let data = try? job.trainingData(splitRatio: parameters.splitRatio, seed: 0) else { return emit(report) }
        let head = TaskHeads.head(for: job.settings.task)
        var options = RunOptions(outputDirectory: root)
        options.baseDirectory = root
        options.weightsSearchPaths = WeightsFolder.searchPath(weightsDirectories).map(\.url)
        let pretrained = (try? TrainingRun.startingWeightsFile(parameters: parameters, options: options)) != nil
        let model: Model
        do {
            model = try Model(head.modelOptions(parameters, classes: data.classes, device: "cpu", pretrained: pretrained))
        } catch {
            report.problems.append("model \(parameters.modelName.rawValue) cannot be built: \(error.message)")
            return emit(report)
        }
        var quiet = Logger(label: "spool.probe", factory: { _ in SwiftLogNoOpLogHandler() })
        quiet.logLevel = .critical
        do {
            let used = try TrainingRun.loadStartingWeights(into: model, parameters: parameters, options: options,
                                                           classes: data.classes, logger: quiet)
            report.weights = used.map { $0.hasPrefix(root.path + "/") ? String($0.dropFirst(root.path.count + 1)) : $0 }
        } catch {
            report.problems.append(ErrorText.describe(error))
        }
        if estimate, report.problems.isEmpty {
            do {
                let measured = try StepTimer.measure(model: model, head: head, parameters: parameters,
                                                     images: Array(data.train.prefix(max(1, parameters.trainingBatchSize))),
                                                     classes: data.classes, device: device)
                report.secondsPerImage = measured.trainSecondsPerImage
                report.validationSecondsPerImage = measured.validationSecondsPerImage
                report.checkpointSeconds = measured.checkpointSeconds
                report.measuredBatch = measured.batch
                report.memoryFormat = measured.memoryFormat
                report.device = measured.device
                report.alternative = try alternative(job: job, parameters: parameters, pretrained: report.weights != nil,
                                                     head: head, data: data)
            } catch {
                report.warnings.append("the time per epoch could not be estimated: \(ErrorText.describe(error))")
            }
        }
        emit(report)
    }

    /// Azure's default model when the settings leave it unset, on a machine it does not suit (no GPU, or no
    /// pretrained weights): the model this machine can train instead, timed the same way.
    func alternative(job: JobBundle, parameters: TrainingParameters, pretrained: Bool, head: any TaskHead,
                     data: TrainingData) throws -> ProbeReport.Alternative? {
        let entry = parameters.modelName.catalogEntry
        guard entry.needsGPU, !job.settings.setsParameter("model_name"), job.settings.sweep.searchSpace == nil else { return nil }
        let onGPU = device.hasPrefix("cuda")
        guard !onGPU || !pretrained else { return nil }
        let reason = onGPU ? "without pretrained weights" : (pretrained ? "on a CPU" : "on a CPU and from scratch")
        var p = parameters
        p.modelName = ModelCatalog.cpuModel(for: job.settings.task)
        let model = try Model(head.modelOptions(p, classes: data.classes, device: "cpu", pretrained: false))
        let measured = try StepTimer.measure(model: model, head: head, parameters: p, images: Array(data.train.prefix(max(1, p.trainingBatchSize))),
                                             classes: data.classes, device: device)
        return .init(model: p.modelName.rawValue, secondsPerImage: measured.trainSecondsPerImage,
                     validationSecondsPerImage: measured.validationSecondsPerImage, reason: reason)
    }

    func emit(_ report: ProbeReport) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self))
    }
}

/// Times an epoch's work on this machine as training will do it: training steps at the job's batch size, image
/// sizes and memory format (the one measured for this model before, else the faster of the two), and the validation pass at
/// its batch size; the first step of each warms allocators and kernels and is not counted. What
/// `spoolctl validate` multiplies into a time per epoch.
enum StepTimer {
    struct Measured {
        var trainSecondsPerImage: Double
        var validationSecondsPerImage: Double
        var checkpointSeconds: Double
        var batch: Int
        var memoryFormat: String
        var device: String
    }

    /// `images` repeated (in order) to `count`: one batch at the job's size when the bundle is smaller.
    static func filled(_ images: [LabeledImage], to count: Int) -> [LabeledImage] {
        guard !images.isEmpty else { return [] }
        return (0..<count).map { images[$0 % images.count] }
    }

    static func measure(model: Model, head: any TaskHead, parameters: TrainingParameters, images: [LabeledImage],
                        classes: [String], device: String) throws -> Measured {
        try EngineRuntime.setThreads(nil)
        let info = try EngineRuntime.info()
        let p = parameters
        let batch = max(1, p.trainingBatchSize)
        var loaderOptions = head.loaderOptions(p, train: true, seed: 0, workers: 1)
        loaderOptions.dropLast = true
        let loader = try ImageLoader(dataset: try head.dataset(filled(images, to: batch), classes: classes), options: loaderOptions)
        // The layout training will use: the one measured before for this model here, else (a classifier, whose
        // kernels take either) the faster of the two, as training's own first batch will measure.
        let known = MemoryFormatCache().lookup(MemoryFormatCache.key(p, task: head.task, threads: info.intraOpThreads, device: device))
        let formats: [MemoryFormat] = known.map { [$0] } ?? (head.task.isClassification ? [.contiguous, .channelsLast] : [.contiguous])
        var best: (seconds: Double, format: MemoryFormat)?
        var last: Trainer?
        for format in formats {
            var trainerOptions = TrainerOptions()
            trainerOptions.learningRate = 1e-6
            trainerOptions.memoryFormat = format
            let trainer = try Trainer(model: model, options: trainerOptions)
            last = trainer
            var times: [Double] = []
            for epoch in 0..<3 {  // one warm-up step, two timed
                try loader.startEpoch(epoch)
                let start = TrainingRun.monotonicSeconds()
                guard let step = try trainer.step(loader), step.images > 0 else { break }
                if epoch > 0 { times.append((TrainingRun.monotonicSeconds() - start) / Double(step.images)) }
            }
            if let t = times.min(), t < best?.seconds ?? .infinity { best = (t, format) }
        }
        // Every epoch ends with its resume checkpoint (the trainer's whole state, fsynced): a cost per epoch.
        var checkpointSeconds = 0.0
        if let last {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("spool-probe-\(getpid())-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: file) }
            let start = TrainingRun.monotonicSeconds()
            try last.saveState(to: file.path)
            checkpointSeconds = TrainingRun.monotonicSeconds() - start
        }
        let validationBatch = max(1, p.validationBatchSize)
        let validation = try ImageLoader(dataset: try head.dataset(filled(images, to: validationBatch), classes: classes),
                                         options: head.loaderOptions(p, train: false, seed: 0, workers: 1))
        var validationTimes: [Double] = []
        for epoch in 0..<2 {
            let start = TrainingRun.monotonicSeconds()
            let prediction = try Prediction(model: model, loader: validation, epoch: epoch)
            if epoch > 0 { validationTimes.append((TrainingRun.monotonicSeconds() - start) / Double(max(1, prediction.count))) }
        }
        let format = best?.format == .channelsLast ? "channels_last" : "contiguous"
        return Measured(trainSecondsPerImage: best?.seconds ?? 0, validationSecondsPerImage: validationTimes.min() ?? 0,
                        checkpointSeconds: checkpointSeconds, batch: batch, memoryFormat: format, device: "\(device), \(info.intraOpThreads) threads")
    }
}
