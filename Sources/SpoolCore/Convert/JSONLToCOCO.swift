import Foundation

/// Azure JSONL (object detection or instance segmentation) -> COCO JSON: the way back, for tools that
/// read COCO and for checking a conversion by a round trip.
///
/// Images get ids 1, 2, ... in line order, with `file_name` = `image_url` (less an Azure datastore
/// prefix); categories get
/// ids 1, 2, ... in name order; annotations get ids 1, 2, ... in line order. A box becomes
/// `bbox = [topX*W, topY*H, (bottomX-topX)*W, (bottomY-topY)*H]`; a polygon becomes `segmentation` in
/// pixels, with its extent as `bbox` and its area (shoelace) as `area`. W and H come from
/// `image_details`, else from the image's header (see `imageRoot`). Pixel values are written short
/// when that loses nothing (`CoordinateRounding`), so COCO -> JSONL -> COCO -> JSONL repeats the JSONL.
public struct JSONLToCOCO: Sendable {
    /// Where images without a size in `image_details` are looked for, to read their header: `image_url`
    /// below this folder, then below its `images/` (as bundles resolve them). nil: the size is required.
    public var imageRoot: URL?

    public init(imageRoot: URL? = nil) {
        self.imageRoot = imageRoot
    }

    /// Reads and converts the JSONL at `url`; `displayName` names it in messages (default: its path).
    public func convert(url: URL, displayName: String? = nil) throws(ConversionError) -> COCODataset {
        let file = displayName ?? url.path
        return try convert(ConversionError.contents(of: url, file: file), file: file)
    }

    /// Converts JSONL content; `file` names it in messages. Every problem of the file is reported at once.
    public func convert(_ data: Data, file: String) throws(ConversionError) -> COCODataset {
        var (lines, problems) = JSONLAnnotationReader.read(data, file: file)
        let names = Set(lines.flatMap(\.image.label.classNames)).sorted()
        let categoryIDs = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0 + 1) })
        var images: [COCODataset.Image] = []
        var annotations: [COCODataset.Annotation] = []
        for (position, line) in lines.enumerated() {
            guard let size = size(of: line.image) else {
                problems.append(ConversionProblem(
                    file: file, line: line.number, element: "image_details",
                    message: "width and height are needed to turn fractions into pixels; add them, or pass the "
                        + "folder holding \(line.image.imageURL) so that its header can be read"))
                continue
            }
            let (width, height) = size
            let imageID = position + 1
            images.append(COCODataset.Image(id: imageID, fileName: Self.fileName(line.image.imageURL), width: width, height: height))
            guard case let .objects(objects) = line.image.label else { continue }
            for object in objects {
                let bbox: [Double], area: Double, segmentation: COCOSegmentation?
                switch object.shape {
                case let .box(box):
                    let x = CoordinateRounding.pixels(box.topX, of: width)
                    let y = CoordinateRounding.pixels(box.topY, of: height)
                    let w = CoordinateRounding.length(from: x, toFraction: box.bottomX, of: width)
                    let h = CoordinateRounding.length(from: y, toFraction: box.bottomY, of: height)
                    bbox = [x, y, w, h]
                    area = Self.short(w * h)
                    segmentation = nil
                case let .polygon(parts):
                    let pixels = parts.map { part in
                        part.enumerated().map { CoordinateRounding.pixels($1, of: $0 % 2 == 0 ? width : height) }
                    }
                    let xs = pixels.flatMap { $0.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
                    let ys = pixels.flatMap { $0.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) }
                    let x0 = xs.min() ?? 0, y0 = ys.min() ?? 0
                    bbox = [x0, y0, Self.short((xs.max() ?? 0) - x0), Self.short((ys.max() ?? 0) - y0)]
                    area = Self.short(pixels.reduce(0) { $0 + ShapeCheck.area($1) })
                    segmentation = .polygons(pixels)
                }
                annotations.append(COCODataset.Annotation(
                    id: annotations.count + 1, imageID: imageID, categoryID: categoryIDs[object.label]!,
                    bbox: bbox, segmentation: segmentation, area: area, iscrowd: object.isCrowd ? 1 : 0))
            }
        }
        guard problems.isEmpty else {
            // In line order (stable: a line's own problems keep their order); whole-file problems first.
            throw ConversionError(problems: problems.enumerated()
                .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }.map(\.element))
        }
        return COCODataset(images: images, annotations: annotations,
                           categories: names.map { COCODataset.Category(id: categoryIDs[$0]!, name: $0) })
    }

    /// COCO JSON bytes: keys sorted, slashes unescaped, so the same dataset always gives the same bytes.
    public static func json(_ dataset: COCODataset) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(dataset)
    }

    /// The line's size: `image_details`, else the image's header below `imageRoot`.
    private func size(of image: ConvertedImage) -> (Double, Double)? {
        if let width = image.details?.width, let height = image.details?.height {
            return (Double(width), Double(height))
        }
        guard let imageRoot, case let .success(path) = DatastorePath.relativePath(image.imageURL) else { return nil }
        for base in [imageRoot, imageRoot.appendingPathComponent("images")] {
            if let size = ImageHeaderReader.size(of: base.appendingPathComponent(path)) {
                return (Double(size.width), Double(size.height))
            }
        }
        return nil
    }

    /// `image_url` without an Azure datastore prefix (`AmlDatastore://NAME/`, `azureml://.../paths/`) or a
    /// leading `./`, as bundles resolve it; as written when it is not such a path.
    static func fileName(_ imageURL: String) -> String {
        if case let .success(path) = DatastorePath.relativePath(imageURL) { return path }
        return imageURL
    }

    /// Rounded to 6 decimals: derived values (extent, area) without float noise.
    private static func short(_ value: Double) -> Double {
        (value * 1e6).rounded() / 1e6
    }
}
