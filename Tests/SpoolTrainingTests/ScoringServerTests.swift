import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpoolEngine
import Testing

/// `spoolctl serve-model` on loopback, exercised with a real HTTP client (URLSession).
@Suite(.serialized)
struct ScoringServerTests {
    /// A running server and what it needs to be stopped.
    final class Server: @unchecked Sendable {
        let process = Process()
        var port = 0
        var stderr = ""

        init(model: URL, extra: [String] = []) throws {
            process.executableURL = CommandLineTests.bin.appendingPathComponent("spoolctl")
            process.arguments = ["serve-model", "--model", model.path, "--port", "0", "--threads", "1"] + extra
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait for "serving ... on http://127.0.0.1:PORT".
            let deadline = Date().addingTimeInterval(60)
            while port == 0, Date() < deadline, process.isRunning {
                let chunk = err.fileHandleForReading.availableData
                stderr += String(decoding: chunk, as: UTF8.self)
                if let range = stderr.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(stderr[range].split(separator: ":").last!) ?? 0
                }
            }
            Thread.detachNewThread { while !err.fileHandleForReading.availableData.isEmpty {} }
        }

        func stop() -> Int32 {
            process.interrupt()
            process.waitUntilExit()
            return process.terminationStatus
        }

        func request(_ path: String, body: Data? = nil, contentType: String? = nil) async throws -> (Int, Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            if let body {
                request.httpMethod = "POST"
                request.httpBody = body
            }
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, data)
        }
    }

    static func json(_ data: Data) -> Any? { try? JSONSerialization.jsonObject(with: data) }

    @Test func scoresBothRequestFormatsRefusesBadOnesAndSurvivesConcurrency() async throws {
        let dir = try TrainingSupport.temporaryDirectory("serve-model")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("shapes")
        #expect(try CommandLineTests.spoolctl(["example", "--out", bundle.path, "--per-class", "6", "--size", "32"]).status == 0)
        let out = dir.appendingPathComponent("run")
        let train = try CommandLineTests.spoolctl(["train", bundle.path, "--out", out.path, "--set", "number_of_epochs=1",
                                                   "--set", "train_crop_size=32", "--set", "valid_crop_size=32",
                                                   "--set", "valid_resize_size=32", "--set", "training_batch_size=4"])
        #expect(train.status == 0, "\(train.stderr)")
        let model = out.appendingPathComponent("model")
        let imagePath = bundle.appendingPathComponent("images/0000.png").path
        let image = try Data(contentsOf: URL(fileURLWithPath: imagePath))
        let predict = try CommandLineTests.spoolctl(["predict", "--model", model.path, imagePath, "--json"])
        let expected = ((Self.json(Data(predict.stdout.utf8)) as? [[String: Any]])?.first?["probs"] as? [Double]) ?? []

        let server = try Server(model: model, extra: ["--max-body-mb", "0.5"])
        #expect(server.port > 0, "\(server.stderr)")
        defer { _ = server.stop() }

        let (healthStatus, health) = try await server.request("/health")
        #expect(healthStatus == 200 && (Self.json(health) as? [String: Any])?["status"] as? String == "ok")
        let (modelStatus, manifest) = try await server.request("/model")
        #expect(modelStatus == 200 && (Self.json(manifest) as? [String: Any])?["classes"] as? [String] == ["circle", "square", "triangle"])

        // Azure v1: the raw bytes. Same probabilities as `spoolctl predict`.
        let (rawStatus, raw) = try await server.request("/score", body: image, contentType: "application/octet-stream")
        #expect(rawStatus == 200)
        let rawResult = try #require(Self.json(raw) as? [[String: Any]])
        #expect(rawResult.first?["labels"] as? [String] == ["circle", "square", "triangle"])
        let probs = try #require(rawResult.first?["probs"] as? [Double])
        #expect(probs.count == expected.count && zip(probs, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(probs) \(expected)")

        // Azure v2: base64 in input_data; two images, two answers.
        let v2 = try JSONSerialization.data(withJSONObject: ["input_data": ["columns": ["image"], "data": [image.base64EncodedString(), image.base64EncodedString()]]])
        let (v2Status, v2Body) = try await server.request("/score", body: v2, contentType: "application/json")
        #expect(v2Status == 200)
        #expect((Self.json(v2Body) as? [[String: Any]])?.count == 2)

        // A malformed image, malformed JSON, an oversize body: 4xx with a reason.
        let (badImage, badImageBody) = try await server.request("/score", body: Data("not an image".utf8))
        #expect(badImage == 400 && String(decoding: badImageBody, as: UTF8.self).contains("the image in the request's body: not a decodable image"))
        let (badJSON, badJSONBody) = try await server.request("/score", body: Data(#"{"input_data": {"data": [42]}}"#.utf8), contentType: "application/json")
        #expect(badJSON == 400 && String(decoding: badJSONBody, as: UTF8.self).contains("base64"))
        let (big, bigBody) = try await server.request("/score", body: Data(count: 1024 * 1024))
        #expect(big == 413 && String(decoding: bigBody, as: UTF8.self).contains("max-body-mb"))

        // A real JPEG cut in half and a text file: 400s that name the image as the request carries it, never a
        // path on the server (the engine reads each image from a scratch file).
        let jpegURL = dir.appendingPathComponent("whole.jpg")
        try ImageLoader.write(path: jpegURL.path, pixels: (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) },
                              width: 64, height: 64, channels: 3)
        let jpeg = try Data(contentsOf: jpegURL)
        let (wholeStatus, _) = try await server.request("/score", body: jpeg, contentType: "image/jpeg")
        #expect(wholeStatus == 200)
        let cut = jpeg.prefix(jpeg.count / 2)
        let (cutStatus, cutBody) = try await server.request("/score", body: cut, contentType: "image/jpeg")
        let cutText = String(decoding: cutBody, as: UTF8.self)
        #expect(cutStatus == 400 && cutText.contains("the image in the request's body: not a usable image: it is truncated"), "\(cutStatus) \(cutText)")
        let v2Cut = try JSONSerialization.data(withJSONObject: ["input_data": ["columns": ["image"], "data": [jpeg.base64EncodedString(), cut.base64EncodedString()]]])
        let (v2CutStatus, v2CutBody) = try await server.request("/score", body: v2Cut, contentType: "application/json")
        let v2CutText = String(decoding: v2CutBody, as: UTF8.self)
        #expect(v2CutStatus == 400 && v2CutText.contains("input_data.data[1]: not a usable image: it is truncated"), "\(v2CutStatus) \(v2CutText)")
        let v2Text = try JSONSerialization.data(withJSONObject: ["input_data": ["columns": ["image"], "data": [Data("just some text".utf8).base64EncodedString()]]])
        let (v2TextStatus, v2TextBody) = try await server.request("/score", body: v2Text, contentType: "application/json")
        let v2TextText = String(decoding: v2TextBody, as: UTF8.self)
        #expect(v2TextStatus == 400 && v2TextText.contains("input_data.data[0]: not a decodable image"), "\(v2TextStatus) \(v2TextText)")
        for text in [String(decoding: badImageBody, as: UTF8.self), cutText, v2CutText, v2TextText] {
            #expect(!text.contains("spool-score") && !text.contains(FileManager.default.temporaryDirectory.path), "\(text)")
        }

        // 50 concurrent requests: every one answered 200 with one result, and the server still healthy.
        let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let (status, body) = try await server.request("/score", body: image)
                    return (status, (Self.json(body) as? [[String: Any]])?.count ?? 0)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 50 && statuses.allSatisfy { $0 == (200, 1) }, "\(statuses)")
        #expect(try await server.request("/health").0 == 200)
        #expect(server.process.isRunning)
    }

    /// A detector answers in Azure's detection format ({"boxes": [{"box": {topX...}, "label", "score"}]}), as
    /// `spoolctl predict` does.
    @Test func servesADetectorInAzuresBoxFormat() async throws {
        let dir = try TrainingSupport.temporaryDirectory("serve-detector")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("boxes")
        #expect(try CommandLineTests.spoolctl(["example", "--task", "detection", "--out", bundle.path, "--images", "12", "--size", "64"]).status == 0)
        let out = dir.appendingPathComponent("run")
        let train = try CommandLineTests.spoolctl(["train", bundle.path, "--out", out.path, "--set", "model_name=retinanet_resnet50_fpn",
                                                   "--set", "number_of_epochs=1", "--set", "min_size=64", "--set", "max_size=64",
                                                   "--set", "box_score_thresh=0.0"])
        #expect(train.status == 0, "\(train.stderr)")
        let model = out.appendingPathComponent("model")
        let imagePath = bundle.appendingPathComponent("images/0000.png").path
        let predict = try CommandLineTests.spoolctl(["predict", "--model", model.path, imagePath, "--json"])
        let expected = try #require((Self.json(Data(predict.stdout.utf8)) as? [[String: Any]])?.first?["boxes"] as? [[String: Any]])
        #expect(!expected.isEmpty, "score threshold 0: the untrained detector still returns boxes")

        let server = try Server(model: model)
        #expect(server.port > 0, "\(server.stderr)")
        defer { _ = server.stop() }
        let (status, body) = try await server.request("/score", body: try Data(contentsOf: URL(fileURLWithPath: imagePath)),
                                                      contentType: "application/octet-stream")
        #expect(status == 200)
        let results = try #require(Self.json(body) as? [[String: Any]])
        let boxes = try #require(results.first?["boxes"] as? [[String: Any]])
        #expect(boxes.count == expected.count)
        for (got, want) in zip(boxes, expected) {
            #expect(got["label"] as? String == want["label"] as? String)
            let g = got["box"] as? [String: Double] ?? [:], w = want["box"] as? [String: Double] ?? [:]
            #expect(Set(g.keys) == ["topX", "topY", "bottomX", "bottomY"])
            #expect(g.keys.allSatisfy { abs((g[$0] ?? -1) - (w[$0] ?? 1)) < 1e-5 } && (0...1).contains(g["topX"] ?? -1), "\(g) \(w)")
            #expect(abs((got["score"] as? Double ?? -1) - (want["score"] as? Double ?? 1)) < 1e-5)
        }
    }
}
