/// An archive entry's name checked and normalised: relative, no `..`, no empty name, within the depth and
/// length limits. `a//./b/` becomes `["a", "b"]`.
struct EntryPath: Hashable {
    /// The normalised components; empty for the destination itself (`./`).
    var components: [String]

    /// The normalised path, `/`-joined.
    var path: String { components.joined(separator: "/") }

    /// Checks `raw` (the name as the archive spells it) against the policy and `limits`.
    init(_ raw: String, limits: ExtractionLimits) throws(ExtractionError) {
        if raw.isEmpty {
            throw ExtractionError(.invalidName, entry: raw, reason: "An entry has an empty name. Re-create the archive.")
        }
        if raw.hasPrefix("/") {
            throw ExtractionError(
                .absolutePath, entry: raw,
                reason: "Entry '\(raw)' has an absolute path. Re-create the archive with paths relative to the "
                    + "bundle's folder (e.g. `tar -C bundle -czf bundle.tar.gz .`).")
        }
        var components: [String] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            // Bytes, not `==`: String equality is Unicode-canonical, a path component is bytes.
            if part.utf8.elementsEqual(".".utf8) { continue }
            if part.utf8.elementsEqual("..".utf8) {
                throw ExtractionError(
                    .pathTraversal, entry: raw,
                    reason: "Entry '\(raw)' has a '..' component that points outside the destination. Re-create "
                        + "the archive with paths relative to the bundle's folder (e.g. `tar -C bundle -czf "
                        + "bundle.tar.gz .`).")
            }
            if part.utf8.count > ExtractionLimits.maxComponentLength {
                throw ExtractionError(
                    .pathTooLong, entry: raw, limit: "maxComponentLength",
                    value: Int64(ExtractionLimits.maxComponentLength),
                    reason: "Entry '\(raw)' has a name longer than \(ExtractionLimits.maxComponentLength) bytes, "
                        + "which no Linux filesystem stores. Rename it.")
            }
            components.append(String(part))
        }
        if components.count > limits.maxDepth {
            throw ExtractionError(
                .tooDeep, entry: raw, limit: "maxDepth", value: Int64(limits.maxDepth),
                reason: "Entry '\(raw)' is \(components.count) folders deep; at most \(limits.maxDepth) are "
                    + "allowed (maxDepth). Flatten the folder tree or raise the limit.")
        }
        let length = components.reduce(0) { $0 + $1.utf8.count } + max(components.count - 1, 0)
        if length > limits.maxPathLength {
            throw ExtractionError(
                .pathTooLong, entry: raw, limit: "maxPathLength", value: Int64(limits.maxPathLength),
                reason: "Entry '\(raw)' has a path of \(length) bytes; at most \(limits.maxPathLength) are allowed "
                    + "(maxPathLength). Shorten the names or raise the limit.")
        }
        self.components = components
    }
}
