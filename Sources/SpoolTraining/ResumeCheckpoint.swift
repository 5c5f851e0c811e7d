import Crypto
import Foundation
import SpoolCore

/// Where a run stood at the end of an epoch, beside the trainer's own state (`trainer.safetensors`): what the
/// epoch loop needs to go on exactly as if it had never stopped. Written as `run.json` in the checkpoint's folder.
public struct ResumePoint: Codable, Sendable {
    public struct Best: Codable, Sendable {
        public var epoch: Int
        public var value: Double
        public var report: TaskReport
    }

    public static let version = 1
    public var version = ResumePoint.version
    /// Epochs done (the run continues at epoch + 1).
    public var epoch: Int
    public var epochs: Int
    /// The learning-rate schedule's position: steps done over the whole run.
    public var iteration: Int
    public var stepsDone: Double
    public var trainSeconds: Double
    public var history: [EpochRecord]
    public var best: Best?
    public var earlyStopping: EarlyStopping
    /// True when the run had ended at this epoch (its last, or stopped early): a resume only writes the outputs.
    public var finished: Bool
    public var stoppedEarly: Bool
    public var memoryFormat: String?
    public var weightsUsed: String?
    /// What the run was (task, model, parameters, seed, data): a checkpoint of another run is refused.
    public var fingerprint: String
    /// SHA-256 of `trainer.safetensors`: a torn or damaged file is detected, and the previous checkpoint used.
    public var trainerSHA256: String
}

/// A run's resume checkpoints: `checkpoints/resume/epoch-NNNN/` folders, each `trainer.safetensors` (the
/// trainer's state) and `run.json` (a `ResumePoint` with the state file's hash), made whole in a `.partial`
/// folder, fsynced, and renamed into place. The newest two are kept, so that a damaged newest still leaves one.
public struct ResumeCheckpoints: Sendable {
    public let folder: URL
    public static let kept = 2

    /// The checkpoints of the run whose output folder is `runFolder` (or `runFolder` itself when it is a
    /// checkpoints folder).
    public init(runFolder: URL) {
        let direct = runFolder.lastPathComponent == "resume" ? runFolder : runFolder.appendingPathComponent("checkpoints/resume")
        folder = direct
    }

    public struct Found: Sendable {
        public let point: ResumePoint
        public let trainerState: URL
        public let folder: URL
        /// Newer checkpoints that were passed over, and why (torn, damaged, of another run).
        public let skipped: [String]
    }

    /// The epochs of the complete checkpoints, newest first.
    func epochFolders() -> [(epoch: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("epoch-"), !name.contains("."), let epoch = Int(name.dropFirst(6)) else { return nil }
            return (epoch, folder.appendingPathComponent(name))
        }.sorted { $0.0 > $1.0 }
    }

    /// The newest intact checkpoint of a run with `fingerprint`; nil when there is none. A checkpoint whose
    /// `run.json` does not decode or whose state file's hash differs is skipped (and said so in `skipped`).
    public func newest(fingerprint: String) -> Found? {
        var skipped: [String] = []
        for (epoch, url) in epochFolders() {
            let runFile = url.appendingPathComponent("run.json"), state = url.appendingPathComponent("trainer.safetensors")
            guard let data = FileManager.default.contents(atPath: runFile.path),
                  let point = try? Self.decoder.decode(ResumePoint.self, from: data)
            else {
                skipped.append("epoch \(epoch): run.json is missing or unreadable (a torn write)")
                continue
            }
            guard point.version == ResumePoint.version else {
                skipped.append("epoch \(epoch): written by another version of Spool (checkpoint version \(point.version))")
                continue
            }
            guard point.fingerprint == fingerprint else {
                skipped.append("epoch \(epoch): made by a run with other settings, data or seed")
                continue
            }
            guard let hash = try? Self.sha256(of: state), hash == point.trainerSHA256 else {
                skipped.append("epoch \(epoch): trainer.safetensors does not match its hash (torn or damaged)")
                continue
            }
            return Found(point: point, trainerState: state, folder: url, skipped: skipped)
        }
        return nil
    }

    /// Whether any checkpoint folder is there, intact or not.
    public var isEmpty: Bool { epochFolders().isEmpty }

    /// Writes the checkpoint of `point.epoch`: `writeState` writes the trainer's state to the URL it is given;
    /// then `run.json` with the state's hash; every file and folder fsynced before and after the rename. Keeps
    /// the newest `kept`.
    public func write(_ point: ResumePoint, writeState: (URL) throws -> Void) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let name = String(format: "epoch-%04d", point.epoch)
        let final = folder.appendingPathComponent(name)
        let partial = folder.appendingPathComponent(name + ".partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        do {
            let state = partial.appendingPathComponent("trainer.safetensors")
            try writeState(state)
            var point = point
            point.trainerSHA256 = try Self.sha256(of: state)
            let runFile = partial.appendingPathComponent("run.json")
            try Self.encoder.encode(point).write(to: runFile)
            try Self.fsync(runFile)
            try Self.fsync(partial)
            try? fm.removeItem(at: final)  // a checkpoint of the same epoch from an earlier try
            try fm.moveItem(at: partial, to: final)
            try Self.fsync(folder)
        } catch {
            try? fm.removeItem(at: partial)
            throw error
        }
        for (_, url) in epochFolders().dropFirst(Self.kept) { try? fm.removeItem(at: url) }
        return final
    }

    /// The fingerprint of a run: what must be the same for a checkpoint to continue it.
    public static func fingerprint(task: ImageTask, parameters: TrainingParameters, seed: UInt64, classes: [String],
                                   train: [String], validation: [String]) -> String {
        var hasher = SHA256()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        hasher.update(data: Data("\(task.rawValue)\n\(seed)\n".utf8))
        hasher.update(data: (try? encoder.encode(parameters)) ?? Data())
        for list in [classes, train, validation] {
            hasher.update(data: Data((list.joined(separator: "\n") + "\n\u{1}").utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func fsync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { close(fd) }
        guard Foundation.fsync(fd) == 0 else {
            throw TrainingError.data("\(url.path): cannot flush to disk (\(String(cString: strerror(errno))))")
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
