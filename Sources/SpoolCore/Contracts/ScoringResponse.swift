/// One image's result in Azure's scoring format (section 9): what `spoolctl predict`, `spoolctl score`,
/// `serve-model` and `score.py` return.
///
/// - classification: `{"filename", "probs": [...], "labels": [...]}`
/// - detection: `{"filename", "boxes": [{"box": {"topX", "topY", "bottomX", "bottomY"}, "label", "score"}]}`
/// - segmentation: as detection, each box with `"polygon": [[x1, y1, ...], ...]`
/// Coordinates are normalised to the image. An image that could not be scored has `error` instead.
public struct ScoringResponse: Codable, Sendable, Equatable {
    public var filename: String
    public var probs: [Float]?
    public var labels: [String]?
    public var boxes: [ScoredBox]?
    public var error: String?

    public struct ScoredBox: Codable, Sendable, Equatable {
        /// Azure's {"topX", "topY", "bottomX", "bottomY"}, normalised: the annotation's own box type.
        public typealias Corners = NormalizedBox

        public var box: Corners
        public var label: String
        public var score: Double
        public var polygon: [[Double]]?

        public init(box: Corners, label: String, score: Double, polygon: [[Double]]? = nil) {
            self.box = box
            self.label = label
            self.score = score
            self.polygon = polygon
        }
    }

    public init(filename: String, probs: [Float]? = nil, labels: [String]? = nil, boxes: [ScoredBox]? = nil,
                error: String? = nil) {
        self.filename = filename
        self.probs = probs
        self.labels = labels
        self.boxes = boxes
        self.error = error
    }
}
