import Foundation
import SpoolCore

/// Checks a bundle before it is queued: settings, training parameters, JSONL, at least 10 images, labels,
/// every image present and decodable, and the starting weights. Every problem is collected, so the user fixes
/// them all in one go; a check that could not run is a problem, never a silent pass.
public struct BundleValidator: Sendable {
    /// `spool-trainer`, which decodes the images and loads the weights in a disposable process.
    public var trainer: URL?
    /// Seconds the probe may take before it is stopped (a decoder stuck on a hostile image).
    public var probeTimeout: Double = 600
    public static let minimumImages = 10

    /// Folders of reference weights the probe searches, as trials do.
    public var weightsDirectories: [String] = []

    public init(trainer: URL?, weightsDirectories: [String] = []) {
        self.trainer = trainer
        self.weightsDirectories = weightsDirectories
    }

    public struct Report: Sendable {
        public var bundle: JobBundle?
        public var parameters: TrainingParameters?
        public var problems: [String]
        public var warnings: [String]
        public var probe: ProbeReport?
        public var isValid: Bool { problems.isEmpty }
    }

    /// - Parameters:
    ///   - displayName: how messages name the bundle's folder (a drop's name rather than a temporary path).
    ///   - estimate: also measure a training step on this machine (for `spoolctl validate`'s time per epoch).
    public func validate(bundleRoot: URL, displayName: String? = nil, estimate: Bool = false) -> Report {
        var report = check(bundleRoot: bundleRoot, estimate: estimate)
        // Messages name the user's bundle, never the folder it was unpacked into.
        let root = bundleRoot.standardizedFileURL.path
        let shown = displayName ?? root
        let clean = { (text: String) in
            text.replacingOccurrences(of: root + "/", with: "").replacingOccurrences(of: root, with: shown)
        }
        report.problems = report.problems.map(clean)
        report.warnings = report.warnings.map(clean)
        return report
    }

    func check(bundleRoot: URL, estimate: Bool) -> Report {
        var problems: [String] = [], warnings: [String] = []
        let inspection: JobBundle.Inspection
        do {
            inspection = try JobBundle.inspect(directory: bundleRoot)
        } catch let error as SettingsError {
            return Report(bundle: nil, parameters: nil, problems: error.problems.map(\.description), warnings: [])
        } catch {
            return Report(bundle: nil, parameters: nil, problems: [ErrorText.describe(error)], warnings: [])
        }
        problems += inspection.problems
        guard let bundle = inspection.bundle else {
            return Report(bundle: nil, parameters: nil, problems: problems, warnings: [])
        }
        var parameters: TrainingParameters?
        do {
            parameters = try bundle.settings.firstTrialParameters()
        } catch {
            problems += error.problems.map(\.description)
        }
        let images = bundle.trainRecords.count + (bundle.validationRecords?.count ?? 0)
        // No valid line at all: the JSONL's problems say why; "0 images" would only repeat them.
        if images < Self.minimumImages, images > 0 || inspection.problems.isEmpty {
            problems.append("\(bundle.settings.trainingDataPath): \(images) images; at least \(Self.minimumImages) are needed to train and validate")
        }
        warnings += bundle.fewExamplesWarnings()
        var probe: ProbeReport?
        if let trainer {
            let result = Self.probe(trainer: trainer, bundle: bundleRoot, estimate: estimate && parameters != nil,
                                    weightsDirectories: weightsDirectories, timeout: probeTimeout)
            problems += result.problems
            warnings += result.warnings
            probe = result
        } else {
            problems.append("the images and weights were not checked: spool-trainer (which decodes them) was not found "
                + "beside spoolctl; install it there or set SPOOL_TRAINER to its path")
        }
        return Report(bundle: bundle, parameters: parameters, problems: problems, warnings: warnings, probe: probe)
    }

    /// Runs `spool-trainer probe BUNDLE` and reads its JSON report.
    static func probe(trainer: URL, bundle: URL, estimate: Bool, weightsDirectories: [String], timeout: Double) -> ProbeReport {
        let arguments = ["probe", bundle.path] + (estimate ? ["--estimate"] : []) + weightsDirectories.flatMap { ["--weights-dir", $0] }
        let output: ChildProcess.Output
        do {
            output = try ChildProcess.run(trainer, arguments, environment: TrainerEnvironment.apply(to: ProcessInfo.processInfo.environment),
                                          timeout: timeout)
        } catch {
            return ProbeReport(problems: ["the images were not checked: \(error.description)"])
        }
        if let report = try? JSONDecoder().decode(ProbeReport.self, from: output.stdout) { return report }
        let why = output.lastErrorLine.map { ": \($0)" } ?? ""
        return ProbeReport(problems: ["the image and weights check \(output.endDescription)\(why); the bundle could not be checked"])
    }
}

extension BundleValidator.Report {
    /// What training this bundle will do, for `spoolctl validate` and `submit`: task, classes with counts,
    /// split, model, weights, epochs and a rough time per epoch on this machine.
    public var summary: BundleSummary? {
        guard let bundle, let parameters else { return nil }
        return BundleSummary(bundle: bundle, parameters: parameters, probe: probe)
    }
}

/// The plan a valid bundle makes, as `spoolctl validate` prints it (and `--json` gives it).
public struct BundleSummary: Codable, Sendable {
    public struct ClassCount: Codable, Sendable {
        public var name: String
        public var train: Int
        public var validation: Int
    }

    public var task: String
    public var model: String
    public var classes: [ClassCount]
    public var trainImages: Int
    public var validationImages: Int
    /// "validation_data.path" or "split_ratio 0.2 of train.jsonl (seeded)".
    public var split: String
    public var weights: String
    public var epochs: Int
    public var batchSize: Int
    public var maxTrials: Int
    public var secondsPerEpoch: Double?
    public var estimatedOn: String?
    /// Said when the model was left to a default this machine cannot train well.
    public var advice: String?

    enum CodingKeys: String, CodingKey {
        case task, model, classes, split, weights, epochs
        case trainImages = "train_images", validationImages = "validation_images", batchSize = "batch_size"
        case maxTrials = "max_trials", secondsPerEpoch = "seconds_per_epoch", estimatedOn = "estimated_on", advice
    }

    init(bundle: JobBundle, parameters: TrainingParameters, probe: ProbeReport?) {
        let settings = bundle.settings
        task = settings.task.rawValue
        model = parameters.modelName.rawValue
        var train: [String: Int] = [:], validation: [String: Int] = [:]
        let trainCount: Int, validationCount: Int
        if let records = bundle.validationRecords {
            for r in bundle.trainRecords { for c in r.label.classNames { train[c, default: 0] += 1 } }
            for r in records { for c in r.label.classNames { validation[c, default: 0] += 1 } }
            trainCount = bundle.trainRecords.count
            validationCount = records.count
            split = "validation from \(settings.validationDataPath ?? "the validation JSONL")"
        } else if let parts = try? DatasetSplit.split(records: bundle.trainRecords, ratio: parameters.splitRatio,
                                                      seed: UInt64(parameters.seed ?? 0)) {
            for i in parts.trainIndices { for c in bundle.trainRecords[i].label.classNames { train[c, default: 0] += 1 } }
            for i in parts.validationIndices { for c in bundle.trainRecords[i].label.classNames { validation[c, default: 0] += 1 } }
            trainCount = parts.trainIndices.count
            validationCount = parts.validationIndices.count
            split = "\(Int((parameters.splitRatio * 100).rounded()))% of \(settings.trainingDataPath) held out for validation (seeded)"
        } else {
            trainCount = bundle.trainRecords.count
            validationCount = 0
            split = "none"
        }
        trainImages = trainCount
        validationImages = validationCount
        classes = Set(train.keys).union(validation.keys).sorted().map {
            ClassCount(name: $0, train: train[$0] ?? 0, validation: validation[$0] ?? 0)
        }
        weights = probe?.weights.map { "from \($0)" } ?? "from scratch (no pretrained weights given or found)"
        epochs = parameters.numberOfEpochs
        batchSize = parameters.trainingBatchSize
        maxTrials = settings.limits.maxTrials
        // An epoch: its training images through training steps, its validation images through the validation pass,
        // then its resume checkpoint.
        func epoch(train: Double, validation: Double?) -> Double {
            train * Double(trainCount) + (validation ?? 0) * Double(validationCount)
        }
        secondsPerEpoch = probe?.secondsPerImage.map {
            epoch(train: $0, validation: probe?.validationSecondsPerImage) + (probe?.checkpointSeconds ?? 0)
        }
        estimatedOn = probe.flatMap { probe in
            probe.device.map { device in
                [device, probe.measuredBatch.map { "batch \($0)" }, probe.memoryFormat].compactMap { $0 }.joined(separator: ", ")
            }
        }
        // The default model on a machine it does not suit: another is advised only when it was measured faster.
        if let alternative = probe?.alternative, let secondsPerEpoch {
            let theirs = epoch(train: alternative.secondsPerImage, validation: alternative.validationSecondsPerImage)
            if theirs < 0.8 * secondsPerEpoch {
                advice = "model_name is not set, so Azure's default \(model) is used: a GPU model meant to start from ImageNet "
                    + "weights; \(alternative.reason) it takes about \(Self.duration(secondsPerEpoch)) per epoch here. "
                    + "\(alternative.model) takes about \(Self.duration(theirs)): set training_parameters.model_name: \(alternative.model), "
                    + "or train on a GPU with `spoolctl weights pull \(model)`."
            }
        }
    }

    /// The lines `spoolctl validate` prints.
    public var lines: [String] {
        var out = ["task        \(task)",
                   "model       \(model), \(weights)",
                   "data        \(trainImages) training and \(validationImages) validation images; \(split)",
                   "classes     \(classes.count):"]
        let width = classes.map(\.name.count).max() ?? 0
        for c in classes {
            out.append("              \(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.train) train, \(c.validation) validation")
        }
        var plan = "training    \(epochs) epoch(s), batch \(batchSize)"
        if maxTrials > 1 { plan += ", up to \(maxTrials) trials" }
        out.append(plan)
        if let secondsPerEpoch {
            out.append("time        about \(Self.duration(secondsPerEpoch)) per epoch on this machine (\(estimatedOn ?? "measured")), "
                + "about \(Self.duration(secondsPerEpoch * Double(epochs))) per trial")
        }
        if let advice { out.append("advice      \(advice)") }
        return out
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        if seconds < 90 { return "\(Int(seconds.rounded())) s" }
        if seconds < 5400 { return "\(Int((seconds / 60).rounded())) min" }
        return String(format: "%.1f h", seconds / 3600)
    }
}
