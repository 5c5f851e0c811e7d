/// One thing wrong in a dataset being converted: the file, the line when known, the element (an
/// annotation id, an image, a VOC object, a JSONL field) and what to do about it.
public struct ConversionProblem: Sendable, Hashable, CustomStringConvertible {
    /// The input file (or folder) as the user named it.
    public var file: String
    /// 1-based; nil where the format has no useful line (COCO JSON) or for the file as a whole.
    public var line: Int?
    /// `annotation 12`, `image 3 (a.jpg)`, `object 2 (dog)`, `label[0].topX`; nil for the whole file.
    public var element: String?
    public var message: String

    public init(file: String, line: Int? = nil, element: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    /// `instances.json: annotation 12: category_id 99 is not in categories; ...`, or with a line:
    /// `Annotations/2007_000027.xml:14: object 2 (person): no <bndbox>; ...`.
    public var description: String {
        var parts = [line.map { "\(file):\($0)" } ?? file]
        if let element { parts.append(element) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
