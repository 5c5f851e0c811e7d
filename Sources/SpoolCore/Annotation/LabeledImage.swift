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

    public init(classes: [String], train: [LabeledImage], validation: [LabeledImage]) {
        self.classes = classes
        self.train = train
        self.validation = validation
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
