import Foundation

/// The images of one `POST /score`: Azure v1's raw image bytes, or Azure v2's
/// `{"input_data": {"columns": ["image"], "data": ["<base64>", ...]}}` (also `{"data": [...]}`).
public enum ScoringRequest {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Azure v2's JSON rather than an image's bytes.
    static func looksJSON(body: Data, contentType: String?) -> Bool {
        (contentType ?? "").lowercased().contains("json") || body.first == UInt8(ascii: "{")
    }

    /// How an error names the request's image at `index`: where the client put it ("input_data.data[2]", or
    /// "the image in the request's body"), since the request carries no file name.
    public static func inputName(_ index: Int, body: Data, contentType: String?) -> String {
        looksJSON(body: body, contentType: contentType) ? "input_data.data[\(index)]" : "the image in the request's body"
    }

    public static func images(body: Data, contentType: String?) throws -> [Data] {
        guard looksJSON(body: body, contentType: contentType) else {
            guard !body.isEmpty else { throw Invalid(description: "the body is empty: send the image's bytes, or Azure v2's JSON") }
            return [body]
        }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw Invalid(description: #"the body is not valid JSON; expected {"input_data": {"columns": ["image"], "data": ["<base64>", ...]}}"#)
        }
        let table = (object["input_data"] as? [String: Any]) ?? object
        guard let rows = table["data"] as? [Any], !rows.isEmpty else {
            throw Invalid(description: #"input_data.data must be a non-empty list of base64 images"#)
        }
        if let columns = table["columns"] as? [String], columns != ["image"] {
            throw Invalid(description: "input_data.columns must be [\"image\"], found \(columns)")
        }
        return try rows.enumerated().map { index, row in
            // A row is the base64 text itself, or a one-column list holding it.
            let text = (row as? String) ?? ((row as? [Any])?.first as? String)
            guard let text, let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw Invalid(description: "input_data.data[\(index)] is not a base64-encoded image")
            }
            return data
        }
    }
}
