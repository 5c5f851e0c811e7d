import Foundation

/// COCO JSON -> Azure JSONL (object detection or instance segmentation), like Azure's own COCO converter.
///
/// One JSONL line per entry of `images`, in file order, even without annotations (an empty label list,
/// with a warning); within a line, the image's annotations in file order. Boxes (`[x, y, w, h]`) become
/// `topX = x/W, topY = y/H, bottomX = (x+w)/W, bottomY = (y+h)/H`; polygons are divided the same way,
/// with W and H from `images[].width/height`. `iscrowd` becomes `isCrowd`. RLE masks are refused by
/// annotation id: turning them into polygons needs contour tracing, which belongs to the exporter.
public struct COCOConverter: Sendable {
    /// Which JSONL the annotations become.
    public enum Task: String, Sendable, CaseIterable {
        /// Boxes: from `bbox`, else from the polygons' extent.
        case detection
        /// Polygons: from `segmentation`; an annotation with only a box becomes its four corners.
        case segmentation
    }

    /// nil: segmentation when any annotation has a polygon, else detection.
    public var task: Task?
    /// Put before each `file_name` to make `image_url` (a folder, `images/`, or a datastore URL).
    public var imagePrefix: String

    public init(task: Task? = nil, imagePrefix: String = "") {
        self.task = task
        self.imagePrefix = imagePrefix
    }

    /// Reads and converts the COCO file at `url`; `displayName` names it in messages (default: its path).
    public func convert(url: URL, displayName: String? = nil) throws(ConversionError) -> ConvertedDataset {
        let file = displayName ?? url.path
        return try convert(ConversionError.contents(of: url, file: file), file: file)
    }

    /// Converts COCO JSON content; `file` names it in messages.
    public func convert(_ data: Data, file: String) throws(ConversionError) -> ConvertedDataset {
        let dataset: COCODataset
        do {
            dataset = try JSONDecoder().decode(COCODataset.self, from: data)
        } catch let error as DecodingError {
            throw ConversionError(problems: [error.conversionProblem(file: file)])
        } catch {
            throw ConversionError(file: file, message: "not a COCO annotation file: \(error)")
        }
        return try convert(dataset, file: file)
    }

    /// Converts a decoded COCO dataset; every problem is reported at once.
    public func convert(_ dataset: COCODataset, file: String) throws(ConversionError) -> ConvertedDataset {
        var problems: [ConversionProblem] = []
        var warnings: [ConversionWarning] = []

        var categoryNames: [Int: String] = [:]
        for category in dataset.categories {
            if let other = categoryNames[category.id] {
                problems.append(ConversionProblem(
                    file: file, element: "category \(category.id)",
                    message: "the id is used twice (\(other), \(category.name)); category ids must be unique"))
            }
            categoryNames[category.id] = category.name
        }

        var imagePositions: [Int: Int] = [:]
        for (position, image) in dataset.images.enumerated() {
            if let other = imagePositions[image.id] {
                problems.append(ConversionProblem(
                    file: file, element: "image \(image.id)",
                    message: "the id is used twice (\(dataset.images[other].fileName), \(image.fileName)); image ids must be unique"))
                continue
            }
            imagePositions[image.id] = position
            if Self.size(of: image) == nil {
                problems.append(ConversionProblem(
                    file: file, element: Self.name(of: image),
                    message: "width and height must be positive numbers, to turn pixels into fractions of the image; "
                        + "got \(image.width.map(ShapeCheck.pixels) ?? "none") x \(image.height.map(ShapeCheck.pixels) ?? "none")"))
            }
        }

        let task = self.task ?? (dataset.annotations.contains { $0.hasPolygon } ? .segmentation : .detection)
        var objects = dataset.images.map { _ in [ImageObject]() }
        var usedCategories = Set<Int>()
        for (position, annotation) in dataset.annotations.enumerated() {
            let element = annotation.id.map { "annotation \($0)" } ?? "annotations[\(position)]"
            func problem(_ message: String) {
                problems.append(ConversionProblem(file: file, element: element, message: message))
            }
            func warn(_ kind: ConversionWarning.Kind, _ message: String) {
                warnings.append(ConversionWarning(kind, file: file, element: element, message: message))
            }
            let imagePosition = imagePositions[annotation.imageID]
            if imagePosition == nil {
                problem("image_id \(annotation.imageID) is not in images; add the image to images or remove the annotation")
            }
            let label = categoryNames[annotation.categoryID]
            if label == nil {
                problem("category_id \(annotation.categoryID) is not in categories; add the category or remove the annotation")
            }
            if let bbox = annotation.bbox, bbox.count != 4, !bbox.isEmpty {
                problem("bbox must be [x, y, width, height], got \(bbox.count) numbers")
                continue
            }
            if task == .segmentation, annotation.segmentation == .rle {
                problem("RLE masks are not supported; export polygons, or convert with --task detection to keep only its box")
                continue
            }
            guard let imagePosition, let label else { continue }
            let image = dataset.images[imagePosition]
            guard let size = Self.size(of: image) else { continue }
            let (width, height) = size
            let onImage = "image \(image.id) (\(ShapeCheck.size(width, height)))"

            let shape: ImageObject.Shape
            switch task {
            case .detection:
                guard let corners = annotation.boxCorners else {
                    warn(.annotationSkipped, "no bbox and no polygon; skipped")
                    continue
                }
                let (x0, y0, x1, y1) = corners
                switch ShapeCheck.box(x0: x0, y0: y0, x1: x1, y1: y1, width: width, height: height) {
                case let .box(box, clipped):
                    if clipped { warn(.clipped, "box clipped to \(onImage)") }
                    shape = .box(box)
                case let .zeroArea(w, h):
                    warn(.annotationSkipped, "box has zero or negative area (width \(ShapeCheck.pixels(w)), height \(ShapeCheck.pixels(h))); skipped")
                    continue
                case .outside:
                    warn(.annotationSkipped, "box lies outside \(onImage); skipped")
                    continue
                }
            case .segmentation:
                if case let .polygons(parts) = annotation.segmentation, !parts.isEmpty {
                    var kept: [[Double]] = []
                    var clipped = false
                    for (index, part) in parts.enumerated() {
                        switch ShapeCheck.polygonPart(part, width: width, height: height) {
                        case let .part(points, wasClipped):
                            kept.append(points)
                            clipped = clipped || wasClipped
                        case let .malformed(count):
                            warn(.annotationSkipped, "polygon \(index) has \(count) numbers; a polygon needs x, y pairs for at least 3 points; part skipped")
                        case .zeroArea:
                            warn(.annotationSkipped, "polygon \(index) encloses no area; part skipped")
                        case .outside:
                            warn(.annotationSkipped, "polygon \(index) lies outside \(onImage); part skipped")
                        }
                    }
                    if kept.isEmpty {
                        warn(.annotationSkipped, "no usable polygon; skipped")
                        continue
                    }
                    if clipped { warn(.clipped, "polygon clipped to \(onImage)") }
                    shape = .polygon(kept)
                } else if let bbox = annotation.bbox, bbox.count == 4 {
                    switch ShapeCheck.box(x0: bbox[0], y0: bbox[1], x1: bbox[0] + bbox[2], y1: bbox[1] + bbox[3],
                                          width: width, height: height) {
                    case let .box(box, clipped):
                        if clipped { warn(.clipped, "box clipped to \(onImage)") }
                        warn(.boxAsPolygon, "no polygon; its box is written as a 4-point polygon")
                        shape = .polygon([[box.topX, box.topY, box.bottomX, box.topY, box.bottomX, box.bottomY, box.topX, box.bottomY]])
                    case let .zeroArea(w, h):
                        warn(.annotationSkipped, "no polygon, and its box has zero or negative area (width \(ShapeCheck.pixels(w)), height \(ShapeCheck.pixels(h))); skipped")
                        continue
                    case .outside:
                        warn(.annotationSkipped, "no polygon, and its box lies outside \(onImage); skipped")
                        continue
                    }
                } else {
                    warn(.annotationSkipped, "no polygon and no bbox; skipped")
                    continue
                }
            }
            usedCategories.insert(annotation.categoryID)
            objects[imagePosition].append(ImageObject(label: label, isCrowd: (annotation.iscrowd ?? 0) != 0, shape: shape))
        }
        guard problems.isEmpty else { throw ConversionError(problems: problems) }

        var images: [ConvertedImage] = []
        for (position, image) in dataset.images.enumerated() where imagePositions[image.id] == position {
            if objects[position].isEmpty {
                warnings.append(ConversionWarning(
                    .imageWithoutAnnotations, file: file, element: Self.name(of: image),
                    message: "no annotations; written with an empty label list"))
            }
            guard let size = Self.size(of: image) else { continue }  // a problem, reported above
            let (width, height) = size
            images.append(ConvertedImage(
                imageURL: ImageURL.join(imagePrefix, image.fileName),
                details: ImageDetails(format: ImageURL.format(of: image.fileName), width: Int(width.rounded()), height: Int(height.rounded())),
                label: .objects(objects[position])))
        }
        for category in dataset.categories where !usedCategories.contains(category.id) {
            warnings.append(ConversionWarning(
                .categoryNeverUsed, file: file, element: "category \(category.id) (\(category.name))",
                message: "no annotation uses it; it is not among the classes"))
        }
        return ConvertedDataset(images: images, warnings: warnings)
    }

    /// `image 3 (kitchen/0001.jpg)`.
    static func name(of image: COCODataset.Image) -> String {
        "image \(image.id) (\(image.fileName))"
    }

    /// The image's size when both are positive finite numbers.
    static func size(of image: COCODataset.Image) -> (Double, Double)? {
        guard let width = image.width, let height = image.height, width > 0, height > 0,
              width.isFinite, height.isFinite else { return nil }
        return (width, height)
    }
}

extension COCODataset.Annotation {
    /// Has at least one polygon (not an RLE mask, not `[]`).
    var hasPolygon: Bool {
        if case let .polygons(parts) = segmentation { return parts.contains { !$0.isEmpty } }
        return false
    }

    /// The box's corners in pixels: `bbox`, else the extent of the polygons.
    var boxCorners: (Double, Double, Double, Double)? {
        if let bbox, bbox.count == 4 { return (bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]) }
        guard case let .polygons(parts) = segmentation else { return nil }
        let points = parts.joined()
        let xs = points.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let ys = points.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return nil }
        return (x0, y0, x1, y1)
    }
}

extension DecodingError {
    /// Where and what, as a user reads it: `annotations[3].bbox[1]: expected a number, got a string`.
    func conversionProblem(file: String) -> ConversionProblem {
        func path(_ keys: [any CodingKey]) -> String? {
            guard !keys.isEmpty else { return nil }
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        switch self {
        case let .typeMismatch(type, context):
            return ConversionProblem(file: file, element: path(context.codingPath),
                                     message: "expected \(Self.describe(type)) (\(context.debugDescription))")
        case let .valueNotFound(type, context):
            return ConversionProblem(file: file, element: path(context.codingPath),
                                     message: "expected \(Self.describe(type)), got null")
        case let .keyNotFound(key, context):
            return ConversionProblem(file: file, element: path(context.codingPath + [key]), message: "required, missing")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let reason = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
                return ConversionProblem(file: file, message: "not valid JSON: \(reason)")
            }
            return ConversionProblem(file: file, element: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ConversionProblem(file: file, message: "not a COCO annotation file: \(self)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is [Any].Type: "a list"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }
}
