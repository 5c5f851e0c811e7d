import Foundation

/// How converters build an `image_url` and its `image_details.format` from a file name.
enum ImageURL {
    /// `prefix` and `path` with one `/` between them (none when the prefix is empty).
    static func join(_ prefix: String, _ path: String) -> String {
        guard !prefix.isEmpty else { return path }
        return prefix.hasSuffix("/") ? prefix + path : prefix + "/" + path
    }

    /// The lower-cased extension (`jpg`, `png`), nil when the name has none: Azure's `format`.
    static func format(of fileName: String) -> String? {
        let format = (fileName as NSString).pathExtension.lowercased()
        return format.isEmpty ? nil : format
    }
}
