import Foundation
import SpoolCore
import SpoolEngine

/// The memory layout measured for a model on this machine, kept across runs: the first run measures (the
/// engine times both layouts on its first batch), later runs of the same model, batch shape, threads and
/// device reuse the answer. So two runs under one seed on one machine compute alike, whatever the timings.
///
/// `$SPOOL_CACHE_DIR/memory-format.json`, else `$XDG_CACHE_HOME/spool/`, else `~/.cache/spool/`.
public struct MemoryFormatCache {
    public let url: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base: URL
        if let dir = environment["SPOOL_CACHE_DIR"], !dir.isEmpty {
            base = URL(fileURLWithPath: dir)
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg).appendingPathComponent("spool")
        } else {
            base = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/spool")
        }
        url = base.appendingPathComponent("memory-format.json")
    }

    /// The machine's processor, for the key: a layout measured on one CPU says nothing of another.
    static let processor: String = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }()

    public static func key(model: String, batch: Int, side: Int, threads: Int, device: String) -> String {
        "\(model)|batch \(batch)|side \(side)|\(threads) threads|\(device)|\(processor)"
    }

    /// The key of a run's layout: its model, batch, input side, threads and device.
    public static func key(_ p: TrainingParameters, task: ImageTask, threads: Int, device: String) -> String {
        key(model: p.engineModelName, batch: p.trainingBatchSize,
            side: p.modelName.recipe.input(p).trainingSide,
            threads: threads, device: device)
    }

    public func lookup(_ key: String) -> MemoryFormat? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let table = try? JSONDecoder().decode([String: String].self, from: data) else { return nil }
        switch table[key] {
        case "channels_last": return .channelsLast
        case "contiguous": return .contiguous
        default: return nil
        }
    }

    /// Records the layout a measurement chose (from the engine's note: "channels_last: 41.0 ms/image against ...");
    /// a layout that was set or imposed ("contiguous (this model's kernels need NCHW)") is no measurement.
    public func record(_ key: String, note: String) {
        guard note.contains(" ms/image against ") else { return }
        let chosen = note.hasPrefix("channels_last") ? "channels_last" : note.hasPrefix("contiguous") ? "contiguous" : nil
        guard let chosen else { return }
        var table = (FileManager.default.contents(atPath: url.path)).flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
        table[key] = chosen
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? encoder.encode(table).write(to: url, options: .atomic)
    }
}
