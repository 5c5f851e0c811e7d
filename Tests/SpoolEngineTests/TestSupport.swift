import Foundation
import SpoolCore
import SpoolEngine
import Testing

/// Paths and reference tools the engine tests use.
enum TestSupport {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let referenceScripts = repository.appendingPathComponent("Tests/reference")
    /// Debian's python3 with python3-torch and python3-torchvision (the same libtorch as Spool).
    static let debianPython = "/usr/bin/python3"
    /// The test venv (scripts/test.sh makes it): Debian's torch plus timm.
    static let venvPython = repository.appendingPathComponent(".venv-test/bin/python").path
    /// Ultralytics' yolov5 7.0 package on Debian's torch (scripts/test.sh makes it).
    static let yoloPython = repository.appendingPathComponent(".venv-yolo/bin/python").path

    /// A loader over `count` small generated images (random pixels), class i % classes, ready at epoch 0.
    static func classificationLoader(side: Int, classes: Int, count: Int) throws -> ImageLoader {
        let dir = try temporaryDirectory("zoo")
        var paths: [String] = []
        var rng = SystemRandomNumberGenerator()
        for i in 0..<count {
            let path = dir.appendingPathComponent("\(i).png").path
            try ImageLoader.write(path: path, pixels: (0..<(side * side * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                                  width: side, height: side, channels: 3)
            paths.append(path)
        }
        var options = LoaderOptions()
        options.batchSize = count
        options.cropSize = side
        options.resizeSize = side
        let loader = try ImageLoader(paths: paths, targets: (0..<count).map { Float($0 % classes) }, targetWidth: 1, options: options)
        try loader.startEpoch(0)
        return loader
    }

    static func temporaryDirectory(_ name: String = "spool-test", under parent: URL = FileManager.default.temporaryDirectory) throws -> URL {
        let url = parent.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a program through SpoolCore's `ChildProcess` (the one way the tests run a command); returns its
    /// standard output then its standard error, and fails the test with both when it does not exit 0.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw TestFailure("\(program) is missing: run scripts/test.sh (it installs the reference stack)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.merge(extra) { $1 }
        let output = try ChildProcess.run(URL(fileURLWithPath: program), arguments, environment: environment)
        let text = output.stdoutText + output.stderrText
        guard output.succeeded else {
            throw TestFailure("\(program) \(arguments.joined(separator: " ")) \(output.endDescription):\n\(text)")
        }
        return text
    }

    /// A detector's reference export (Tests/reference/export_*.py): its folder, with the images, the weights and
    /// the JSON files the parity tests compare against.
    struct DetectorExport {
        var dir: URL
        var targets: [[String: Any]]
        var detections: [[String: Any]]
        var losses: [String: Double]
    }

    /// One reference export per key and test run: a model's detections, masks and losses tests read the same
    /// export instead of running Python again (it is the slow part). The exports live in this process's folder,
    /// removed by the next run (whose process id differs) along with any other run's that is no longer alive.
    static func exportDetectorOnce(_ key: String, _ export: () throws -> DetectorExport) throws -> DetectorExport {
        exportCache.lock.lock()
        defer { exportCache.lock.unlock() }
        if let cached = exportCache.exports[key] { return cached }
        if exportCache.exports.isEmpty { removeExportsOfEndedRuns() }
        let made = try export()
        exportCache.exports[key] = made
        return made
    }

    private final class ExportCache: @unchecked Sendable {
        let lock = NSLock()
        var exports: [String: DetectorExport] = [:]
    }
    private static let exportCache = ExportCache()
    static let exportRoot = FileManager.default.temporaryDirectory
        .appendingPathComponent("spool-reference-exports-\(ProcessInfo.processInfo.processIdentifier)")

    private static func removeExportsOfEndedRuns() {
        let tmp = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
        where name.hasPrefix("spool-reference-exports-") {
            guard let pid = Int32(name.dropFirst("spool-reference-exports-".count)),
                  pid != ProcessInfo.processInfo.processIdentifier, kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name))
        }
    }

    /// Runs `script` with `python` on `arguments(dir)` into a fresh folder and reads what it wrote there.
    static func exportDetector(python: String, script: String, name: String, under parent: URL = FileManager.default.temporaryDirectory,
                               arguments: (URL) -> [String],
                               environment: (URL) -> [String: String] = { _ in [:] }) throws -> DetectorExport {
        let dir = try temporaryDirectory(name, under: parent)
        try run(python, [referenceScripts.appendingPathComponent(script).path] + arguments(dir), environment: environment(dir))
        func json(_ file: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(file))) }
        return DetectorExport(dir: dir, targets: try json("targets.json") as? [[String: Any]] ?? [],
                              detections: try json("detections.json") as? [[String: Any]] ?? [],
                              losses: try json("losses.json") as? [String: Double] ?? [:])
    }

    /// Reads one float32 tensor from a safetensors file (the reference's inputs and logits).
    static func readFloatTensor(_ url: URL, key: String) throws -> (values: [Float], shape: [Int]) {
        let data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        guard let entry = header[key] as? [String: Any], entry["dtype"] as? String == "F32",
              let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int] else {
            throw TestFailure("\(url.path): no float32 tensor '\(key)'")
        }
        let start = 8 + headerLength + offsets[0], end = 8 + headerLength + offsets[1]
        let values = data.subdata(in: start..<end).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (values, shape)
    }

    /// Random normal values, seeded.
    static func randomInput(count: Int, seed: UInt64) -> [Float] {
        var state = seed
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        return (0..<count).map { _ in Float((-2 * log(max(next(), 1e-12))).squareRoot() * cos(2 * .pi * next())) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
