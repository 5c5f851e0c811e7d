import ArgumentParser
import SpoolCore

/// `--box-score-thresh`, `--box-iou-thresh`, `--max-detections`: a detector's inference settings for one command,
/// in place of model.json's `box_score_thresh`, `box_nms_thresh` (yolov5's `box_iou_thresh`) and
/// `box_detections_per_img` (Azure's names), without editing the model folder.
public struct DetectionThresholdOptions: ParsableArguments {
    @Option(name: .customLong("box-score-thresh"), help: ArgumentHelp(
        "Detection: keep boxes scoring at least this, 0 to 1. Default: model.json's box_score_thresh.", valueName: "SCORE"))
    public var boxScoreThresh: Double?

    @Option(name: .customLong("box-iou-thresh"), help: ArgumentHelp(
        "Detection: non-maximum suppression drops a box overlapping a better one by more than this IoU, 0 to 1. Default: model.json's box_nms_thresh.",
        valueName: "IOU"))
    public var boxIoUThresh: Double?

    @Option(name: .customLong("max-detections"), help: ArgumentHelp(
        "Detection: at most this many boxes per image, at least 1. Default: model.json's box_detections_per_img.", valueName: "N"))
    public var maxDetections: Int?

    public init() {}

    /// The options given, as typed: what an error about them names.
    public var given: [String] {
        [boxScoreThresh.map { "--box-score-thresh \($0)" }, boxIoUThresh.map { "--box-iou-thresh \($0)" },
         maxDetections.map { "--max-detections \($0)" }].compactMap { $0 }
    }

    public var isEmpty: Bool { given.isEmpty }

    public func validate() throws {
        if let boxScoreThresh, !(0...1).contains(boxScoreThresh) {
            throw ValidationError("--box-score-thresh \(boxScoreThresh): a score threshold is between 0 and 1 (model.json's box_score_thresh)")
        }
        if let boxIoUThresh, !(0...1).contains(boxIoUThresh) {
            throw ValidationError("--box-iou-thresh \(boxIoUThresh): an IoU threshold is between 0 and 1 (model.json's box_nms_thresh)")
        }
        if let maxDetections, maxDetections < 1 {
            throw ValidationError("--max-detections \(maxDetections): at least 1 box per image (model.json's box_detections_per_img)")
        }
    }

    /// A detector's settings with these in place.
    public func applied(to settings: ModelManifest.DetectionSettings) -> ModelManifest.DetectionSettings {
        var s = settings
        if let boxScoreThresh { s.boxScoreThresh = boxScoreThresh }
        if let boxIoUThresh { s.boxNMSThresh = boxIoUThresh }
        if let maxDetections { s.boxDetectionsPerImg = maxDetections }
        return s
    }

    /// Training parameters with these in place (evaluating on a bundle filters detections by its box_score_thresh).
    public func applied(to parameters: TrainingParameters) -> TrainingParameters {
        var p = parameters
        if let boxScoreThresh { p.boxScoreThresh = boxScoreThresh }
        if let boxIoUThresh {
            p.boxNMSThresh = boxIoUThresh
            p.boxIoUThresh = boxIoUThresh
        }
        if let maxDetections { p.boxDetectionsPerImg = maxDetections }
        return p
    }
}
