import Foundation

/// A folder-per-class tree -> Azure JSONL for multiclass classification (torchvision's ImageFolder layout).
///
/// `ROOT/<class>/<image>` (images may sit in deeper folders; the top folder names the class) becomes
/// `{"image_url": ..., "image_details": {"format", "width", "height"}, "label": "<class>"}`, classes in
/// name order, images in path order. The size is read from the PNG, JPEG or BMP header (no decoding);
/// other formats get `format` only. Hidden files are skipped; other files, and files directly in ROOT,
/// are left out with a warning.
public struct FolderConverter: Sendable {
    /// The extensions of spec section 2 (and webp), compared lower-cased.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "jpe", "jfif", "bmp", "tif", "tiff", "webp"]
    /// Formats whose size the header reader knows: a failure there is worth a warning.
    static let sizedExtensions: Set<String> = ["jpg", "jpeg", "png", "jpe", "jfif", "bmp"]

    /// Put before each image's path below ROOT (`<class>/<image>`) to make `image_url`. When nil, the
    /// path is relative to `jsonlDirectory` if ROOT is inside it (`images/<class>/<image>` for a JSONL
    /// beside `images/`), else relative to ROOT (the tree is then the bundle's `images/` folder).
    public var imagePrefix: String?
    /// The folder the JSONL is written to.
    public var jsonlDirectory: URL?

    public init(imagePrefix: String? = nil, jsonlDirectory: URL? = nil) {
        self.imagePrefix = imagePrefix
        self.jsonlDirectory = jsonlDirectory
    }

    /// Converts the tree at `root`; `displayName` names it in messages (default: its path).
    public func convert(root: URL, displayName: String? = nil) throws(ConversionError) -> ConvertedDataset {
        let shown = displayName ?? root.path
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConversionError(file: shown, message: "not a folder; expected one sub-folder per class, images inside")
        }
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw ConversionError(file: shown, message: "cannot list the folder: \(error.localizedDescription)")
        }
        let prefix = imagePrefix ?? relativePrefix(of: root)
        var warnings: [ConversionWarning] = []
        var images: [ConvertedImage] = []
        for entry in entries {
            let entryURL = root.appendingPathComponent(entry)
            guard fm.fileExists(atPath: entryURL.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                warnings.append(ConversionWarning(.fileIgnored, file: ImageURL.join(shown, entry),
                                                  message: "not in a class folder; left out"))
                continue
            }
            var files: [String] = []
            let walk = fm.enumerator(atPath: entryURL.path)
            while let path = walk?.nextObject() as? String {
                guard !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
                guard fm.fileExists(atPath: entryURL.appendingPathComponent(path).path, isDirectory: &isDirectory),
                      !isDirectory.boolValue else { continue }
                files.append(path)
            }
            var count = 0
            for path in files.sorted() {
                let relative = entry + "/" + path
                guard let format = ImageURL.format(of: path), Self.imageExtensions.contains(format) else {
                    warnings.append(ConversionWarning(.fileIgnored, file: ImageURL.join(shown, relative),
                                                      message: "not an image, by its extension; left out"))
                    continue
                }
                var details = ImageDetails(format: format)
                if let size = ImageHeaderReader.size(of: entryURL.appendingPathComponent(path)) {
                    details.width = size.width
                    details.height = size.height
                } else if Self.sizedExtensions.contains(format) {
                    warnings.append(ConversionWarning(.sizeUnknown, file: ImageURL.join(shown, relative),
                                                      message: "its header gives no size (is it really .\(format)?); image_details has the format only"))
                }
                images.append(ConvertedImage(imageURL: ImageURL.join(prefix, relative), details: details, label: .className(entry)))
                count += 1
            }
            if count == 0 {
                warnings.append(ConversionWarning(.categoryNeverUsed, file: ImageURL.join(shown, entry),
                                                  message: "no images in this class folder; the class is left out"))
            }
        }
        guard !images.isEmpty else {
            throw ConversionError(file: shown, message: "no images in class folders; expected \(shown)/<class>/<image>.jpg, "
                + "with one of the extensions \(Self.imageExtensions.sorted().joined(separator: ", "))")
        }
        return ConvertedDataset(images: images, warnings: warnings)
    }

    /// Whether the `image_url`s written for `root` resolve from `jsonlDirectory` as a bundle resolves them
    /// (`ImageLocator`): with a prefix (the user's choice), or with ROOT at or below the JSONL's folder. A
    /// tree elsewhere gets paths from ROOT, which resolve once its class folders are in the bundle's `images/`
    /// (bundles refuse `..`, so the JSONL cannot point outside its folder).
    public func resolvesFromJSONL(root: URL) -> Bool {
        guard imagePrefix == nil, let jsonlDirectory else { return true }
        let base = jsonlDirectory.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        return root.standardizedFileURL.resolvingSymlinksInPath().pathComponents.starts(with: base)
    }

    /// ROOT's path from `jsonlDirectory` (`images`), "" when they are the same folder or ROOT is elsewhere.
    func relativePrefix(of root: URL) -> String {
        guard let jsonlDirectory else { return "" }
        let base = jsonlDirectory.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let tree = root.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        guard tree.count >= base.count, Array(tree.prefix(base.count)) == base else { return "" }
        return tree.dropFirst(base.count).joined(separator: "/")
    }
}
