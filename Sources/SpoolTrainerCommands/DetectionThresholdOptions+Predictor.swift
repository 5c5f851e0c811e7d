import Foundation
import SpoolArguments
import SpoolCore
import SpoolTraining

extension DetectionThresholdOptions {
    /// A `Predictor` for the model folder with these thresholds in place of model.json's; the folder is not changed.
    ///
    /// - Throws: `CommandError` when thresholds are given for a classifier, which has none.
    func predictor(modelDirectory folder: URL, device: String, batchSize: Int = 16) throws -> Predictor {
        guard !isEmpty else { return try Predictor(modelDirectory: folder, device: device, batchSize: batchSize) }
        var manifest = try ModelManifest.read(from: folder)
        guard let detection = manifest.detection else {
            throw CommandError("\(given.joined(separator: ", ")): detection thresholds apply to object detection and instance "
                + "segmentation models; \(folder.path) is \(manifest.task.rawValue), which has none: leave \(given.count == 1 ? "it" : "them") out")
        }
        manifest.detection = applied(to: detection)
        let weights = folder.appendingPathComponent(manifest.weightsFile)
        // Predictor reads model.json from the folder it opens: a scratch folder holds the changed model.json and a
        // link to the weights, only while the model loads.
        guard FileManager.default.fileExists(atPath: weights.path) else {
            return try Predictor(modelDirectory: folder, device: device, batchSize: batchSize)  // its error names the folder
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spool-thresholds-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try manifest.write(to: scratch)
        try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent(manifest.weightsFile),
                                                   withDestinationURL: weights.resolvingSymlinksInPath())
        do {
            return try Predictor(modelDirectory: scratch, device: device, batchSize: batchSize)
        } catch {
            throw CommandError(ErrorText.describe(error).replacingOccurrences(of: scratch.path, with: folder.path))
        }
    }
}
