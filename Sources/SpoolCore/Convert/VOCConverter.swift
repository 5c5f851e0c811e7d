import Foundation

/// Pascal VOC XML -> Azure JSONL for object detection.
///
/// One JSONL line per XML file (files sorted by name), `image_url` = the prefix + `<filename>` (else the
/// last part of `<path>`). Each `<object>` gives `{label: <name>, topX: xmin/W, topY: ymin/H,
/// bottomX: xmax/W, bottomY: ymax/H, isCrowd: 0}` with W and H from `<size>`, the pixel values taken as
/// they are written (as Azure's VOC converter does). `<difficult>` is not a crowd (a crowd box covers
/// many objects; a difficult one is a single hard object), so `isCrowd` stays 0; `<truncated>`,
/// `<pose>`, `<occluded>` and `<part>` are not part of the JSONL.
public struct VOCConverter: Sendable {
    /// Put before each `<filename>` to make `image_url`, e.g. `JPEGImages/`.
    public var imagePrefix: String

    public init(imagePrefix: String = "") {
        self.imagePrefix = imagePrefix
    }

    /// Converts one XML file, or every `*.xml` in a folder (in its `Annotations/` sub-folder when it has
    /// one, as the VOC devkit lays them out). `displayName` names the input in messages (default: its path).
    public func convert(input: URL, displayName: String? = nil) throws(ConversionError) -> ConvertedDataset {
        let shown = displayName ?? input.path
        guard try ConversionInput.isFolder(input, shown: shown) else {
            return try convert(files: [(url: input, name: shown)])
        }
        var folder = input, folderName = shown
        var annotations: ObjCBool = false
        if FileManager.default.fileExists(atPath: input.appendingPathComponent("Annotations").path, isDirectory: &annotations),
           annotations.boolValue {
            folder = input.appendingPathComponent("Annotations")
            folderName = ImageURL.join(shown, "Annotations")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.lowercased().hasSuffix(".xml") && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            throw ConversionError(file: folderName, message: "cannot list the folder: \(error.localizedDescription)")
        }
        guard !names.isEmpty else {
            throw ConversionError(file: folderName, message: "no .xml files; expected Pascal VOC annotations (one XML file per image), or a VOC folder holding Annotations/")
        }
        return try convert(files: names.map { (url: folder.appendingPathComponent($0), name: ImageURL.join(folderName, $0)) })
    }

    /// Converts the given XML files, in order; every problem of every file is reported at once.
    public func convert(files: [(url: URL, name: String)]) throws(ConversionError) -> ConvertedDataset {
        var problems: [ConversionProblem] = []
        var warnings: [ConversionWarning] = []
        var images: [ConvertedImage] = []
        for (url, name) in files {
            do {
                let data = try Data(contentsOf: url)
                if let image = convert(data, file: name, problems: &problems, warnings: &warnings) {
                    images.append(image)
                }
            } catch {
                problems.append(ConversionProblem(file: name, message: "cannot read the file: \(error.localizedDescription)"))
            }
        }
        guard problems.isEmpty else { throw ConversionError(problems: problems) }
        return ConvertedDataset(images: images, warnings: warnings)
    }

    /// Converts one VOC document; `file` names it in messages. Problems and warnings are appended.
    func convert(_ data: Data, file: String, problems: inout [ConversionProblem],
                 warnings: inout [ConversionWarning]) -> ConvertedImage? {
        let root: VOCElement
        switch VOCElement.parse(data) {
        case let .success(element): root = element
        case let .failure(failure):
            problems.append(ConversionProblem(file: file, line: failure.line, message: "not valid XML: \(failure.reason)"))
            return nil
        }
        guard root.name == "annotation" else {
            problems.append(ConversionProblem(file: file, line: root.line,
                                              message: "the root element is <\(root.name)>; a Pascal VOC file has <annotation>"))
            return nil
        }
        let fileName = root.value("filename")
            ?? root.value("path").map { String($0.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "") }
        guard let fileName, !fileName.isEmpty else {
            problems.append(ConversionProblem(file: file, line: root.line,
                                              message: "no <filename>: the image's file name is needed for image_url"))
            return nil
        }
        guard let sizeElement = root.child("size") else {
            problems.append(ConversionProblem(
                file: file, message: "no <size>: the image's width and height are needed to normalise the boxes; "
                    + "add <size><width>W</width><height>H</height></size>"))
            return nil
        }
        guard let width = sizeElement.number("width"), let height = sizeElement.number("height"), width > 0, height > 0 else {
            problems.append(ConversionProblem(
                file: file, line: sizeElement.line, element: "<size>",
                message: "width and height must be positive numbers, got \(sizeElement.value("width") ?? "none") x \(sizeElement.value("height") ?? "none")"))
            return nil
        }
        let onImage = "the image (\(ShapeCheck.size(width, height)))"

        var objects: [ImageObject] = []
        var fileHasProblems = false
        for (index, object) in root.children("object").enumerated() {
            let label = object.value("name")
            let element = "object \(index + 1)" + (label.map { " (\($0))" } ?? "")
            guard let label else {
                problems.append(ConversionProblem(file: file, line: object.line, element: element,
                                                  message: "no <name>: every object needs its class"))
                fileHasProblems = true
                continue
            }
            guard let box = object.child("bndbox") else {
                problems.append(ConversionProblem(file: file, line: object.line, element: element,
                                                  message: "no <bndbox>; only boxes are converted from VOC"))
                fileHasProblems = true
                continue
            }
            guard let x0 = box.number("xmin"), let y0 = box.number("ymin"),
                  let x1 = box.number("xmax"), let y1 = box.number("ymax") else {
                let given = ["xmin", "ymin", "xmax", "ymax"].map { "\($0) \(box.value($0) ?? "missing")" }.joined(separator: ", ")
                problems.append(ConversionProblem(file: file, line: box.line, element: element,
                                                  message: "<bndbox> needs xmin, ymin, xmax and ymax as numbers; got \(given)"))
                fileHasProblems = true
                continue
            }
            func warn(_ kind: ConversionWarning.Kind, _ message: String) {
                warnings.append(ConversionWarning(kind, file: file, line: box.line, element: element, message: message))
            }
            switch ShapeCheck.box(x0: x0, y0: y0, x1: x1, y1: y1, width: width, height: height) {
            case let .box(normalised, clipped):
                if clipped { warn(.clipped, "box clipped to \(onImage)") }
                objects.append(ImageObject(label: label, isCrowd: false, shape: .box(normalised)))
            case let .zeroArea(w, h):
                warn(.annotationSkipped, "box has zero or negative area (width \(ShapeCheck.pixels(w)), height \(ShapeCheck.pixels(h))); skipped")
            case .outside:
                warn(.annotationSkipped, "box lies outside \(onImage); skipped")
            }
        }
        guard !fileHasProblems else { return nil }
        if objects.isEmpty {
            warnings.append(ConversionWarning(.imageWithoutAnnotations, file: file, element: fileName,
                                              message: "no objects; written with an empty label list"))
        }
        return ConvertedImage(
            imageURL: ImageURL.join(imagePrefix, fileName),
            details: ImageDetails(format: ImageURL.format(of: fileName), width: Int(width.rounded()), height: Int(height.rounded())),
            label: .objects(objects))
    }
}
