import Foundation

/// Makes a complete job bundle (`DIR/images/`, `DIR/train.jsonl`, `DIR/settings.yaml`) from a folder per
/// class, a COCO annotation file, a Pascal VOC folder or a folder of labelme files: `spoolctl init-bundle`, and `train`/`submit` given a
/// folder per class.
///
/// The JSONL comes from the converters (`FolderConverter`, `COCOConverter`, `VOCConverter`, `LabelmeConverter`) with the prefix
/// `images/`; each image is copied (or hard-linked) to the same relative place under `DIR/images/`, so every
/// `image_url` resolves from the bundle. The settings are `SettingsTemplate`'s. The bundle is written into a
/// staging folder beside DIR and renamed into place, so a failure leaves no half bundle.
public struct BundleMaker: Sendable {
    /// What SOURCE is.
    public enum SourceKind: String, Sendable, CaseIterable {
        case folders, coco, voc, labelme
    }

    /// The task asked for (`--task`).
    public enum Task: String, Sendable, CaseIterable {
        case multiclass, multilabel, detection, segmentation
    }

    /// What was made.
    public struct Outcome: Sendable {
        public var kind: SourceKind
        public var task: ImageTask
        public var dataset: ConvertedDataset
        /// Images copied, and hard-linked.
        public var copied = 0
        public var linked = 0
        /// Of `copied`: images that were to be linked but sit on another filesystem.
        public var copiedAcrossFilesystems = 0

        /// `3 classes, 24 images (linked)`.
        public var imageCount: Int { dataset.images.count }
    }

    public var source: URL
    /// SOURCE as messages name it.
    public var sourceName: String
    /// nil: from SOURCE (a labelme .json file, or a folder holding them, is labelme; another .json file is COCO;
    /// a .xml file, a folder with Annotations/ or of .xml files is VOC; anything else a folder per class).
    public var kind: SourceKind?
    public var task: Task?
    /// Where COCO's `file_name`s and VOC's `<filename>`s are (default: the annotation file's folder; VOC's
    /// `JPEGImages/` when SOURCE has one).
    public var images: URL?
    /// Hard-link the images instead of copying them (a copy where the link is refused).
    public var link = false
    /// Replace an existing DIR that looks like a bundle.
    public var force = false

    public init(source: URL, sourceName: String? = nil, kind: SourceKind? = nil, task: Task? = nil,
                images: URL? = nil, link: Bool = false, force: Bool = false) {
        self.source = source
        self.sourceName = sourceName ?? source.path
        self.kind = kind
        self.task = task
        self.images = images
        self.link = link
        self.force = force
    }

    /// The kind SOURCE looks like.
    public static func detectKind(of source: URL) -> SourceKind {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            switch source.pathExtension.lowercased() {
            case "xml": return .voc
            case "json": return LabelmeConverter.looksLikeLabelme(source) ? .labelme : .coco
            default: return .folders
            }
        }
        if fm.fileExists(atPath: source.appendingPathComponent("Annotations").path) { return .voc }
        let names = (try? fm.contentsOfDirectory(atPath: source.path)) ?? []
        if names.contains(where: { $0.lowercased().hasSuffix(".xml") && !$0.hasPrefix(".") }) { return .voc }
        return LabelmeConverter.looksLikeLabelme(source) ? .labelme : .folders
    }

    /// Whether `folder` holds a folder per class: no settings file and no JSONL at its top, and at least two
    /// sub-folders holding images.
    public static func isFolderPerClass(_ folder: URL) -> Bool {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return false }
        if names.contains(where: { JobBundle.settingsNames.contains($0) || $0.lowercased().hasSuffix(".jsonl") }) { return false }
        var classes = 0
        for name in names where !name.hasPrefix(".") {
            let sub = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: sub.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let walk = fm.enumerator(atPath: sub.path)
            while let path = walk?.nextObject() as? String {
                if let format = ImageURL.format(of: path), FolderConverter.imageExtensions.contains(format) {
                    classes += 1
                    break
                }
            }
        }
        return classes >= 2
    }

    /// Whether `folder` looks like a job bundle (a settings file or a JSONL at its top), so `--force` may
    /// replace it.
    public static func looksLikeBundle(_ folder: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains { JobBundle.settingsNames.contains($0) || $0.lowercased().hasSuffix(".jsonl") }
    }

    /// Writes the bundle to `out` (`outName` names it in messages).
    public func make(into out: URL, outName: String? = nil) throws(BundleMakerError) -> Outcome {
        let shownOut = outName ?? out.path
        let fm = FileManager.default
        guard fm.fileExists(atPath: source.path) else {
            throw BundleMakerError("\(sourceName): no such file or folder")
        }
        let kind = self.kind ?? Self.detectKind(of: source)
        if kind == .labelme, images != nil {
            throw BundleMakerError("--images: labelme files say where their images are (imagePath, relative to each .json); "
                + "leave --images out")
        }
        let task = try imageTask(for: kind)
        let imagesRoot = imagesRoot(for: kind)
        try checkOut(out, shown: shownOut, imagesRoot: imagesRoot)

        // The converters write image_url as images/<path below the images root>.
        var dataset: ConvertedDataset
        do {
            switch kind {
            case .folders:
                dataset = try FolderConverter(imagePrefix: "images").convert(root: source, displayName: sourceName)
            case .coco:
                let cocoTask: COCOConverter.Task? = switch self.task {
                case .segmentation?: .segmentation
                case .detection?: .detection
                default: nil
                }
                dataset = try COCOConverter(task: cocoTask, imagePrefix: "images").convert(url: source, displayName: sourceName)
            case .voc:
                dataset = try VOCConverter(imagePrefix: "images").convert(input: source, displayName: sourceName)
            case .labelme:
                let labelmeTask: COCOConverter.Task? = switch self.task {
                case .segmentation?: .segmentation
                case .detection?: .detection
                default: nil
                }
                dataset = try LabelmeConverter(task: labelmeTask, imagePrefix: "images").convert(input: source, displayName: sourceName)
            }
        } catch {
            throw BundleMakerError(error.description)
        }
        let finalTask = (kind == .coco || kind == .labelme) && self.task == nil ? Self.detectedTask(dataset) : task

        // Every image must be below the images root and exist.
        var sources: [URL] = []
        var missing: [String] = []
        var unsafe: [String] = []
        for index in dataset.images.indices {
            let given = String(dataset.images[index].imageURL.dropFirst("images/".count))
            guard case let .success(path) = DatastorePath.relativePath(given) else {
                unsafe.append(given)
                sources.append(imagesRoot)
                continue
            }
            dataset.images[index].imageURL = "images/" + path
            let file = imagesRoot.appendingPathComponent(path)
            if !fm.fileExists(atPath: file.path) { missing.append(path) }
            sources.append(file)
        }
        if !unsafe.isEmpty {
            throw BundleMakerError("\(sourceName): \(unsafe.count) image name(s) are absolute or go up with ..: "
                + unsafe.prefix(5).joined(separator: ", ") + "; image names must be paths below the images folder")
        }
        if !missing.isEmpty {
            throw BundleMakerError("\(missing.count) of \(dataset.images.count) images are not in \(imagesRoot.path): "
                + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", ..." : "")
                + "; pass --images DIR, the folder that holds them")
        }

        // Write into a staging folder beside OUT, then rename it into place.
        let parent = out.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(out.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        var outcome = Outcome(kind: kind, task: finalTask, dataset: dataset)
        do {
            try fm.createDirectory(at: staging.appendingPathComponent("images"), withIntermediateDirectories: true)
            var placed = Set<String>()
            for (image, file) in zip(dataset.images, sources) where placed.insert(image.imageURL).inserted {
                let target = staging.appendingPathComponent(image.imageURL)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try place(file, at: target, &outcome)
            }
            try Data(dataset.jsonl.utf8).write(to: staging.appendingPathComponent("train.jsonl"))
            try Data(SettingsTemplate(task: finalTask).text.utf8).write(to: staging.appendingPathComponent("settings.yaml"))
            if fm.fileExists(atPath: out.path) { try fm.removeItem(at: out) }
            try fm.moveItem(at: staging, to: out)
        } catch {
            try? fm.removeItem(at: staging)
            throw BundleMakerError("cannot write \(shownOut): \(ErrorText.describe(error))")
        }
        return outcome
    }

    // MARK: - Steps

    func imageTask(for kind: SourceKind) throws(BundleMakerError) -> ImageTask {
        switch (kind, task) {
        case (.folders, nil), (.folders, .multiclass?):
            return .imageClassification
        case (.folders, .multilabel?):
            throw BundleMakerError("--task multilabel has no folder form: a folder per class gives each image one class. "
                + "Write train.jsonl with a list of labels per image (\"label\": [\"a\", \"b\"]) and a settings.yaml "
                + "with task: image_classification_multilabel; see docs/converters.md")
        case (.folders, let other?):
            throw BundleMakerError("--task \(other.rawValue): a folder per class is for classification (multiclass); "
                + "use a COCO file (--from coco), a VOC folder (--from voc) or labelme files (--from labelme) for boxes and polygons")
        case (.coco, nil), (.coco, .detection?), (.labelme, nil), (.labelme, .detection?):
            return .imageObjectDetection
        case (.coco, .segmentation?), (.labelme, .segmentation?):
            return .imageInstanceSegmentation
        case (.voc, nil), (.voc, .detection?):
            return .imageObjectDetection
        case (.coco, let other?), (.voc, let other?), (.labelme, let other?):
            let gives = kind == .voc ? "Pascal VOC boxes give detection only"
                : "\(kind == .coco ? "a COCO file" : "labelme") gives detection or segmentation"
            throw BundleMakerError("--task \(other.rawValue): \(gives); for classification, use a folder per class")
        }
    }

    /// Segmentation when the converter wrote polygons, else detection.
    static func detectedTask(_ dataset: ConvertedDataset) -> ImageTask {
        let polygons = dataset.images.contains { image in
            if case let .objects(objects) = image.label {
                return objects.contains { if case .polygon = $0.shape { true } else { false } }
            }
            return false
        }
        return polygons ? .imageInstanceSegmentation : .imageObjectDetection
    }

    func imagesRoot(for kind: SourceKind) -> URL {
        if let images { return images }
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory) && isDirectory.boolValue
        switch kind {
        case .folders: return source
        case .coco, .labelme: return folder ? source : source.deletingLastPathComponent()
        case .voc:
            guard folder else { return source.deletingLastPathComponent() }
            let jpeg = source.appendingPathComponent("JPEGImages")
            return FileManager.default.fileExists(atPath: jpeg.path) ? jpeg : source
        }
    }

    /// OUT may be absent, empty, or (with --force) a bundle; it may not hold SOURCE or sit inside the images.
    func checkOut(_ out: URL, shown: String, imagesRoot: URL) throws(BundleMakerError) {
        func components(_ url: URL) -> [String] { url.standardizedFileURL.resolvingSymlinksInPath().pathComponents }
        let outPath = components(out)
        for (inside, name) in [(source, sourceName), (imagesRoot, imagesRoot.path)] {
            let path = components(inside)
            if path.starts(with: outPath) {
                throw BundleMakerError("--out \(shown) holds \(name); choose a folder outside it")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: inside.path, isDirectory: &isDirectory), isDirectory.boolValue,
               outPath.starts(with: path) {
                throw BundleMakerError("--out \(shown) is inside \(name); choose a folder outside it")
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        guard FileManager.default.fileExists(atPath: out.path), !names.isEmpty else { return }
        guard force else { throw BundleMakerError("\(shown) exists; pass --force to replace it") }
        guard Self.looksLikeBundle(out) else {
            throw BundleMakerError("\(shown) exists and does not look like a bundle (no settings.yaml or .jsonl at its top); "
                + "not replacing it: remove it yourself or choose another --out")
        }
    }

    /// Copies or hard-links one image, counting which.
    func place(_ file: URL, at target: URL, _ outcome: inout Outcome) throws {
        if link {
            if Foundation.link(file.path, target.path) == 0 {
                outcome.linked += 1
                return
            }
            let code = errno
            guard code == EXDEV || code == EPERM || code == EMLINK else {
                throw BundleMakerError("cannot link \(file.path): \(String(cString: strerror(code)))")
            }
            outcome.copiedAcrossFilesystems += 1
        }
        try FileManager.default.copyItem(at: file, to: target)
        outcome.copied += 1
    }
}

/// Why a bundle could not be made: what, where, and what to do.
public struct BundleMakerError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
