/// Something a conversion fixed or left out, reported but not fatal: the output is still written.
public struct ConversionWarning: Sendable, Hashable, CustomStringConvertible {
    /// What kind of thing happened; the one-line summary counts warnings by kind.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An image with no (usable) annotation: kept, with an empty label list.
        case imageWithoutAnnotations
        /// A category (COCO) that no annotation uses: not in the output's classes.
        case categoryNeverUsed
        /// A box or polygon partly outside the image, clipped to it.
        case clipped
        /// An annotation dropped: zero or negative area, entirely outside the image, no shape.
        case annotationSkipped
        /// A segmentation annotation with no polygon, written as its box's four corners.
        case boxAsPolygon
        /// A file the converter does not read (not an image, not in a class folder).
        case fileIgnored
        /// An image whose header gives no size (corrupt, or a format the header reader does not know
        /// among those it should): `image_details` has its format only.
        case sizeUnknown

        /// `1 image without annotations`, `3 boxes clipped to the image`.
        func summary(_ count: Int) -> String {
            let one = count == 1
            switch self {
            case .imageWithoutAnnotations: return "\(count) \(one ? "image" : "images") without annotations"
            case .categoryNeverUsed: return "\(count) \(one ? "category" : "categories") never used"
            case .clipped: return "\(count) \(one ? "shape" : "shapes") clipped to the image"
            case .annotationSkipped: return "\(count) \(one ? "annotation" : "annotations") skipped"
            case .boxAsPolygon: return "\(count) \(one ? "box" : "boxes") used as polygons"
            case .fileIgnored: return "\(count) \(one ? "file" : "files") ignored"
            case .sizeUnknown: return "\(count) \(one ? "image" : "images") without a readable size"
            }
        }
    }

    public var kind: Kind
    /// Where, in the shape of `ConversionProblem`: file, line, element, message.
    public var location: ConversionProblem

    public init(_ kind: Kind, file: String, line: Int? = nil, element: String? = nil, message: String) {
        self.kind = kind
        self.location = ConversionProblem(file: file, line: line, element: element, message: message)
    }

    /// `instances.json: annotation 7: box clipped to image 2 (640x480)`.
    public var description: String { location.description }
}
