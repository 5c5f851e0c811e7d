import Foundation

/// labelme JSON (one `.json` per image, as the labelme annotation tool saves it) -> Azure JSONL for object
/// detection or instance segmentation.
///
/// Each file gives one line: `image_url` = the prefix + the image's path below the converted folder
/// (`imagePath` is relative to the `.json`, as labelme writes it), `image_details` from `imageWidth` and
/// `imageHeight`. `shapes[]` become objects: a `rectangle` (two corners, in any order) is a box, a `polygon`
/// its points; for detection a polygon becomes its bounding box, for segmentation a rectangle its four corners.
/// Shapes with the same non-null `group_id` and the same `label` are one instance (labelme's way of drawing
/// an object in several parts): their polygons are the parts of one object, their box the union. `imageData`
/// (the image embedded in base64) is not read. `circle`, `line`, `linestrip`, `point`, `points` and `mask`
/// shapes are errors naming the file and shape: they hold no box or polygon outline.
public struct LabelmeConverter: Sendable {
    /// Boxes or polygons (the same choice as COCO's); nil: segmentation when any shape is a polygon.
    public var task: COCOConverter.Task?
    /// Put before each image's path (below the converted folder) to make `image_url`, e.g. `images/`.
    public var imagePrefix: String

    public static let supportedShapes = ["rectangle", "polygon"]

    public init(task: COCOConverter.Task? = nil, imagePrefix: String = "") {
        self.task = task
        self.imagePrefix = imagePrefix
    }

    /// Whether `url` is a labelme file (a JSON object with a `shapes` list), or a folder holding one (its own
    /// `.json` files and those of its sub-folders; hidden ones skipped).
    public static func looksLikeLabelme(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        if !isDirectory.boolValue { return isLabelmeFile(url) }
        return jsonFiles(in: url).prefix(5).contains { isLabelmeFile(url.appendingPathComponent($0)) }
    }

    static func isLabelmeFile(_ url: URL) -> Bool {
        guard url.pathExtension.lowercased() == "json", let data = FileManager.default.contents(atPath: url.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["shapes"] is [Any] && (object["imagePath"] != nil || object["imageHeight"] != nil)
    }

    /// The `.json` files below `folder`, as paths relative to it, in name order; hidden files and folders skipped.
    static func jsonFiles(in folder: URL) -> [String] {
        var found: [String] = []
        let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        let base = folder.standardizedFileURL.resolvingSymlinksInPath().pathComponents.count
        while let url = walk?.nextObject() as? URL {
            guard url.pathExtension.lowercased() == "json" else { continue }
            found.append(url.standardizedFileURL.resolvingSymlinksInPath().pathComponents.dropFirst(base).joined(separator: "/"))
        }
        return found.sorted()
    }

    /// Converts one labelme file, or every `.json` below a folder (its sub-folders included). Image paths are
    /// taken below the folder (below the file's folder for one file), which must hold the images too.
    public func convert(input: URL, displayName: String? = nil) throws(ConversionError) -> ConvertedDataset {
        let shown = displayName ?? input.path
        guard try ConversionInput.isFolder(input, shown: shown) else {
            return try convert(files: [(path: input.lastPathComponent, name: shown)], root: input.deletingLastPathComponent())
        }
        let names = Self.jsonFiles(in: input)
        guard !names.isEmpty else {
            throw ConversionError(file: shown, message: "no .json files; expected labelme annotations (one .json per image)")
        }
        return try convert(files: names.map { (path: $0, name: ImageURL.join(shown, $0)) }, root: input)
    }

    /// One labelme file read, before the task is chosen.
    struct Parsed {
        var imagePath: String
        var width: Double
        var height: Double
        /// Each instance: its label and shapes (points in pixels, a rectangle as its four corners).
        var instances: [(label: String, shapes: [(index: Int, points: [Double], isRectangle: Bool)])]
    }

    /// Converts `files` (paths below `root`), in order; every problem of every file is reported at once.
    func convert(files: [(path: String, name: String)], root: URL) throws(ConversionError) -> ConvertedDataset {
        var problems: [ConversionProblem] = []
        var parsed: [(file: String, content: Parsed)] = []
        for (path, name) in files {
            let url = root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append(ConversionProblem(file: name, message: "cannot read the file"))
                continue
            }
            if let content = parse(data, path: path, file: name, root: root, problems: &problems) {
                parsed.append((name, content))
            }
        }
        guard problems.isEmpty else { throw ConversionError(problems: problems) }
        let anyPolygon = parsed.contains { $0.content.instances.contains { $0.shapes.contains { !$0.isRectangle } } }
        let task = self.task ?? (anyPolygon ? .segmentation : .detection)
        var warnings: [ConversionWarning] = []
        let images = parsed.map { image(from: $0.content, file: $0.file, task: task, warnings: &warnings) }
        return ConvertedDataset(images: images, warnings: warnings)
    }

    /// Reads one file's keys and shapes; nil (with problems) when it is not usable.
    func parse(_ data: Data, path: String, file: String, root: URL, problems: inout [ConversionProblem]) -> Parsed? {
        func problem(_ element: String?, _ message: String) {
            problems.append(ConversionProblem(file: file, element: element, message: message))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            problem(nil, "not a JSON object; a labelme file is {\"shapes\": [...], \"imagePath\", \"imageWidth\", \"imageHeight\"}")
            return nil
        }
        let before = problems.count
        let imagePath = object["imagePath"] as? String
        if imagePath?.isEmpty ?? true {
            problem("imagePath", "missing: the image's path, relative to this .json file"
                + (object["imageData"] is String ? " (the image embedded in imageData is not read: save it as a file beside the .json)" : ""))
        }
        let width = Self.number(object["imageWidth"]), height = Self.number(object["imageHeight"])
        if width == nil || height == nil || width! <= 0 || height! <= 0 {
            problem("imageWidth, imageHeight", "missing or not positive numbers: the image's size is needed to normalise the shapes")
        }
        guard let shapes = object["shapes"] as? [Any] else {
            problem("shapes", "missing: a labelme file lists its shapes in \"shapes\" (an empty list for an image without objects)")
            return nil
        }
        // The image, below the root, must exist.
        var imageURL = ""
        if let imagePath, !imagePath.isEmpty {
            let jsonFolder = (path as NSString).deletingLastPathComponent
            let joined = jsonFolder.isEmpty ? imagePath.replacingOccurrences(of: "\\", with: "/")
                : jsonFolder + "/" + imagePath.replacingOccurrences(of: "\\", with: "/")
            if let below = Self.normalised(joined) {
                imageURL = below
                if !FileManager.default.fileExists(atPath: root.appendingPathComponent(below).path) {
                    problem("imagePath", "\(imagePath): no such image (looked for \(root.appendingPathComponent(below).path); "
                        + "labelme's imagePath is relative to the .json file)")
                }
            } else {
                problem("imagePath", "\(imagePath) leads outside \(root.path); convert the folder that holds both the "
                    + ".json files and the images")
            }
        }
        var instances: [(label: String, shapes: [(index: Int, points: [Double], isRectangle: Bool)])] = []
        var groups: [String: Int] = [:]
        for (index, item) in shapes.enumerated() {
            let element = "shapes[\(index)]"
            guard let shape = item as? [String: Any] else { problem(element, "expected an object {\"label\", \"points\", \"shape_type\"}"); continue }
            guard let label = shape["label"] as? String, !label.isEmpty else {
                problem(element + ".label", "missing: every shape needs its class name")
                continue
            }
            let named = "\(element) (\(label))"
            let type = (shape["shape_type"] as? String) ?? "polygon"  // labelme's default: older files omit it
            guard Self.supportedShapes.contains(type) else {
                problem(named, "shape_type \(type) is not supported: only rectangle and polygon shapes are converted "
                    + "(a \(type) has no box or outline); delete it or redraw it as a rectangle or polygon")
                continue
            }
            guard let raw = shape["points"] as? [Any],
                  let points = Optional(raw.compactMap { ($0 as? [Any]).flatMap { $0.count == 2 ? $0.compactMap(Self.number) : nil } }),
                  points.count == raw.count, points.allSatisfy({ $0.count == 2 }) else {
                problem(named + ".points", "missing or not a list of [x, y] pairs")
                continue
            }
            let flat: [Double]
            if type == "rectangle" {
                guard points.count == 2 else {
                    problem(named + ".points", "a rectangle has 2 points (opposite corners), got \(points.count)")
                    continue
                }
                let x0 = min(points[0][0], points[1][0]), x1 = max(points[0][0], points[1][0])
                let y0 = min(points[0][1], points[1][1]), y1 = max(points[0][1], points[1][1])
                flat = [x0, y0, x1, y0, x1, y1, x0, y1]
            } else {
                flat = points.flatMap { $0 }
            }
            let entry = (index: index, points: flat, isRectangle: type == "rectangle")
            if let group = shape["group_id"].flatMap(Self.number) {
                let key = "\(label)\u{0}\(group)"
                if let at = groups[key] { instances[at].shapes.append(entry); continue }
                groups[key] = instances.count
            }
            instances.append((label, [entry]))
        }
        guard problems.count == before, let width, let height else { return nil }
        return Parsed(imagePath: imageURL, width: width, height: height, instances: instances)
    }

    /// The JSONL line of one parsed file.
    func image(from content: Parsed, file: String, task: COCOConverter.Task, warnings: inout [ConversionWarning]) -> ConvertedImage {
        let (width, height) = (content.width, content.height)
        let onImage = "the image (\(ShapeCheck.size(width, height)))"
        var objects: [ImageObject] = []
        for instance in content.instances {
            let element = "shapes[\(instance.shapes.map { String($0.index) }.joined(separator: ", "))] (\(instance.label))"
            func warn(_ kind: ConversionWarning.Kind, _ message: String) {
                warnings.append(ConversionWarning(kind, file: file, element: element, message: message))
            }
            switch task {
            case .detection:
                let all = instance.shapes.flatMap(\.points)
                let xs = stride(from: 0, to: all.count, by: 2).map { all[$0] }
                let ys = stride(from: 1, to: all.count, by: 2).map { all[$0] }
                switch ShapeCheck.box(x0: xs.min() ?? 0, y0: ys.min() ?? 0, x1: xs.max() ?? 0, y1: ys.max() ?? 0,
                                      width: width, height: height) {
                case let .box(box, clipped):
                    if clipped { warn(.clipped, "box clipped to \(onImage)") }
                    objects.append(ImageObject(label: instance.label, shape: .box(box)))
                case let .zeroArea(w, h):
                    warn(.annotationSkipped, "box has zero area (width \(ShapeCheck.pixels(w)), height \(ShapeCheck.pixels(h))); skipped")
                case .outside:
                    warn(.annotationSkipped, "box lies outside \(onImage); skipped")
                }
            case .segmentation:
                var parts: [[Double]] = []
                var clipped = false
                for shape in instance.shapes {
                    switch ShapeCheck.polygonPart(shape.points, width: width, height: height) {
                    case let .part(points, wasClipped):
                        parts.append(points)
                        clipped = clipped || wasClipped
                    case let .malformed(count):
                        warn(.annotationSkipped, "shapes[\(shape.index)] has \(count / 2) point(s); a polygon needs at least 3; part skipped")
                    case .zeroArea:
                        warn(.annotationSkipped, "shapes[\(shape.index)] encloses no area; part skipped")
                    case .outside:
                        warn(.annotationSkipped, "shapes[\(shape.index)] lies outside \(onImage); part skipped")
                    }
                }
                guard !parts.isEmpty else { continue }
                if clipped { warn(.clipped, "polygon clipped to \(onImage)") }
                objects.append(ImageObject(label: instance.label, shape: .polygon(parts)))
            }
        }
        if objects.isEmpty {
            warnings.append(ConversionWarning(.imageWithoutAnnotations, file: file, element: content.imagePath,
                                              message: "no objects; written with an empty label list"))
        }
        return ConvertedImage(
            imageURL: ImageURL.join(imagePrefix, content.imagePath),
            details: ImageDetails(format: ImageURL.format(of: content.imagePath),
                                  width: Int(width.rounded()), height: Int(height.rounded())),
            label: .objects(objects))
    }

    static func number(_ value: Any?) -> Double? {
        let double: Double
        switch value {
        case let value as Int: double = Double(value)
        case let value as Double: double = value
        case let value as NSNumber: double = value.doubleValue
        default: return nil
        }
        return double.isFinite ? double : nil
    }

    /// `a/./b/../c.jpg` -> `a/c.jpg`; nil when it leads above its start or is absolute.
    static func normalised(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}
