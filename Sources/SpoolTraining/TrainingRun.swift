import Foundation
import Logging
import SpoolCore
import SpoolEngine

/// Where a run writes and how it runs, beside its hyperparameters.
public struct RunOptions: Sendable {
    /// Receives `model/` (weights + model.json), `metrics.json`, checkpoints and the log.
    public var outputDirectory: URL
    public var device = "cpu"
    public var seed: UInt64 = 0
    /// libtorch intra-op threads; nil uses every core.
    public var threads: Int?
    /// Background decode threads for the loaders.
    public var loaderWorkers = 2
    /// Folders searched for `<model_name>.safetensors` (or the reference's name) when the settings name no
    /// `pretrained_weights`.
    public var weightsSearchPaths: [URL] = []
    /// Relative `pretrained_weights` paths resolve against this folder (the bundle).
    public var baseDirectory: URL?
    /// Report a step line every this many steps (and always the last of an epoch).
    public var progressEvery = 10

    public init(outputDirectory: URL) {
        self.outputDirectory = outputDirectory
    }
}

/// What one epoch did: its training loss, and its validation when it was an evaluation epoch.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var seconds: Double
    public var validationLoss: Double?
    /// Every metric of the task at this epoch (the primary one included).
    public var metrics: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", learningRate = "learning_rate"
        case imagesPerSecond = "images_per_second", seconds, validationLoss = "validation_loss", metrics
    }
}

/// The outcome of a run, as written to `metrics.json`.
public struct TrainingResult: Codable, Sendable {
    public var primaryMetric: ModelManifest.PrimaryMetric
    public var bestEpoch: Int
    public var epochsRun: Int
    public var stoppedEarly: Bool
    /// False while the run goes on (or when it was stopped): the outputs are the best epoch so far.
    public var complete: Bool
    public var history: [EpochRecord]
    /// The full report at the best epoch: per-class table, averages, confusion matrix, curves.
    public var bestReport: ClassificationReport
    public var task: ImageTask
    public var modelName: ClassificationModel
    public var classes: [String]
    public var trainImages: Int
    public var validationImages: Int
    public var seconds: Double
    public var pretrainedWeights: String?
    public var parameters: TrainingParameters

    enum CodingKeys: String, CodingKey {
        case primaryMetric = "primary_metric", bestEpoch = "best_epoch", epochsRun = "epochs_run"
        case stoppedEarly = "stopped_early", complete, history, bestReport = "best_epoch_report", task
        case modelName = "model_name", classes, trainImages = "train_images", validationImages = "validation_images"
        case seconds, pretrainedWeights = "pretrained_weights", parameters = "training_parameters"
    }
}

/// One training run of one configuration: the loop of section 5, on the engine.
///
/// Swift holds the policy (schedules, early stopping, checkpoints, metrics); the engine holds the model,
/// the loaders and the optimiser step.
public final class TrainingRun {
    public let task: ImageTask
    public let parameters: TrainingParameters
    public let data: TrainingData
    public let options: RunOptions
    let logger: Logger
    let progress: (TrainingProgress) -> Void
    let now: () -> Double

    public init(task: ImageTask, parameters: TrainingParameters, data: TrainingData, options: RunOptions,
                logger: Logger, progress: @escaping (TrainingProgress) -> Void = { _ in },
                now: @escaping () -> Double = TrainingRun.monotonicSeconds) {
        self.task = task
        self.parameters = parameters
        self.data = data
        self.options = options
        self.logger = logger
        self.progress = progress
        self.now = now
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    var multilabel: Bool { task == .imageClassificationMultilabel }
    var modelDirectory: URL { options.outputDirectory.appendingPathComponent("model") }

    public func run() throws -> TrainingResult {
        guard task.isClassification else {
            throw TrainingError.bundle("task \(task) is not trained by this engine yet; classification tasks are image_classification and image_classification_multilabel")
        }
        guard !data.train.isEmpty, !data.validation.isEmpty else {
            throw TrainingError.data("training needs at least one training and one validation image (got \(data.train.count) and \(data.validation.count))")
        }
        let started = now()
        let p = parameters
        let fm = FileManager.default
        try fm.createDirectory(at: modelDirectory, withIntermediateDirectories: true)

        try EngineRuntime.setThreads(options.threads)
        try EngineRuntime.seed(options.seed)
        let info = try EngineRuntime.info()
        logger.info("libtorch \(info.torchVersion), \(info.intraOpThreads) threads, BLAS \(info.blas), device \(options.device)")
        logger.info("task \(task.rawValue), model \(p.modelName.rawValue), \(data.classes.count) classes, \(data.train.count) training and \(data.validation.count) validation images")

        // The model, its starting weights and frozen layers.
        let model = try Model(name: p.modelName.rawValue, numClasses: data.classes.count,
                              imageSize: p.trainCropSize, device: options.device)
        let weightsUsed = try loadStartingWeights(into: model)
        if let groups = p.layersToFreeze, groups > 0 {
            try model.freeze(groups: groups)
            let count = try model.parameterCount()
            logger.info("layers_to_freeze \(groups): \(count.trainable) of \(count.total) parameters train")
        }

        // Loaders: augmentation for training, resize + centre crop for validation.
        var trainOptions = LoaderOptions()
        trainOptions.train = true
        trainOptions.batchSize = p.trainingBatchSize
        trainOptions.cropSize = p.trainCropSize
        trainOptions.resizeSize = p.validResizeSize
        trainOptions.seed = options.seed
        trainOptions.scale = Float(p.augmentationCropScaleMin)...Float(p.augmentationCropScaleMax)
        trainOptions.horizontalFlipProbability = Float(p.augmentationHorizontalFlip)
        trainOptions.brightness = Float(p.augmentationBrightness)
        trainOptions.contrast = Float(p.augmentationContrast)
        trainOptions.saturation = Float(p.augmentationSaturation)
        trainOptions.hue = Float(p.augmentationHue)
        trainOptions.workers = options.loaderWorkers
        var validOptions = LoaderOptions()
        validOptions.batchSize = p.validationBatchSize
        validOptions.cropSize = p.validCropSize
        validOptions.resizeSize = p.validResizeSize
        validOptions.workers = options.loaderWorkers
        let trainTargets = data.targets(data.train, multilabel: multilabel)
        let validTargets = data.targets(data.validation, multilabel: multilabel)
        let trainLoader = try ImageLoader(paths: data.train.map(\.path), targets: trainTargets.values,
                                          targetWidth: trainTargets.width, options: trainOptions)
        let validLoader = try ImageLoader(paths: data.validation.map(\.path), targets: validTargets.values,
                                          targetWidth: validTargets.width, options: validOptions)
        let stepsPerEpoch = try trainLoader.batchCount
        guard stepsPerEpoch > 0 else {
            throw TrainingError.data("no full training batch: \(data.train.count) training images with training_batch_size \(p.trainingBatchSize)")
        }

        var trainerOptions = TrainerOptions()
        trainerOptions.task = multilabel ? .multilabel : .multiclass
        trainerOptions.optimizer = switch p.optimizer {
        case .sgd: .sgd
        case .adam: .adam
        case .adamw: .adamw
        }
        trainerOptions.learningRate = p.learningRate
        trainerOptions.momentum = p.momentum
        trainerOptions.weightDecay = p.weightDecay
        trainerOptions.nesterov = p.nesterov
        trainerOptions.beta1 = p.beta1
        trainerOptions.beta2 = p.beta2
        trainerOptions.amsgrad = p.amsgrad
        trainerOptions.gradAccumulationStep = p.gradAccumulationStep
        trainerOptions.classWeights = classWeights()
        let trainer = try Trainer(model: model, options: trainerOptions)

        let schedule = LearningRateSchedule(p)
        var stopper = EarlyStopping(p)
        var history: [EpochRecord] = []
        var best: (epoch: Int, value: Double, report: ClassificationReport)?
        var stoppedEarly = false
        var iteration = 0
        let totalSteps = Double(stepsPerEpoch * p.numberOfEpochs)
        var stepsDone = 0.0
        var trainSeconds = 0.0

        epochs: for epoch in 1...p.numberOfEpochs {
            let epochStart = now()
            try trainLoader.startEpoch(epoch)
            var lossSum = 0.0, images = 0, step = 0
            var lr = p.learningRate
            while true {
                let stepLR = schedule.learningRate(iteration: iteration, itersPerEpoch: stepsPerEpoch)
                try trainer.setLearningRate(stepLR)
                guard let result = try trainer.step(trainLoader) else { break }
                lr = stepLR
                guard result.loss.isFinite else {
                    throw TrainingError.data("the loss became \(result.loss) at epoch \(epoch), step \(step + 1): lower learning_rate (now \(p.learningRate)) or check the data")
                }
                step += 1
                iteration += 1
                stepsDone += 1
                lossSum += result.loss * Double(result.images)
                images += result.images
                if step % max(1, options.progressEvery) == 0 || step == stepsPerEpoch {
                    let elapsed = max(1e-9, now() - epochStart)
                    let rate = Double(images) / elapsed
                    let secondsPerStep = (trainSeconds + elapsed) / stepsDone
                    progress(TrainingProgress(kind: .step, epoch: epoch, epochs: p.numberOfEpochs, step: step,
                                              steps: stepsPerEpoch, loss: result.loss, learningRate: lr,
                                              imagesPerSecond: rate, etaSeconds: (totalSteps - stepsDone) * secondsPerStep))
                }
            }
            try trainer.flush()
            let trainElapsed = now() - epochStart
            trainSeconds += trainElapsed
            var record = EpochRecord(epoch: epoch, trainLoss: images > 0 ? lossSum / Double(images) : .nan,
                                     learningRate: lr, imagesPerSecond: Double(images) / max(1e-9, trainElapsed),
                                     seconds: trainElapsed)

            let evaluate = epoch % p.evaluationFrequency == 0 || epoch == p.numberOfEpochs
            if evaluate {
                let evaluation = try Evaluation.run(model: model, loader: validLoader,
                                                    task: multilabel ? .multilabel : .multiclass)
                let report = try ClassificationReport(task: task, probabilities: evaluation.probabilities,
                                                      labels: data.validation.map(\.labels), classes: data.classes)
                record.validationLoss = evaluation.meanLoss
                record.metrics = report.scalarMetrics
                let value = report.primaryValue
                logger.info("epoch \(epoch)/\(p.numberOfEpochs): train loss \(fmt(record.trainLoss, 4)), validation loss \(fmt(evaluation.meanLoss, 4)), \(task.primaryMetric) \(fmt(value, 4)), \(fmt(record.imagesPerSecond, 1)) img/s")
                progress(TrainingProgress(kind: .evaluation, epoch: epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                          steps: stepsPerEpoch, loss: evaluation.meanLoss, learningRate: lr,
                                          imagesPerSecond: record.imagesPerSecond, etaSeconds: 0,
                                          metricName: task.primaryMetric, metricValue: value))
                history.append(record)
                if best == nil || value > best!.value {
                    best = (epoch, value, report)
                    try model.save(to: modelDirectory.appendingPathComponent("weights.safetensors").path)
                    // The best so far is a usable model at once: a run stopped later still leaves it.
                    _ = try writeOutputs(best: best!, history: history, stoppedEarly: false, complete: false,
                                         weightsUsed: weightsUsed, validOptions: validOptions, started: started)
                    logger.info("epoch \(epoch): new best \(task.primaryMetric) \(fmt(value, 4)); model saved")
                }
                if p.earlyStopping, stopper.record(value) == .stop {
                    logger.info("early stopping at epoch \(epoch): no improvement of \(task.primaryMetric) for \(p.earlyStoppingPatience) evaluations")
                    stoppedEarly = true
                    if let every = p.checkpointFrequency, epoch % every == 0 { try saveCheckpoint(model, epoch: epoch) }
                    progress(TrainingProgress(kind: .epoch, epoch: epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                              steps: stepsPerEpoch, loss: record.trainLoss, learningRate: lr,
                                              imagesPerSecond: record.imagesPerSecond, etaSeconds: 0,
                                              metricName: task.primaryMetric, metricValue: value, record: record))
                    break epochs
                }
            } else {
                logger.info("epoch \(epoch)/\(p.numberOfEpochs): train loss \(fmt(record.trainLoss, 4)), \(fmt(record.imagesPerSecond, 1)) img/s")
                history.append(record)
            }
            if let every = p.checkpointFrequency, epoch % every == 0 { try saveCheckpoint(model, epoch: epoch) }
            progress(TrainingProgress(kind: .epoch, epoch: epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                      steps: stepsPerEpoch, loss: record.trainLoss, learningRate: lr,
                                      imagesPerSecond: record.imagesPerSecond, etaSeconds: 0,
                                      metricName: task.primaryMetric, metricValue: record.metrics?[task.primaryMetric],
                                      record: history.last))
        }

        guard let best else { throw TrainingError.data("no evaluation ran") }
        let result = try writeOutputs(best: best, history: history, stoppedEarly: stoppedEarly, complete: true,
                                      weightsUsed: weightsUsed, validOptions: validOptions, started: started)
        let primary = result.primaryMetric
        progress(TrainingProgress(kind: .finished, epoch: result.epochsRun, epochs: p.numberOfEpochs, step: 0, steps: 0,
                                  loss: 0, learningRate: 0, imagesPerSecond: 0, etaSeconds: 0,
                                  metricName: primary.name, metricValue: primary.value))
        logger.info("done in \(fmt(result.seconds, 1)) s: best \(primary.name) \(fmt(primary.value, 4)) at epoch \(best.epoch); model in \(modelDirectory.path)")
        return result
    }

    /// Writes `model/model.json` and `metrics.json` for the best epoch so far (`complete` once the run ends).
    func writeOutputs(best: (epoch: Int, value: Double, report: ClassificationReport), history: [EpochRecord],
                      stoppedEarly: Bool, complete: Bool, weightsUsed: String?, validOptions: LoaderOptions,
                      started: Double) throws -> TrainingResult {
        let p = parameters
        let primary = ModelManifest.PrimaryMetric(name: task.primaryMetric, value: best.value)
        let manifest = ModelManifest(
            task: task, modelName: p.modelName, classes: data.classes,
            preprocessing: .init(validResizeSize: p.validResizeSize, validCropSize: p.validCropSize,
                                 mean: validOptions.mean, std: validOptions.std),
            imageSize: p.trainCropSize, primaryMetric: primary, source: "spoolctl train")
        try manifest.write(to: modelDirectory)
        try ScoringScript.write(into: modelDirectory)
        let result = TrainingResult(
            primaryMetric: primary, bestEpoch: best.epoch, epochsRun: history.last?.epoch ?? 0,
            stoppedEarly: stoppedEarly, complete: complete, history: history, bestReport: best.report, task: task,
            modelName: p.modelName, classes: data.classes, trainImages: data.train.count,
            validationImages: data.validation.count, seconds: now() - started, pretrainedWeights: weightsUsed,
            parameters: p)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(result).write(to: options.outputDirectory.appendingPathComponent("metrics.json"), options: .atomic)
        return result
    }

    func saveCheckpoint(_ model: Model, epoch: Int) throws {
        let folder = options.outputDirectory.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder.appendingPathComponent("epoch_\(epoch).safetensors").path)
        logger.info("epoch \(epoch): checkpoint saved (checkpoint_frequency \(parameters.checkpointFrequency ?? 0))")
    }

    func classWeights() -> [Float] {
        let counts = (0..<data.classes.count).map { c in data.train.filter { $0.labels.contains(c) }.count }
        let weights = ClassWeights.weights(classCounts: counts, sampleCount: data.train.count, mode: parameters.weightedLoss)
        return (weights ?? []).map { Float($0) }
    }

    /// Loads `pretrained_weights`, a run named by `checkpoint_run_id`, or weights found by model name; else
    /// says that training starts from scratch. Returns the file used.
    func loadStartingWeights(into model: Model) throws -> String? {
        try Self.loadStartingWeights(into: model, parameters: parameters, options: options, classes: data.classes, logger: logger)
    }

    /// The same, for any caller (the bundle probe checks the weights this way before a job is queued).
    public static func loadStartingWeights(into model: Model, parameters: TrainingParameters, options: RunOptions,
                                           classes: [String], logger: Logger) throws -> String? {
        let fm = FileManager.default
        if let run = parameters.checkpointRunID {
            let candidates = [URL(fileURLWithPath: run), options.baseDirectory?.appendingPathComponent(run)].compactMap { $0 }
            for base in candidates {
                for file in ["model/weights.safetensors", "weights.safetensors"] {
                    let url = base.appendingPathComponent(file)
                    if fm.fileExists(atPath: url.path) {
                        // The same classes in the same order: the head is kept too (a warm start from the model
                        // in use); otherwise it is re-initialised for this job's classes.
                        let earlier = try? ModelManifest.read(from: url.deletingLastPathComponent())
                        let sameClasses = earlier?.classes == classes && earlier?.modelName == parameters.modelName
                        let r = try model.load(weights: url.path, replaceHead: !sameClasses)
                        logger.info("checkpoint_run_id \(run): started from \(url.path) (\(r.loaded) tensors; \(sameClasses ? "head kept: same classes" : "head re-initialised"))")
                        return url.path
                    }
                }
            }
            throw TrainingError.weights("checkpoint_run_id '\(run)': no earlier run's model found there (looked for model/weights.safetensors under \(candidates.map(\.path).joined(separator: ", ")))")
        }
        if let given = parameters.pretrainedWeights {
            let url = given.hasPrefix("/") ? URL(fileURLWithPath: given)
                : (options.baseDirectory ?? URL(fileURLWithPath: fm.currentDirectoryPath)).appendingPathComponent(given)
            guard fm.fileExists(atPath: url.path) else {
                throw TrainingError.weights("training_parameters.pretrained_weights = \(given): no such file in the bundle or on this machine")
            }
            let r: Model.LoadReport
            do {
                r = try model.load(weights: url.path, replaceHead: true)
            } catch {
                let reason = error.message.hasPrefix(url.path + ": ") ? String(error.message.dropFirst(url.path.count + 2)) : error.message
                throw TrainingError.weights("training_parameters.pretrained_weights = \(given): \(reason)")
            }
            logger.info("pretrained weights \(url.path): \(r.loaded) tensors loaded, classifier head replaced for \(classes.count) classes")
            return url.path
        }
        for folder in options.weightsSearchPaths {
            for name in WeightsLookup.fileNames(for: parameters.modelName, in: folder) {
                let url = folder.appendingPathComponent(name)
                if fm.fileExists(atPath: url.path) {
                    let r = try model.load(weights: url.path, replaceHead: true)
                    logger.info("pretrained weights found in \(folder.path): \(name), \(r.loaded) tensors loaded, classifier head replaced")
                    return url.path
                }
            }
        }
        let searched = options.weightsSearchPaths.map(\.path).joined(separator: ", ")
        logger.notice("no pretrained weights for \(parameters.modelName.rawValue)\(searched.isEmpty ? "" : " in \(searched)"): training starts from scratch (random initialisation). Set training_parameters.pretrained_weights or SPOOL_WEIGHTS_DIR to use ImageNet weights.")
        return nil
    }
}

/// The file names under which a weights folder may hold a model's reference weights.
public enum WeightsLookup {
    /// The names to look for in `folder`: Spool's and the reference's, and the official download names
    /// (`resnet18-f37072fd.pth`: the reference's name, a dash and a hash prefix).
    public static func fileNames(for model: ClassificationModel, in folder: URL) -> [String] {
        let official = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { name in
            fileNames(for: model).contains { known in
                let stem = (known as NSString).deletingPathExtension
                return name.hasPrefix(stem + "-") && [".pth", ".pt", ".bin", ".safetensors"].contains { name.hasSuffix($0) }
            }
        }.sorted()
        return fileNames(for: model) + official
    }

    public static func fileNames(for model: ClassificationModel) -> [String] {
        let reference: String = switch model {
        case .mobilenetv2: "mobilenet_v2"
        case .resnest50: "resnest50d"
        case .resnest101: "resnest101e"
        case .seresnext: "seresnext50_32x4d"
        case .vits16r224: "vit_small_patch16_224"
        case .vitb16r224: "vit_b_16"
        case .vitl16r224: "vit_l_16"
        default: model.rawValue
        }
        return ["\(model.rawValue).safetensors", "\(reference).safetensors", "\(model.rawValue).pth", "\(reference).pth"]
    }
}
