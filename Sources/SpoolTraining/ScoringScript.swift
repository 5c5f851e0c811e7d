import Foundation
import SpoolCore

/// `score.py` and its `spool_scoring` package, written into every model folder Spool publishes (beside
/// `model.json` and `weights.safetensors`), in the shape of Azure ML's AutoML for images scoring file: an
/// editable `model_settings` dict, `init()` that loads the model and `run(raw_image_bytes)` that returns Azure's
/// JSON. The Python lives as real files in `Sources/SpoolTraining/Resources/scoring` (linted and unit-tested
/// there) and ships in the build's resource folder beside the executables. See docs/scoring.md.
public enum ScoringScript {
    public static let fileName = "score.py"
    public static let packageName = "spool_scoring"

    /// The folder holding `score.py` and `spool_scoring/`: `SPOOL_RESOURCES/scoring` when set, else the resource
    /// folder SwiftPM builds beside the executables (`spool_SpoolTraining.resources`).
    public static func sourceFolder(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        var candidates: [URL] = []
        if let given = environment["SPOOL_RESOURCES"], !given.isEmpty {
            candidates.append(URL(fileURLWithPath: given).appendingPathComponent("scoring"))
        }
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        for dir in [executable.deletingLastPathComponent(), Bundle.main.bundleURL] {
            candidates.append(dir.appendingPathComponent("spool_SpoolTraining.resources/scoring"))
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent(fileName).path) }) {
            return found
        }
        throw TrainingError.modelFolder("score.py was not found (looked in \(candidates.map(\.path).joined(separator: ", "))); "
            + "keep spool_SpoolTraining.resources beside spool-trainer, or set SPOOL_RESOURCES to a folder holding scoring/")
    }

    /// Writes `score.py` and `spool_scoring/` into a model folder (replacing older ones).
    public static func write(into modelDirectory: URL) throws {
        let fm = FileManager.default
        let source = try sourceFolder()
        let script = modelDirectory.appendingPathComponent(fileName)
        let package = modelDirectory.appendingPathComponent(packageName)
        try? fm.removeItem(at: script)
        try? fm.removeItem(at: package)
        try fm.copyItem(at: source.appendingPathComponent(fileName), to: script)
        try fm.createDirectory(at: package, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.appendingPathComponent(packageName).path).sorted()
        where name.hasSuffix(".py") {
            try fm.copyItem(at: source.appendingPathComponent(packageName).appendingPathComponent(name),
                            to: package.appendingPathComponent(name))
        }
    }
}
