/// One line of Azure's AutoML-for-images JSONL (spec section 3), as the converters produce and read it.
public struct ConvertedImage: Sendable, Hashable {
    /// The image's path as the bundle resolves it (relative to the bundle or its `images/` folder).
    public var imageURL: String
    /// `format`, `width`, `height` where the converter knows them; advisory for training, but the
    /// reverse conversion (JSONL to COCO) needs the size to turn fractions back into pixels.
    public var details: ImageDetails?
    public var label: ConvertedLabel

    public init(imageURL: String, details: ImageDetails? = nil, label: ConvertedLabel) {
        self.imageURL = imageURL
        self.details = details
        self.label = label
    }
}
