import Foundation

/// A bundle folder resolved for training: its settings, its JSONL records and where its images are.
///
/// Layout (spec section 2): `settings.yaml` (or `.yml`/`.json`), the training JSONL (or an Azure MLTable
/// folder naming it), an optional validation JSONL, and the images in `images/` or beside the JSONL.
/// `ImageLocator` says where an `image_url` is looked for.
public struct JobBundle: Sendable {
    public let directory: URL
    public let settings: JobSettings
    public let trainRecords: [DatasetRecord]
    public let validationRecords: [DatasetRecord]?
    /// Finds every image of the bundle (training and validation alike).
    public let locator: ImageLocator

    public static let settingsNames = ["settings.yaml", "settings.yml", "settings.json"]

    /// What reading a bundle found: the bundle when its settings and JSONL could be read (even with missing
    /// images), and every problem at once, in file and line order.
    public struct Inspection: Sendable {
        public var bundle: JobBundle?
        public var problems: [String]
        public var isValid: Bool { bundle != nil && problems.isEmpty }
    }

    /// Reads and checks the bundle; every problem is reported at once.
    public static func load(directory: URL) throws -> JobBundle {
        let inspection = try inspect(directory: directory)
        guard let bundle = inspection.bundle, inspection.problems.isEmpty else {
            throw TrainingError.bundle("the bundle has problems:\n" + inspection.problems.joined(separator: "\n"))
        }
        return bundle
    }

    /// Reads the settings and JSONL and checks that every image exists, collecting every problem: JSONL
    /// problems of one line do not hide the missing images of another.
    /// - Throws: `SettingsError` when the settings cannot be read (nothing else can be checked then), and
    ///   `TrainingError` when the folder or its settings file is missing.
    public static func inspect(directory: URL) throws -> Inspection {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw TrainingError.bundle("\(directory.path): not a folder; a bundle folder holds settings.yaml, the JSONL and the images")
        }
        guard let settingsURL = settingsNames.map({ directory.appendingPathComponent($0) })
            .first(where: { fm.fileExists(atPath: $0.path) }) else {
            throw TrainingError.bundle("the bundle has no settings.yaml (or settings.yml / settings.json) at its top; "
                + "see examples/shapes/settings.yaml")
        }
        let settings = try JobSettings.load(from: settingsURL)
        let settingsName = settingsURL.lastPathComponent
        var problems: [String] = []
        func dataFile(_ path: String, key: String) -> URL? {
            let url = directory.appendingPathComponent(path).standardizedFileURL
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                problems.append("\(settingsName): \(key).path '\(path)' is not in the bundle")
                return nil
            }
            guard isFolder.boolValue else { return url }
            do {
                return try MLTable.jsonl(inFolder: url, display: path)
            } catch {
                problems.append(error.description)
                return nil
            }
        }
        func read(_ url: URL?, display: String) -> [DatasetRecord]? {
            guard let url else { return nil }
            let result = JSONLDataset.read(url: url, task: settings.task, displayName: display)
            problems += result.problems.map(\.description)
            return result.records
        }
        let trainURL = dataFile(settings.trainingDataPath, key: "training_data")
        let validationURL = settings.validationDataPath.flatMap { dataFile($0, key: "validation_data") }
        let trainName = trainURL.map { Self.relative($0, to: directory) } ?? settings.trainingDataPath
        let validationName = validationURL.map { Self.relative($0, to: directory) } ?? settings.validationDataPath ?? "validation"
        let train = read(trainURL, display: trainName)
        let validation = read(validationURL, display: validationName)
        let bases = [directory] + [trainURL, validationURL].compactMap { $0?.deletingLastPathComponent() }
        let locator = ImageLocator(bases: bases)
        guard let train, settings.validationDataPath == nil || validation != nil else {
            return Inspection(bundle: nil, problems: problems)
        }
        let bundle = JobBundle(directory: directory, settings: settings, trainRecords: train,
                               validationRecords: validation, locator: locator)
        problems += bundle.missingImageProblems(files: [(trainName, train)] + (validation.map { [(validationName, $0)] } ?? []))
        if problems.isEmpty { problems += bundle.labelProblems() }
        return Inspection(bundle: bundle, problems: problems)
    }

    static func relative(_ url: URL, to base: URL) -> String {
        let path = url.standardizedFileURL.path, prefix = base.standardizedFileURL.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : url.lastPathComponent
    }

    /// Every image a record names that is not in the bundle, with its file and line; when none is found at
    /// all, one message that says where Spool looked and what to do.
    func missingImageProblems(files: [(String, [DatasetRecord])]) -> [String] {
        var missing: [String] = []
        var total = 0
        var claimed: [String: (file: String, line: Int, url: String)] = [:]
        for (file, records) in files {
            for record in records {
                total += 1
                guard let path = locator.path(for: record.imageURL) else {
                    missing.append("\(file):\(record.line): image_url: \(record.imageURL) is not in the bundle")
                    continue
                }
                if let earlier = claimed[path], earlier.url != record.imageURL {
                    missing.append("\(file):\(record.line): image_url: \(record.imageURL) resolves to the same file as "
                        + "\(earlier.file):\(earlier.line) (\(earlier.url)); give each image its own path")
                }
                claimed[path] = (file, record.line, record.imageURL)
            }
        }
        if total > 0, missing.count == total {
            let example = files.first { !$0.1.isEmpty }.map { "\($0.0):\($0.1[0].line) names \($0.1[0].imageURL)" } ?? ""
            return ["none of the \(total) images the JSONL names is in the bundle (\(example)). Looked in: "
                + "\(locator.searched(relativeTo: directory)) (an images archive is unpacked into images/). Put the "
                + "images in the bundle's images/ folder (or an images.tar/.zip), with image_url relative to it, "
                + "e.g. \"image_url\": \"images/0001.jpg\""]
        }
        return missing
    }

    /// Where an `image_url` points (`ImageLocator`); a path under the bundle when it is missing.
    public func imagePath(_ record: DatasetRecord) -> String {
        locator.path(for: record.imageURL) ?? locator.expectedPath(for: record.imageURL)
    }

    /// Problems with the labels as a whole: a multiclass model needs two classes or more, a multilabel one at
    /// least one positive label (a dataset of one class "trains" to accuracy 1.0 and learns nothing).
    public func labelProblems() -> [String] {
        let all = trainRecords + (validationRecords ?? [])
        let classes = JSONLDataset.classNames(in: all)
        let file = settings.trainingDataPath + (settings.validationDataPath.map { " and \($0)" } ?? "")
        switch settings.task {
        case .imageClassification where classes.count < 2:
            let named = classes.first.map { "only the class '\($0)'" } ?? "no class"
            return ["\(file): \(named) in \(all.count) image(s); multiclass classification needs two classes or more "
                + "(label each image with its class; for yes/no questions add the 'no' images as a class of their own)"]
        case .imageClassificationMultilabel where classes.isEmpty:
            return ["\(file): no image has a label; multilabel classification needs at least one positive label "
                + "(\"label\": [\"name\", ...])"]
        case .imageObjectDetection, .imageInstanceSegmentation:
            let objects = all.reduce(0) { $0 + $1.label.objects.filter { !$0.isCrowd }.count }
            return objects == 0 ? ["\(file): no image has an object (other than crowd regions); \(settings.task.rawValue) needs "
                + "labelled objects to learn from"] : []
        default:
            return []
        }
    }

    /// Labels with fewer than `minimum` examples: a warning, not a rejection (spec section 2). Classification
    /// counts images; detection counts boxes and segmentation objects (an image with three cats is three).
    public func fewExamplesWarnings(minimum: Int = 10) -> [String] {
        var perLabel: [String: Int] = [:]
        for record in trainRecords + (validationRecords ?? []) {
            for name in record.label.classNames { perLabel[name, default: 0] += 1 }
        }
        let unit = switch settings.task {
        case .imageClassification, .imageClassificationMultilabel: (one: "image", many: "images")
        case .imageObjectDetection: (one: "box", many: "boxes")
        case .imageInstanceSegmentation: (one: "object", many: "objects")
        }
        return perLabel.sorted { $0.key < $1.key }.filter { $0.value < minimum }.map { label, count in
            "label '\(label)' has only \(count) \(count == 1 ? unit.one : unit.many); 10-15 or more \(unit.many) "
                + "per label train better"
        }
    }

    /// Class names (sorted), training and validation images, with the seeded split when there is no
    /// validation JSONL. Missing images are reported all at once, with their JSONL lines.
    public func trainingData(splitRatio: Double, seed: UInt64) throws -> TrainingData {
        let all = trainRecords + (validationRecords ?? [])
        let classes = JSONLDataset.classNames(in: all)
        if let problem = labelProblems().first { throw TrainingError.data(problem) }
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let missing = missingImageProblems(files: [(settings.trainingDataPath, trainRecords)]
            + (validationRecords.map { [(settings.validationDataPath ?? "validation", $0)] } ?? []))
        if !missing.isEmpty {
            let shown = missing.prefix(20).joined(separator: "\n")
            throw TrainingError.data("\(missing.count) image problem(s):\n\(shown)\(missing.count > 20 ? "\n..." : "")")
        }
        func images(_ records: [DatasetRecord]) -> [LabeledImage] {
            records.map { record in
                let objects = record.label.objects.compactMap { object -> LabeledObject? in
                    guard let c = index[object.label] else { return nil }
                    return LabeledObject(classIndex: c, box: object.box, isCrowd: object.isCrowd, polygons: object.polygons)
                }
                let labels = record.label.objects.isEmpty ? record.label.classNames.compactMap { index[$0] } : []
                return LabeledImage(path: imagePath(record), labels: labels, objects: objects)
            }
        }
        let train: [LabeledImage], validation: [LabeledImage]
        if let validationRecords {
            train = images(trainRecords)
            validation = images(validationRecords)
        } else {
            let split = try DatasetSplit.split(records: trainRecords, ratio: splitRatio, seed: seed)
            let labelled = images(trainRecords)
            train = split.trainIndices.map { labelled[$0] }
            validation = split.validationIndices.map { labelled[$0] }
        }
        let split: SplitDescription = validationRecords == nil ? .splitRatio(splitRatio, seed: seed)
            : .validationData(settings.validationDataPath ?? "validation")
        return TrainingData(classes: classes, train: train, validation: validation, split: split)
    }
}
