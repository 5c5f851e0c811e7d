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
        return try Predictor(modelDirectory: folder, manifest: manifest, device: device, batchSize: batchSize)
    }
}
