import Foundation

/// Puts a bundle into `incoming/` the safe way: copy into `tmp/` (same filesystem), then rename(2) in.
public struct Dropper: Sendable {
    public let layout: SpoolLayout
    public init(layout: SpoolLayout) { self.layout = layout }

    /// Returns the path it now has in `incoming/`. A name already taken gets a numbered suffix.
    public func drop(_ source: URL) throws -> URL {
        let fm = FileManager.default
        try layout.create()
        let name = source.lastPathComponent
        let staging = layout.tmp.appendingPathComponent(".\(UUID().uuidString)-\(name)")
        try fm.copyItem(at: source, to: staging)
        var target = layout.incoming.appendingPathComponent(name)
        var n = 1
        while fm.fileExists(atPath: target.path) {
            let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
            let multi = name.hasSuffix(".tar.gz") || name.hasSuffix(".tar.zst")
            let stem = multi ? String(name.dropLast(name.hasSuffix(".tar.gz") ? 7 : 8)) : base
            let suffix = multi ? String(name.suffix(name.hasSuffix(".tar.gz") ? 7 : 8)) : (ext.isEmpty ? "" : ".\(ext)")
            target = layout.incoming.appendingPathComponent("\(stem)-\(n)\(suffix)")
            n += 1
        }
        guard rename(staging.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: staging)
            throw RunnerError("cannot rename \(staging.path) into \(target.path): \(reason)")
        }
        return target
    }

    /// SHA-256 of a file, or of a folder's sorted relative paths and file contents (coreutils' sha256sum).
    public static func sha256(of url: URL) throws -> String {
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        if !isDir.boolValue { return try sha256sum([url.path]).first?.hash ?? "" }
        let files = (FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String] ?? [])
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path, isDirectory: &d) && !d.boolValue }
            .sorted()
        let sums = try sha256sum(files.map { url.appendingPathComponent($0).path })
        let manifest = zip(files, sums).map { "\($0)\u{0}\($1.hash)\n" }.joined()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spool-manifest-\(UUID().uuidString)")
        try Data(manifest.utf8).write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        return try sha256sum([tmp.path]).first?.hash ?? ""
    }

    static func sha256sum(_ paths: [String]) throws -> [(path: String, hash: String)] {
        guard !paths.isEmpty else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = ["--"] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RunnerError("sha256sum failed on \(paths.first ?? "")") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return (String(parts.count > 1 ? parts[1].drop { $0 == " " || $0 == "*" } : ""), String(parts[0]))
        }
    }
}

/// An error of the spool's own machinery, said plainly.
public struct RunnerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
