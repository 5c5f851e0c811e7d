import Foundation


/// A bundle folder resolved for training: its settings, its JSONL records and where its images are.
///
/// Layout (spec section 2): `settings.yaml` (or `.yml`/`.json`), the training JSONL, an optional validation
/// JSONL, and the images in `images/` or beside the JSONL. `image_url` resolves against the images root
/// first, then the bundle folder.
public struct JobBundle: Sendable {
    public let directory: URL
    public let settings: JobSettings
    public let trainRecords: [DatasetRecord]
    public let validationRecords: [DatasetRecord]?

    public static let settingsNames = ["settings.yaml", "settings.yml", "settings.json"]

    /// Reads and checks the bundle; every problem of a file is reported at once.
    public static func load(directory: URL) throws -> JobBundle {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw TrainingError.bundle("\(directory.path): not a folder; a bundle folder holds settings.yaml, the JSONL and the images")
        }
        guard let settingsURL = settingsNames.map({ directory.appendingPathComponent($0) })
            .first(where: { fm.fileExists(atPath: $0.path) }) else {
            throw TrainingError.bundle("\(directory.path): no settings.yaml (or settings.yml / settings.json); see examples/shapes/settings.yaml")
        }
        let settings = try JobSettings.load(from: settingsURL)
        guard settings.task.isClassification else {
            throw TrainingError.bundle("\(settingsURL.lastPathComponent): task \(settings.task.rawValue) is not supported by this version; use image_classification or image_classification_multilabel")
        }
        let trainURL = directory.appendingPathComponent(settings.trainingDataPath)
        guard fm.fileExists(atPath: trainURL.path) else {
            throw TrainingError.bundle("\(settingsURL.lastPathComponent): training_data.path '\(settings.trainingDataPath)' does not exist in \(directory.path)")
        }
        let train = try JSONLDataset.load(url: trainURL, task: settings.task, displayName: settings.trainingDataPath)
        var validation: [DatasetRecord]?
        if let path = settings.validationDataPath {
            let url = directory.appendingPathComponent(path)
            guard fm.fileExists(atPath: url.path) else {
                throw TrainingError.bundle("\(settingsURL.lastPathComponent): validation_data.path '\(path)' does not exist in \(directory.path)")
            }
            validation = try JSONLDataset.load(url: url, task: settings.task, displayName: path)
        }
        return JobBundle(directory: directory, settings: settings, trainRecords: train, validationRecords: validation)
    }

    /// Where an `image_url` points: under `images/` when the bundle has that folder and the path is not
    /// already under it, else relative to the bundle.
    public func imagePath(_ record: DatasetRecord) -> String {
        let direct = directory.appendingPathComponent(record.imageURL)
        if FileManager.default.fileExists(atPath: direct.path) { return direct.path }
        let underImages = directory.appendingPathComponent("images").appendingPathComponent(record.imageURL)
        if FileManager.default.fileExists(atPath: underImages.path) { return underImages.path }
        return direct.path
    }

    /// Class names (sorted), training and validation images, with the seeded split when there is no
    /// validation JSONL. Missing images are reported all at once, with their JSONL lines.
    public func trainingData(splitRatio: Double, seed: UInt64) throws -> TrainingData {
        let all = trainRecords + (validationRecords ?? [])
        let classes = JSONLDataset.classNames(in: all)
        guard !classes.isEmpty else { throw TrainingError.data("\(settings.trainingDataPath): no labels at all") }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var missing: [String] = []
        func images(_ records: [DatasetRecord], file: String) -> [LabeledImage] {
            records.map { r in
                let path = imagePath(r)
                if !FileManager.default.fileExists(atPath: path) {
                    missing.append("\(file):\(r.line): image_url: \(r.imageURL) not found in the bundle")
                }
                return LabeledImage(path: path, labels: r.label.classNames.compactMap { index[$0] })
            }
        }
        let train: [LabeledImage], validation: [LabeledImage]
        if let validationRecords {
            train = images(trainRecords, file: settings.trainingDataPath)
            validation = images(validationRecords, file: settings.validationDataPath ?? "validation")
        } else {
            let split = try DatasetSplit.split(records: trainRecords, ratio: splitRatio, seed: seed)
            let labelled = images(trainRecords, file: settings.trainingDataPath)
            train = split.trainIndices.map { labelled[$0] }
            validation = split.validationIndices.map { labelled[$0] }
        }
        if !missing.isEmpty {
            let shown = missing.prefix(20).joined(separator: "\n")
            throw TrainingError.data("\(missing.count) image(s) missing:\n\(shown)\(missing.count > 20 ? "\n..." : "")")
        }
        return TrainingData(classes: classes, train: train, validation: validation)
    }
}
