import Foundation

/// Turns an `image_url` exported from Azure into a path relative to the bundle's images root.
public enum DatastorePath {
    public enum Failure: Error, Sendable, Hashable {
        case empty
        case remote(String)
        case missingPathsSegment
        case escapesRoot
    }

    /// `AmlDatastore://NAME/a/b.jpg` -> `a/b.jpg`; `azureml://.../paths/a/b.jpg` -> `a/b.jpg`;
    /// `./a/b.jpg` -> `a/b.jpg`; plain relative paths unchanged. Absolute paths, `..` and remote URLs
    /// are refused: images must be inside the bundle.
    public static func relativePath(_ imageURL: String) -> Result<String, Failure> {
        var path = imageURL.trimmingCharacters(in: .whitespaces)
        let lowered = path.lowercased()
        if lowered.hasPrefix("amldatastore://") {
            let rest = path.dropFirst("amldatastore://".count)
            path = rest.firstIndex(of: "/").map { String(rest[rest.index(after: $0)...]) } ?? ""
        } else if lowered.hasPrefix("azureml://") {
            guard let range = path.range(of: "/paths/") else { return .failure(.missingPathsSegment) }
            path = String(path[range.upperBound...])
        } else if let scheme = lowered.range(of: "://") {
            return .failure(.remote(String(path[..<scheme.lowerBound])))
        }
        while path.hasPrefix("./") { path.removeFirst(2) }
        if path.isEmpty { return .failure(.empty) }
        if path.hasPrefix("/") || path.split(separator: "/").contains("..") { return .failure(.escapesRoot) }
        return .success(path)
    }
}
