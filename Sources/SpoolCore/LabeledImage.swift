/// One image file with its class indices (one for multiclass; zero or more for multilabel).
public struct LabeledImage: Sendable, Equatable {
    public var path: String
    public var labels: [Int]

    public init(path: String, labels: [Int]) {
        self.path = path
        self.labels = labels
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
