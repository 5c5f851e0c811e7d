import Foundation
import SpoolCore
import Hummingbird
import Logging
import SpoolTraining

/// `spoolctl serve-model`: a model behind HTTP on Hummingbird (SwiftNIO).
///
/// - `POST /score`: raw image bytes (Azure v1) or `{"input_data": {"columns": ["image"], "data": [base64...]}}`
///   (Azure v2); answers Azure's scoring JSON, a list with `{"probs", "labels"}` per image.
/// - `GET /health`: `{"status": "ok", ...}` once the model is loaded.
/// - `GET /model`: the model's `model.json`.
///
/// Bodies are bounded (413 beyond `maxBodyBytes`); a malformed body or image is a 400 with the reason, naming
/// the image as the request does (`input_data.data[2]`), never a path on the server;
/// concurrent requests are batched through one `BatchScorer`.
public struct ScoringServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var maxBodyBytes = 20 * 1024 * 1024
        public init() {}
    }

    let scorer: BatchScorer
    let manifest: Data
    let modelName: String
    let configuration: Configuration
    let logger: Logger

    public init(scorer: BatchScorer, manifest: Data, modelName: String, configuration: Configuration, logger: Logger) {
        self.scorer = scorer
        self.manifest = manifest
        self.modelName = modelName
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT; `onListening` gets the port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        let scorer = self.scorer, manifest = self.manifest, modelName = self.modelName
        let limit = configuration.maxBodyBytes
        router.get("health") { _, _ -> Response in
            Self.json(.ok, ["status": "ok", "model": modelName])
        }
        router.get("model") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(manifest))))
        }
        router.post("score") { request, _ -> Response in
            if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
                return Self.error(.contentTooLarge, "the body is \(length) bytes; this server takes at most \(limit) (serve-model --max-body-mb)")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch {
                return Self.error(.contentTooLarge, "the body is over \(limit) bytes (serve-model --max-body-mb)")
            }
            let body = Data(buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [])
            let images: [Data]
            do {
                images = try ScoringRequest.images(body: body, contentType: request.headers[.contentType])
            } catch {
                return Self.error(.badRequest, "\(error)")
            }
            do {
                let predictions = try await scorer.score(images)
                // Azure's response: each image's result without the scratch file's name.
                return Self.encoded(.ok, predictions.map { p -> ScoringResponse in
                    var p = p
                    p.filename = ""
                    return p
                }.map(ServedResult.init))
            } catch let rejected as BatchScorer.RejectedImage {
                // The client's image: a 400 naming it as the request does, with the engine's reason.
                let name = ScoringRequest.inputName(rejected.index, body: body, contentType: request.headers[.contentType])
                return Self.error(.badRequest, "\(name): \(rejected.reason)")
            } catch {
                return Self.error(.internalServerError, "\(error)")
            }
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "spool"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }

    static func json(_ status: HTTPResponse.Status, _ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    /// An image's result as the endpoint returns it: Azure's fields, without the file name.
    struct ServedResult: Encodable {
        var probs: [Float]?
        var labels: [String]?
        var boxes: [ScoringResponse.ScoredBox]?
        init(_ r: ScoringResponse) {
            probs = r.probs
            labels = r.labels
            boxes = r.boxes
        }
    }

    static func encoded<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message, "status": status.code])
    }
}
