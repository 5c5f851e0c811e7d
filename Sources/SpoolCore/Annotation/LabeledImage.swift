import Foundation

/// One image file with its annotation resolved to class indices: one class (multiclass), zero or more
/// (multilabel), or objects (detection, segmentation).
public struct LabeledImage: Sendable, Equatable {
    public var path: String
    /// Classification: the class indices.
    public var labels: [Int]
    /// Detection and segmentation: the objects, each with its class index.
    public var objects: [LabeledObject]

    public init(path: String, labels: [Int], objects: [LabeledObject] = []) {
        self.path = path
        self.labels = labels
        self.objects = objects
    }
}

/// An object of an image with its class index.
public struct LabeledObject: Sendable, Equatable {
    public var classIndex: Int
    public var box: NormalizedBox
    public var isCrowd: Bool
    /// Segmentation: polygon parts, [x1, y1, x2, y2, ...] normalised.
    public var polygons: [[Double]]

    public init(classIndex: Int, box: NormalizedBox, isCrowd: Bool, polygons: [[Double]] = []) {
        self.classIndex = classIndex
        self.box = box
        self.isCrowd = isCrowd
        self.polygons = polygons
    }
}

/// The data of one training run, already resolved to files and class indices.
public struct TrainingData: Sendable {
    public var classes: [String]
    public var train: [LabeledImage]
    public var validation: [LabeledImage]
    /// How `validation` was chosen, when known (a bundle's data says; `metrics.json` records it).
    public var split: SplitDescription?

    public init(classes: [String], train: [LabeledImage], validation: [LabeledImage], split: SplitDescription? = nil) {
        self.classes = classes
        self.train = train
        self.validation = validation
        self.split = split
    }

    /// Loader targets: class indices (width 1) or multi-hot rows (width = classes).
    public func targets(_ images: [LabeledImage], multilabel: Bool) -> (values: [Float], width: Int) {
        if !multilabel { return (images.map { Float($0.labels.first ?? 0) }, 1) }
        var rows = [Float](repeating: 0, count: images.count * classes.count)
        for (i, image) in images.enumerated() {
            for label in image.labels { rows[i * classes.count + label] = 1 }
        }
        return (rows, classes.count)
    }
}

extension LabeledImage {
    /// The images of a labelled JSONL file (Azure's schema for `task`), paths resolved as training resolves them
    /// (beside the file, `images/`, datastore prefixes dropped), labels as indices into `classes` (a model's).
    /// - Throws: `TrainingError.data` naming the file, the line and the label a model does not know, or the
    ///   images that are missing.
    public static func read(jsonl url: URL, task: ImageTask, classes: [String]) throws -> [LabeledImage] {
        let records: [DatasetRecord]
        do {
            records = try JSONLDataset.load(url: url, task: task)
        } catch {
            throw TrainingError.data(ErrorText.describe(error))
        }
        let locator = ImageLocator(bases: [url.deletingLastPathComponent()])
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        var images: [LabeledImage] = []
        for record in records {
            func known(_ name: String) -> Int? {
                guard let c = index[name] else {
                    problems.append("\(url.lastPathComponent):\(record.line): label '\(name)' is not one of the model's classes (\(classes.joined(separator: ", ")))")
                    return nil
                }
                return c
            }
            guard let path = locator.path(for: record.imageURL) else {
                problems.append("\(url.lastPathComponent):\(record.line): image_url \(record.imageURL): no such image (\(locator.searched(relativeTo: url.deletingLastPathComponent())))")
                continue
            }
            let objects = record.label.objects.compactMap { o in
                known(o.label).map { LabeledObject(classIndex: $0, box: o.box, isCrowd: o.isCrowd, polygons: o.polygons) }
            }
            let labels = record.label.objects.isEmpty ? record.label.classNames.compactMap(known) : []
            images.append(LabeledImage(path: path, labels: labels, objects: objects))
        }
        if !problems.isEmpty {
            throw TrainingError.data(problems.prefix(20).joined(separator: "\n") + (problems.count > 20 ? "\n... (\(problems.count) problems)" : ""))
        }
        return images
    }
}
