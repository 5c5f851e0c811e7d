import Foundation


/// `model.json`: everything needed to use a model folder without the job that made it.
///
/// The folder holds `weights.safetensors` (the reference's state-dict names) beside this file. Format 2 adds
/// the reference architecture and, for detection and segmentation, the inference settings; a format 1
/// manifest (classification, before them) reads as it is.
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

    /// Inference settings a user may change without retraining (section 9), for detection and segmentation.
    public struct DetectionSettings: Codable, Sendable, Equatable {
        public var minSize: Int
        public var maxSize: Int
        public var boxScoreThresh: Double
        public var boxNMSThresh: Double
        public var boxDetectionsPerImg: Int
        public var tileGridSize: TrainingParameters.TileGrid?
        public var tileOverlapRatio: Double
        public var tilePredictionsNMSThresh: Double
        public var maskPixelScoreThreshold: Double?
        public var maxNumberOfPolygonPoints: Int?
        /// yolov5.
        public var imgSize: Int?
        public var modelSize: String?

        public init(_ p: TrainingParameters, segmentation: Bool) {
            minSize = p.minSize
            maxSize = p.maxSize
            boxScoreThresh = p.boxScoreThresh
            let recipe = p.modelName.recipe
            boxNMSThresh = recipe.nmsThreshold(p)
            boxDetectionsPerImg = p.boxDetectionsPerImg
            tileGridSize = p.tileGridSize
            tileOverlapRatio = p.tileOverlapRatio
            tilePredictionsNMSThresh = p.tilePredictionsNMSThresh
            maskPixelScoreThreshold = segmentation ? p.maskPixelScoreThreshold : nil
            maxNumberOfPolygonPoints = segmentation ? p.maxNumberOfPolygonPoints : nil
            if case .letterbox(let side, _) = recipe.input(p) { imgSize = side } else { imgSize = nil }
            modelSize = recipe.engineModels(of: p.modelName).count > 1 ? p.modelSize.rawValue : nil
        }

        enum CodingKeys: String, CodingKey {
            case minSize = "min_size", maxSize = "max_size", boxScoreThresh = "box_score_thresh"
            case boxNMSThresh = "box_nms_thresh", boxDetectionsPerImg = "box_detections_per_img"
            case tileGridSize = "tile_grid_size", tileOverlapRatio = "tile_overlap_ratio"
            case tilePredictionsNMSThresh = "tile_predictions_nms_thresh"
            case maskPixelScoreThreshold = "mask_pixel_score_threshold"
            case maxNumberOfPolygonPoints = "max_number_of_polygon_points", imgSize = "img_size", modelSize = "model_size"
        }
    }

    /// The reference implementation whose state-dict names the weights carry.
    public struct Architecture: Codable, Sendable, Equatable {
        public var library: String
        public var name: String
        /// The meta-architecture (`ModelFamily`: classifier, two_stage_rcnn, one_stage_dense, yolo), which tells
        /// score.py how the model's outputs read; absent in folders written before Spool recorded it.
        public var family: String?

        public init(library: String, name: String, family: String? = nil) {
            self.library = library
            self.name = name
            self.family = family
        }
    }

    public var formatVersion = 2
    public var task: ImageTask
    public var modelName: ModelName
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
    public var architecture: Architecture?
    public var detection: DetectionSettings?

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
        case primaryMetric = "primary_metric", createdAt = "created_at", source, architecture, detection
    }

    public init(task: ImageTask, modelName: ModelName, classes: [String], preprocessing: Preprocessing,
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
        let entry = modelName.catalogEntry
        self.architecture = Architecture(library: entry.library, name: entry.architecture,
                                         family: entry.metaArchitecture.rawValue)
    }

    public static let fileName = "model.json"

    /// The engine's name of the model (a size's own name where the family has sizes: yolov5s ... yolov5x).
    public var engineModelName: String {
        var p = TrainingParameters.defaults(task: task, model: modelName)
        if let size = detection?.modelSize.flatMap(TrainingParameters.ModelSize.init(rawValue:)) { p.modelSize = size }
        return modelName.recipe.engineModelName(p)
    }

    public static func read(from folder: URL) throws -> ModelManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.modelFolder("\(folder.path): no \(fileName) here; is this a Spool model folder (made by `spoolctl train` or `spoolctl import-model`)?")
        }
        do {
            return try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch {
            throw TrainingError.modelFolder("\(url.path): not a valid model manifest: \(ErrorText.describe(error))")
        }
    }

    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
