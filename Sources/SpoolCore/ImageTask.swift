import Foundation

/// The four AutoML image tasks (spec section 1), named by their v2 settings value.
public enum ImageTask: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case imageClassification = "image_classification"
    case imageClassificationMultilabel = "image_classification_multilabel"
    case imageObjectDetection = "image_object_detection"
    case imageInstanceSegmentation = "image_instance_segmentation"

    /// Reads a `task:` value: v2 `image_classification`, v1 `IMAGE_CLASSIFICATION`, and the v2 SDK's
    /// `ImageClassification` all name the same task (case and underscores are ignored).
    public init?(settingsValue: String) {
        let wanted = ImageTask.normalized(settingsValue)
        guard let task = ImageTask.allCases.first(where: { ImageTask.normalized($0.rawValue) == wanted }) else {
            return nil
        }
        self = task
    }

    /// The one primary metric Azure allows for the task.
    public var primaryMetric: String {
        switch self {
        case .imageClassification: "accuracy"
        case .imageClassificationMultilabel: "iou"
        case .imageObjectDetection, .imageInstanceSegmentation: "mean_average_precision"
        }
    }

    /// Multiclass or multilabel classification.
    public var isClassification: Bool {
        self == .imageClassification || self == .imageClassificationMultilabel
    }

    /// The v1 (SDK v1, upper-case) spelling.
    public var v1Name: String { rawValue.uppercased() }

    public var description: String { rawValue }

    private static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
    }
}
