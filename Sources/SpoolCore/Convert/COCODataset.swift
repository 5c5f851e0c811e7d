/// The parts of a COCO annotation file (https://cocodataset.org/#format-data) that JSONL needs:
/// images with their sizes, categories, and annotations with a box and/or a segmentation. Other keys
/// (`info`, `licenses`, `keypoints`, ...) are ignored when reading and not written.
public struct COCODataset: Sendable, Hashable, Codable {
    public var images: [Image]
    public var annotations: [Annotation]
    public var categories: [Category]

    public init(images: [Image], annotations: [Annotation], categories: [Category]) {
        self.images = images
        self.annotations = annotations
        self.categories = categories
    }

    /// A file with no `annotations` key (an image list for prediction) has no annotations.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        images = try container.decode([Image].self, forKey: .images)
        annotations = try container.decodeIfPresent([Annotation].self, forKey: .annotations) ?? []
        categories = try container.decode([Category].self, forKey: .categories)
    }

    public struct Image: Sendable, Hashable, Codable {
        public var id: Int
        public var fileName: String
        /// Pixels; required to normalise coordinates. Numbers, as some exporters write `640.0`.
        public var width: Double?
        public var height: Double?

        public init(id: Int, fileName: String, width: Double?, height: Double?) {
            self.id = id
            self.fileName = fileName
            self.width = width
            self.height = height
        }

        enum CodingKeys: String, CodingKey {
            case id, fileName = "file_name", width, height
        }
    }

    public struct Category: Sendable, Hashable, Codable {
        public var id: Int
        public var name: String
        public var supercategory: String?

        public init(id: Int, name: String, supercategory: String? = nil) {
            self.id = id
            self.name = name
            self.supercategory = supercategory
        }
    }

    public struct Annotation: Sendable, Hashable, Codable {
        /// Required by COCO, but missing in some exports: messages then name the annotation by position.
        public var id: Int?
        public var imageID: Int
        public var categoryID: Int
        /// `[x, y, width, height]` in pixels, from the image's top-left corner.
        public var bbox: [Double]?
        public var segmentation: COCOSegmentation?
        public var area: Double?
        public var iscrowd: Int?

        public init(id: Int?, imageID: Int, categoryID: Int, bbox: [Double]?, segmentation: COCOSegmentation? = nil,
                    area: Double? = nil, iscrowd: Int? = 0) {
            self.id = id
            self.imageID = imageID
            self.categoryID = categoryID
            self.bbox = bbox
            self.segmentation = segmentation
            self.area = area
            self.iscrowd = iscrowd
        }

        enum CodingKeys: String, CodingKey {
            case id, imageID = "image_id", categoryID = "category_id", bbox, segmentation, area, iscrowd
        }
    }
}

/// A COCO `segmentation`: polygons (`[[x1, y1, x2, y2, ...], ...]`, in pixels) or a run-length mask.
public enum COCOSegmentation: Sendable, Hashable, Codable {
    /// One list per part; `[]` (what detection exports often write) means no segmentation.
    case polygons([[Double]])
    /// An RLE mask (`{"counts": ..., "size": [h, w]}`): recognised so that it can be refused by name.
    case rle

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let parts = try? container.decode([[Double]].self) {
            self = .polygons(parts)
        } else if let flat = try? container.decode([Double].self) {
            self = .polygons([flat])  // a single polygon written without its outer list
        } else if (try? decoder.container(keyedBy: AnyCodingKey.self)) != nil {
            self = .rle
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected polygons ([[x1, y1, x2, y2, ...], ...]) or an RLE mask")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        guard case let .polygons(parts) = self else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "RLE masks are not written"))
        }
        var container = encoder.singleValueContainer()
        try container.encode(parts)
    }
}
