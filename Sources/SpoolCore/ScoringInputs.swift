import Foundation

/// The images `spoolctl score` reads: files, folders (searched recursively for images), globs (`*`, `?`,
/// `[...]` in the last path components, for shells that pass them through), and JSONL files whose lines name
/// images by `image_url` (resolved by `ImageLocator` from the JSONL's folder, as training resolves a bundle's).
public enum ScoringInputs {
    /// Extensions taken from folders (any case).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp"]

    /// Every image the inputs name, in order, without duplicates.
    /// - Throws: `ScoringInputError` naming an input that does not exist, a glob that matches nothing, or a
    ///   JSONL line without `image_url`.
    public static func expand(_ inputs: [String], fileManager: FileManager = .default) throws(ScoringInputError) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        func add(_ path: String) {
            if seen.insert(path).inserted { result.append(path) }
        }
        for input in inputs {
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: input, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    folderImages(input, fileManager: fileManager).forEach(add)
                } else if input.lowercased().hasSuffix(".jsonl") {
                    try jsonlImages(input).forEach(add)
                } else {
                    add(input)
                }
            } else if input.contains(where: { "*?[".contains($0) }) {
                let matches = glob(input)
                guard !matches.isEmpty else { throw ScoringInputError("\(input): the pattern matches no file") }
                matches.forEach(add)
            } else {
                throw ScoringInputError("\(input): no such file or folder")
            }
        }
        return result
    }

    static func folderImages(_ folder: String, fileManager: FileManager) -> [String] {
        guard let walker = fileManager.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            if imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                found.append((folder as NSString).appendingPathComponent(relative))
            }
        }
        return found.sorted()
    }

    static func jsonlImages(_ file: String) throws(ScoringInputError) -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else { throw ScoringInputError("\(file): cannot be read") }
        let base = (file as NSString).deletingLastPathComponent
        let locator = ImageLocator(bases: [URL(fileURLWithPath: base.isEmpty ? "." : base)])
        var paths: [String] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let url = object["image_url"] as? String, !url.isEmpty
            else {
                throw ScoringInputError("\(file):\(number + 1): expected a JSON object with image_url")
            }
            if url.hasPrefix("/") {
                paths.append(url)
                continue
            }
            switch DatastorePath.relativePath(url) {
            case let .success(relative):
                // Resolved as training resolves it: beside the JSONL, under images/, datastore folders dropped.
                paths.append(locator.path(for: relative) ?? locator.expectedPath(for: relative))
            case let .failure(why):
                throw ScoringInputError("\(file):\(number + 1): image_url \(url) cannot be read here (\(why)); use a path relative to the JSONL or an absolute path")
            }
        }
        return paths
    }

    /// POSIX glob(3), sorted.
    static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}

/// An input of `spoolctl score` that names no image.
public struct ScoringInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
