import Foundation

/// Where a job came from when Spool itself made its bundle (a schedule's firing, `spoolctl retrain`):
/// `.spool-job.json` inside the bundle folder. A drop without one is a user's drop.
public struct JobOrigin: Codable, Sendable, Hashable {
    public static let fileName = ".spool-job.json"

    /// The firing's key (`NAME@slot`): the queue takes one job per key.
    public var scheduleKey: String?
    /// The job's name (the schedule's, or the retrained job's).
    public var name: String
    /// The line of models it belongs to: `outbox/LINEAGE/latest` points at the one in use.
    public var lineage: String?
    /// A model folder to start from (warm start), usually the lineage's latest.
    public var warmStartFrom: String?
    /// The job it retrains, when `spoolctl retrain` made it.
    public var retrainOf: String?
    /// The job it queues again, when `spoolctl requeue` made it.
    public var requeueOf: String?
    /// `spoolctl requeue --restart`: the requeued job's trials start over instead of resuming from the earlier
    /// job's checkpoints.
    public var restart: Bool?
    /// When `latest` moves: `better` (beats the model in use on the new validation set) or `always`.
    public var promote: String
    /// Why the job exists, for its log: "schedule fridge, slot 2026-11-30T02:00:00Z".
    public var note: String

    public init(scheduleKey: String? = nil, name: String, lineage: String?, warmStartFrom: String? = nil,
                retrainOf: String? = nil, promote: String = "better", note: String, requeueOf: String? = nil,
                restart: Bool? = nil) {
        self.restart = restart
        self.scheduleKey = scheduleKey
        self.name = name
        self.lineage = lineage
        self.warmStartFrom = warmStartFrom
        self.retrainOf = retrainOf
        self.promote = promote
        self.note = note
        self.requeueOf = requeueOf
    }

    enum CodingKeys: String, CodingKey {
        case scheduleKey = "schedule_key", name, lineage, warmStartFrom = "warm_start_from", retrainOf = "retrain_of"
        case promote, note, requeueOf = "requeue_of", restart
    }

    /// The origin written in `folder`, if any.
    public static func read(in folder: URL) -> JobOrigin? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else { return nil }
        return try? JSONDecoder().decode(JobOrigin.self, from: data)
    }

    public func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
