import Foundation

/// `examples.json` in a detection trial's folder: a few validation images at the best epoch, as thumbnails
/// beside it, with their true and predicted boxes (normalised to the image) and, for segmentation, their
/// polygons, for the report to draw.
public struct DetectionExamples: Codable, Sendable, Equatable {
    public struct Box: Codable, Sendable, Equatable {
        /// x1, y1, x2, y2 in [0, 1].
        public var box: [Double]
        public var label: Int
        /// 1 for a true box.
        public var score: Double
        /// Segmentation: the object's polygons (parts of x, y, ... in [0, 1]).
        public var polygon: [[Double]]?

        public init(box: [Double], label: Int, score: Double, polygon: [[Double]]? = nil) {
            self.box = box
            self.label = label
            self.score = score
            self.polygon = polygon
        }
    }

    public struct Image: Codable, Sendable, Equatable {
        /// The image's name in the dataset.
        public var name: String
        /// The thumbnail's file name, beside `examples.json`.
        public var thumbnail: String
        public var thumbnailWidth: Int
        public var thumbnailHeight: Int
        public var truths: [Box]
        public var predictions: [Box]

        public init(name: String, thumbnail: String, thumbnailWidth: Int, thumbnailHeight: Int, truths: [Box], predictions: [Box]) {
            self.name = name
            self.thumbnail = thumbnail
            self.thumbnailWidth = thumbnailWidth
            self.thumbnailHeight = thumbnailHeight
            self.truths = truths
            self.predictions = predictions
        }

        enum CodingKeys: String, CodingKey {
            case name, thumbnail, thumbnailWidth = "thumbnail_width", thumbnailHeight = "thumbnail_height", truths, predictions
        }
    }

    public var images: [Image]

    public init(images: [Image]) {
        self.images = images
    }

    public static let fileName = "examples.json"

    public func write(to url: URL) throws {
        try ContractCoding.encoder().encode(self).write(to: url, options: .atomic)
    }

    public static func read(from url: URL) throws -> DetectionExamples {
        try ContractCoding.decoder().decode(DetectionExamples.self, from: Data(contentsOf: url))
    }
}
