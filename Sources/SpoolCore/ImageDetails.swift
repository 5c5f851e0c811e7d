/// The optional `image_details` of a JSONL line. Advisory only: the decoded image's real size wins.
public struct ImageDetails: Sendable, Hashable, Codable {
    public var format: String?
    public var width: Int?
    public var height: Int?

    public init(format: String? = nil, width: Int? = nil, height: Int? = nil) {
        self.format = format
        self.width = width
        self.height = height
    }
}
