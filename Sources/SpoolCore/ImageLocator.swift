import Foundation

/// Finds the file an `image_url` names, the same way for validation, training, evaluation and scoring.
///
/// An `image_url` (Azure datastore prefix already removed) is looked for under each base folder (the bundle,
/// and the JSONL's own folder when it is elsewhere, as in an MLTable folder), then under its `images/`, then
/// under `images/images/` (an images archive made with `tar cf images.tar images/` holds the folder itself).
/// When a URL kept a datastore's folders that the bundle does not have (`data/fridge/images/1.jpg` exported
/// from Azure, the images in `images/1.jpg`), its leading folders are dropped one at a time.
public struct ImageLocator: Sendable {
    /// The folders searched, in order, that exist.
    public let roots: [URL]

    public init(bases: [URL]) {
        let fm = FileManager.default
        var roots: [URL] = []
        for base in bases {
            for candidate in [base, base.appendingPathComponent("images"),
                              base.appendingPathComponent("images").appendingPathComponent("images")] {
                var isDirectory: ObjCBool = false
                let standard = candidate.standardizedFileURL
                if fm.fileExists(atPath: standard.path, isDirectory: &isDirectory), isDirectory.boolValue,
                   !roots.contains(standard) {
                    roots.append(standard)
                }
            }
        }
        self.roots = roots.isEmpty ? bases.map(\.standardizedFileURL) : roots
    }

    /// The file for a relative `image_url`, or nil when no root holds it.
    public func path(for imageURL: String) -> String? {
        let fm = FileManager.default
        for root in roots {
            let candidate = root.appendingPathComponent(imageURL).path
            if fm.fileExists(atPath: candidate) { return candidate }
        }
        var components = imageURL.split(separator: "/").map(String.init)
        while components.count > 1 {
            components.removeFirst()
            let suffix = components.joined(separator: "/")
            for root in roots {
                let candidate = root.appendingPathComponent(suffix).path
                if fm.fileExists(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// The path used for a URL that is not found: under the first root, for messages.
    public func expectedPath(for imageURL: String) -> String {
        (roots.first ?? URL(fileURLWithPath: ".")).appendingPathComponent(imageURL).path
    }

    /// "BUNDLE/, BUNDLE/images/" relative to `base`, for a message that says where Spool looked.
    public func searched(relativeTo base: URL) -> String {
        let prefix = base.standardizedFileURL.path
        return roots.map { root -> String in
            let path = root.path
            if path == prefix { return "the bundle folder" }
            if path.hasPrefix(prefix + "/") { return String(path.dropFirst(prefix.count + 1)) + "/" }
            return path + "/"
        }.joined(separator: ", ")
    }
}
