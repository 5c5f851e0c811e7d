/// What a converter produced: the JSONL lines in input order, and what it warned about.
public struct ConvertedDataset: Sendable, Hashable {
    public var images: [ConvertedImage]
    public var warnings: [ConversionWarning]

    public init(images: [ConvertedImage], warnings: [ConversionWarning] = []) {
        self.images = images
        self.warnings = warnings
    }

    /// Boxes, polygons, or class labels (one per image for classification).
    public var annotationCount: Int {
        images.reduce(0) { $0 + $1.label.classNames.count }
    }

    /// The sorted class names the output uses.
    public var classNames: [String] {
        Set(images.flatMap(\.label.classNames)).sorted()
    }

    /// The JSONL text: one line per image, keys sorted, ending with a newline.
    public var jsonl: String { JSONLWriter.text(for: images) }

    /// `3 images, 7 annotations, 2 classes, 2 warnings (1 image without annotations, 1 shape clipped to the image)`.
    public var summary: String {
        var text = "\(images.count) \(images.count == 1 ? "image" : "images"), "
            + "\(annotationCount) \(annotationCount == 1 ? "annotation" : "annotations"), "
            + "\(classNames.count) \(classNames.count == 1 ? "class" : "classes"), "
            + "\(warnings.count) \(warnings.count == 1 ? "warning" : "warnings")"
        let kinds = ConversionWarning.Kind.allCases.compactMap { kind -> String? in
            let count = warnings.filter { $0.kind == kind }.count
            return count > 0 ? kind.summary(count) : nil
        }
        if !kinds.isEmpty { text += " (" + kinds.joined(separator: ", ") + ")" }
        return text
    }
}
