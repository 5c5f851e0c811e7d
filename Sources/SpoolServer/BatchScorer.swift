import Foundation
import SpoolTraining

/// Scores images for concurrent requests through one model, on one thread.
///
/// The engine's model is not shared between threads, so requests queue here; whatever has queued while a
/// batch runs goes into the next batch together (up to `maxBatchImages`), which is both safe and faster
/// than one forward pass per request. A batch that fails (one undecodable image) is retried request by
/// request, so only the bad request gets the error: `RejectedImage`, naming the image by its position in the
/// request, never by the scratch file it was scored from.
public final class BatchScorer: @unchecked Sendable {
    /// An image of a request that cannot be scored (truncated, not an image): the client's fault, not the server's.
    public struct RejectedImage: Error, CustomStringConvertible {
        /// Its position in the request's images.
        public let index: Int
        /// Why, as the engine says it, without the scratch file's path: "not a usable image: it is truncated ...".
        public let reason: String
        public var description: String { "image \(index): \(reason)" }
    }

    typealias Completion = @Sendable (Result<[Predictor.Prediction], Error>) -> Void

    let predictor: Predictor
    let maxBatchImages: Int
    let scratch: URL
    private let queue = DispatchQueue(label: "spool.scorer")
    private let lock = NSLock()
    private var pending: [(images: [Data], done: Completion)] = []
    private var draining = false

    public init(predictor: Predictor, maxBatchImages: Int = 32) throws {
        self.predictor = predictor
        self.maxBatchImages = max(1, maxBatchImages)
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spool-score-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Every class's probability for each image, in class order.
    public func score(_ images: [Data]) async throws -> [Predictor.Prediction] {
        try await withCheckedThrowingContinuation { continuation in
            lock.withLock {
                pending.append((images, { continuation.resume(with: $0) }))
                if !draining {
                    draining = true
                    queue.async { self.drain() }
                }
            }
        }
    }

    private func drain() {
        while true {
            let batch: [(images: [Data], done: Completion)] = lock.withLock {
                var taken: [(images: [Data], done: Completion)] = []
                var count = 0
                while let next = pending.first, taken.isEmpty || count + next.images.count <= maxBatchImages {
                    taken.append(pending.removeFirst())
                    count += next.images.count
                }
                if taken.isEmpty { draining = false }
                return taken
            }
            if batch.isEmpty { return }
            do {
                let predictions = try run(batch.flatMap(\.images))
                var offset = 0
                for request in batch {
                    request.done(.success(Array(predictions[offset..<(offset + request.images.count)])))
                    offset += request.images.count
                }
            } catch {
                for request in batch { request.done(Result { try run(request.images) }) }
            }
        }
    }

    /// The engine reads images from files: each image goes to the scratch folder for the duration. An error
    /// that names one of them is that image's: a `RejectedImage`; any other error keeps its text, with the
    /// scratch folder's path taken out.
    private func run(_ images: [Data]) throws -> [Predictor.Prediction] {
        let paths = images.map { _ in scratch.appendingPathComponent(UUID().uuidString).path }
        defer { paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        do {
            for (data, path) in zip(images, paths) { try data.write(to: URL(fileURLWithPath: path)) }
        } catch {
            throw ScoringFailed(description: "cannot write the request's images to the server's scratch folder: \(error)"
                .replacingOccurrences(of: scratch.path, with: "<scratch>"))
        }
        do {
            return try predictor.predict(paths: paths)
        } catch {
            throw Self.attributed(error, paths: paths, scratch: scratch.path)
        }
    }

    /// `error` as the client may read it: a `RejectedImage` when it names one of `paths`, else a
    /// `ScoringFailed` whose text names no server path.
    static func attributed(_ error: Error, paths: [String], scratch: String) -> Error {
        let text = "\(error)"
        if let index = paths.firstIndex(where: { text.contains($0) }) {
            var reason = text.replacingOccurrences(of: paths[index] + ": ", with: "")
            reason = reason.replacingOccurrences(of: paths[index], with: "the image")
            return RejectedImage(index: index, reason: reason)
        }
        return ScoringFailed(description: text.replacingOccurrences(of: scratch, with: "<scratch>"))
    }

    /// A failure of the server's own (the engine, the scratch folder), not of the request's images.
    public struct ScoringFailed: Error, CustomStringConvertible {
        public let description: String
    }
}
