import Foundation
import SpoolTraining

/// Scores images for concurrent requests through one model, on one thread.
///
/// The engine's model is not shared between threads, so requests queue here; whatever has queued while a
/// batch runs goes into the next batch together (up to `maxBatchImages`), which is both safe and faster
/// than one forward pass per request. A batch that fails (one undecodable image) is retried request by
/// request, so only the bad request gets the error.
public final class BatchScorer: @unchecked Sendable {
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

    /// The engine reads images from files: each image goes to the scratch folder for the duration.
    private func run(_ images: [Data]) throws -> [Predictor.Prediction] {
        let paths = try images.map { data -> String in
            let url = scratch.appendingPathComponent(UUID().uuidString)
            try data.write(to: url)
            return url.path
        }
        defer { paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        return try predictor.predict(paths: paths)
    }
}
