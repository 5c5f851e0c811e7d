import Crypto
import Foundation
import SpoolCore
import Testing

/// `spoolctl weights list|pull` against a local HTTP server on 127.0.0.1 (`Tests/reference/weights_server.py`):
/// a download, a wrong hash refused with nothing kept, a cut connection resumed (and restarted where the server
/// ignores ranges), a local mirror folder, and `list` telling what is present. The files are small and made
/// here; a `--catalog` names them with their real SHA-256 in place of torchvision's.
@Suite(.serialized)
struct WeightsCommandTests {
    typealias Output = TrainingSupport.Output

    struct Server {
        let process: Process
        let port: Int
        let root: URL
        var base: String { "http://127.0.0.1:\(port)/models" }
        var requests: [String] {
            ((try? String(contentsOf: root.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
        }
        func stop() {
            // SIGKILL: a child of this test process inherits its blocked SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A folder with `served/` (what the server has) and `weights/` (the spool's folder), and a catalogue.
    struct Fixture {
        let root: URL
        var served: URL { root.appendingPathComponent("served") }
        var weights: URL { root.appendingPathComponent("weights") }
        var catalog: URL { root.appendingPathComponent("catalog.json") }
        let payload: Data

        init(sha256 override: String? = nil) throws {
            root = try TrainingSupport.temporaryDirectory("weights")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("served"), withIntermediateDirectories: true)
            var rng = SystemRandomNumberGenerator()
            payload = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
            try payload.write(to: root.appendingPathComponent("served/resnet18-test.pth"))
            let digest = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
            let catalog = #"{"resnet18": [{"file": "resnet18-test.pth", "url": "http://127.0.0.1:9/unused/resnet18-test.pth", "sha256": "\#(override ?? digest)"}]}"#
            try Data(catalog.utf8).write(to: root.appendingPathComponent("catalog.json"))
        }

        func spoolctl(_ arguments: [String]) throws -> Output {
            try CommandLineTests.spoolctl(["weights"] + arguments + ["--weights-dir", weights.path, "--catalog", catalog.path])
        }

        func startServer(_ flags: [String] = []) throws -> Server {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TrainingSupport.debianPython)
            process.arguments = [TrainingSupport.repository.appendingPathComponent("Tests/reference/weights_server.py").path,
                                 served.path] + flags
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            // One line, the port; not to the end of the output (the child may hold the pipe open).
            var bytes = Data()
            while !bytes.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            let line = String(decoding: bytes, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw TestFailure("the test server did not start: '\(line)'")
            }
            return Server(process: process, port: port, root: root)
        }

        var kept: Data? { FileManager.default.contents(atPath: weights.appendingPathComponent("resnet18-test.pth").path) }
        var partials: [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: weights.appendingPathComponent(".partial").path)) ?? []
        }
    }

    @Test func pullDownloadsChecksAndKeepsTheFileAndListSaysSo() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let before = try f.spoolctl(["list", "--json"])
        #expect(before.status == 0, "\(before.stderr)")
        let rows = try JSONDecoder().decode([WeightsFolder.Listing].self, from: Data(before.stdout.utf8))
        #expect(rows.map(\.file) == ["resnet18-test.pth"] && rows.allSatisfy { !$0.present })

        // Another file's interrupted download waits in .partial/ to be resumed: a finished pull leaves it there.
        let partialDir = f.weights.appendingPathComponent(".partial")
        try FileManager.default.createDirectory(at: partialDir, withIntermediateDirectories: true)
        try Data("half a file".utf8).write(to: partialDir.appendingPathComponent("resnet50-other.pth"))
        let server = try f.startServer()
        defer { server.stop() }
        let pulled = try f.spoolctl(["pull", "resnet18", "--from", server.base])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.contains("SHA-256") && pulled.stdout.contains("checked"), "\(pulled.stdout)")
        #expect(f.kept == f.payload)
        #expect(f.partials == ["resnet50-other.pth"], "another file's partial download was removed: \(f.partials)")
        try FileManager.default.removeItem(at: partialDir.appendingPathComponent("resnet50-other.pth"))

        let after = try f.spoolctl(["list"])
        #expect(after.stdout.contains("resnet18-test.pth") && after.stdout.contains("present"), "\(after.stdout)")
        let again = try f.spoolctl(["pull", "resnet18", "--from", server.base])
        #expect(again.status == 0 && again.stdout.contains("already in"), "\(again.stdout)")
        #expect(server.requests.count == 1, "a file already present is not fetched again: \(server.requests)")
    }

    @Test func anUnreachableHostIsNamedWithTheWaysRoundIt() throws {
        // The catalogue's own URL is http://127.0.0.1:9/...: a port nothing listens on ("cannot connect").
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let pulled = try f.spoolctl(["pull", "resnet18"])
        #expect(pulled.status != 0)
        #expect(pulled.stderr.contains("cannot reach 127.0.0.1: nothing accepted the connection"), "\(pulled.stderr)")
        #expect(pulled.stderr.contains("--from") && pulled.stderr.contains("copy it into \(f.weights.path)"), "\(pulled.stderr)")
        #expect(!pulled.stderr.contains("NSURLErrorDomain") && !pulled.stderr.contains("run the same command again"), "\(pulled.stderr)")
        #expect(f.kept == nil && f.partials.isEmpty)
    }

    @Test func aWrongHashIsRefusedAndNothingIsKept() throws {
        let f = try Fixture(sha256: String(repeating: "ab", count: 32))
        defer { try? FileManager.default.removeItem(at: f.root) }
        let server = try f.startServer()
        defer { server.stop() }
        let pulled = try f.spoolctl(["pull", "resnet18", "--from", server.base])
        #expect(pulled.status != 0)
        #expect(pulled.stderr.contains("SHA-256") && pulled.stderr.contains("deleted"), "\(pulled.stderr)")
        #expect(f.kept == nil)
        #expect(f.partials.isEmpty)
        #expect(try f.spoolctl(["list"]).stdout.contains("absent"))
    }

    @Test func aCutConnectionIsResumedWithARangeRequest() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let server = try f.startServer(["--cut-first", "100000"])
        defer { server.stop() }
        let pulled = try f.spoolctl(["pull", "resnet18", "--from", server.base])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(f.kept == f.payload)
        let log = server.requests
        #expect(log.count == 2, "\(log)")
        #expect(log.first?.hasSuffix("- 200 100000") == true, "the first request was cut: \(log)")
        #expect(log.last?.contains("bytes=100000- 206 200000") == true, "the second resumed at byte 100000: \(log)")
    }

    @Test func aServerWithoutRangesSendsTheWholeFileAgain() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let server = try f.startServer(["--cut-first", "100000", "--ignore-range"])
        defer { server.stop() }
        let pulled = try f.spoolctl(["pull", "resnet18", "--from", server.base])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(f.kept == f.payload, "the restarted download must not be appended to the partial one")
        #expect(server.requests.last?.hasSuffix("200 300000") == true, "\(server.requests)")
    }

    @Test func aMissingFileAndAMirrorFolder() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let server = try f.startServer()
        defer { server.stop() }
        let missing = try f.spoolctl(["pull", "resnet18", "--from", server.base + "/nothing-here"])
        #expect(missing.status != 0 && missing.stderr.contains("HTTP 404"), "\(missing.stderr)")
        #expect(f.kept == nil && f.partials.isEmpty)
        let unknown = try f.spoolctl(["pull", "resnet19"])
        #expect(unknown.status != 0 && unknown.stderr.contains("resnet19: not a model"), "\(unknown.stderr)")

        let copied = try f.spoolctl(["pull", "resnet18", "--from", f.served.path])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(f.kept == f.payload)
    }

    @Test func theBuiltInCatalogueListsEveryAvailableModel() throws {
        let dir = try TrainingSupport.temporaryDirectory("weights-list")
        defer { try? FileManager.default.removeItem(at: dir) }
        let listed = try CommandLineTests.spoolctl(["weights", "list", "--json", "--weights-dir", dir.path])
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try JSONDecoder().decode([WeightsFolder.Listing].self, from: Data(listed.stdout.utf8))
        let expected = ModelCatalog.entries.filter(\.available).flatMap { e in e.weights.map { "\(e.name.rawValue) \($0.fileName)" } }
        #expect(rows.map { "\($0.model) \($0.file)" } == expected)
        #expect(rows.first { $0.file == "resnet18-f37072fd.pth" }?.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth")
        #expect(rows.first { $0.file.hasPrefix("fasterrcnn_resnet50_fpn_coco") }?.dataset == "COCO 2017")
    }

    /// yolov5's reference files are Ultralytics' per size; a run finds the file of its model_size, not another's.
    @Test func yoloV5WeightsAreFoundBySize() throws {
        let dir = try TrainingSupport.temporaryDirectory("weights-yolo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = ModelCatalog.entry(.yolov5).weights.map(\.fileName)
        #expect(files == ["yolov5m.pt", "yolov5s.pt", "yolov5l.pt", "yolov5x.pt"])
        #expect(ModelCatalog.entry(.yolov5).weights.first?.url == "https://github.com/ultralytics/yolov5/releases/download/v7.0/yolov5m.pt")
        try Data("x".utf8).write(to: dir.appendingPathComponent("yolov5s.pt"))
        var p = TrainingParameters.defaults(task: .imageObjectDetection, model: .yolov5)
        let folder = WeightsFolder(dir)
        #expect(folder.file(for: p) == nil, "medium (the default) has no file here")
        p.modelSize = .small
        #expect(folder.file(for: p)?.lastPathComponent == "yolov5s.pt")
    }
}
