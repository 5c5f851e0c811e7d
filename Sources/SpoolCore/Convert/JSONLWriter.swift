import Foundation

/// Writes converted images as Azure's JSONL: one JSON object a line, keys sorted, slashes unescaped,
/// numbers in their shortest exact form, so that the same input always gives the same bytes.
public enum JSONLWriter {
    /// One line, without its newline.
    public static func line(for image: ConvertedImage) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Converters only produce finite numbers; a NaN would still give valid JSON, as a string.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return String(decoding: try encoder.encode(Line(image)), as: UTF8.self)
        } catch {
            preconditionFailure("a JSONL line holds only strings, numbers, lists and objects: \(error)")
        }
    }

    /// The whole file: one line per image, each ending with a newline.
    public static func text(for images: [ConvertedImage]) -> String {
        images.map { line(for: $0) + "\n" }.joined()
    }

    /// The line's JSON shape: `image_url`, optional `image_details`, and `label`.
    private struct Line: Encodable {
        let image: ConvertedImage
        init(_ image: ConvertedImage) { self.image = image }

        enum CodingKeys: String, CodingKey {
            case imageURL = "image_url", imageDetails = "image_details", label
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(image.imageURL, forKey: .imageURL)
            try container.encodeIfPresent(image.details, forKey: .imageDetails)
            switch image.label {
            case let .className(name): try container.encode(name, forKey: .label)
            case let .objects(objects): try container.encode(objects.map(Object.init), forKey: .label)
            }
        }
    }

    /// A detection object `{label, topX, topY, bottomX, bottomY, isCrowd}` or a segmentation object
    /// `{label, isCrowd, polygon}`; `isCrowd` is written as 0 or 1, as Azure's converters do.
    private struct Object: Encodable {
        let object: ImageObject
        init(_ object: ImageObject) { self.object = object }

        enum CodingKeys: String, CodingKey {
            case label, isCrowd, topX, topY, bottomX, bottomY, polygon
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(object.label, forKey: .label)
            try container.encode(object.isCrowd ? 1 : 0, forKey: .isCrowd)
            switch object.shape {
            case let .box(box):
                try container.encode(box.topX, forKey: .topX)
                try container.encode(box.topY, forKey: .topY)
                try container.encode(box.bottomX, forKey: .bottomX)
                try container.encode(box.bottomY, forKey: .bottomY)
            case let .polygon(parts):
                try container.encode(parts, forKey: .polygon)
            }
        }
    }
}
