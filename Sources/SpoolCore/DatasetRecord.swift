/// One line of a training or validation JSONL.
public struct DatasetRecord: Sendable, Hashable, Codable {
    /// The image's path relative to the images root, with any Azure datastore prefix removed.
    public var imageURL: String
    public var label: DatasetLabel
    public var imageDetails: ImageDetails?
    /// The 1-based line of the JSONL it came from, for later messages about this image.
    public var line: Int

    public init(imageURL: String, label: DatasetLabel, imageDetails: ImageDetails? = nil, line: Int) {
        self.imageURL = imageURL
        self.label = label
        self.imageDetails = imageDetails
        self.line = line
    }

    enum CodingKeys: String, CodingKey {
        case imageURL = "image_url"
        case label
        case imageDetails = "image_details"
        case line
    }
}
