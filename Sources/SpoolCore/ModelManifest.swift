import Foundation


/// `model.json`: everything needed to use a model folder without the job that made it.
///
/// The folder holds `weights.safetensors` (the reference's state-dict names) beside this file.
public struct ModelManifest: Codable, Sendable, Equatable {
    public struct Preprocessing: Codable, Sendable, Equatable {
        /// Validation and scoring: shorter side resized to this, then centre-cropped (section 8).
        public var validResizeSize: Int
        public var validCropSize: Int
        public var mean: [Float]
        public var std: [Float]

        public init(validResizeSize: Int, validCropSize: Int, mean: [Float], std: [Float]) {
            self.validResizeSize = validResizeSize
            self.validCropSize = validCropSize
            self.mean = mean
            self.std = std
        }

        enum CodingKeys: String, CodingKey {
            case validResizeSize = "valid_resize_size", validCropSize = "valid_crop_size", mean, std
        }
    }

    public var formatVersion = 1
    public var task: ImageTask
    public var modelName: ClassificationModel
    public var classes: [String]
    public var preprocessing: Preprocessing
    /// Image side the model was built for (ViT position embeddings).
    public var imageSize: Int
    /// Multilabel decision threshold on sigmoid scores.
    public var multilabelThreshold: Double?
    public var weightsFile = "weights.safetensors"
    public var primaryMetric: PrimaryMetric?
    public var createdAt: String?
    public var source: String?

    public struct PrimaryMetric: Codable, Sendable, Equatable {
        public var name: String
        public var value: Double
        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", task, modelName = "model_name", classes, preprocessing
        case imageSize = "image_size", multilabelThreshold = "multilabel_threshold", weightsFile = "weights_file"
        case primaryMetric = "primary_metric", createdAt = "created_at", source
    }

    public init(task: ImageTask, modelName: ClassificationModel, classes: [String], preprocessing: Preprocessing,
                imageSize: Int, primaryMetric: PrimaryMetric? = nil, source: String? = nil) {
        self.task = task
        self.modelName = modelName
        self.classes = classes
        self.preprocessing = preprocessing
        self.imageSize = imageSize
        self.multilabelThreshold = task == .imageClassificationMultilabel ? 0.5 : nil
        self.primaryMetric = primaryMetric
        self.source = source
        self.createdAt = ISO8601DateFormatter().string(from: Date())
    }

    public static let fileName = "model.json"

    public static func read(from folder: URL) throws -> ModelManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.modelFolder("\(folder.path): no \(fileName) here; is this a Spool model folder (made by `spoolctl train` or `spoolctl import-model`)?")
        }
        do {
            return try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch {
            throw TrainingError.modelFolder("\(url.path): not a valid model manifest: \(error)")
        }
    }

    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
