/// Ultralytics' YOLOv5 (v7.0): four sizes behind one catalogue name (`model_size`: yolov5s ... yolov5x),
/// letterboxed inputs at `img_size`, its own NMS key (`box_iou_thresh`), and Ultralytics' training recipe on
/// Azure's optimiser settings: warm-up, accumulation to `nominal_batch_size` images, a weight average.
public struct YOLORecipe: ModelRecipe {
    public var family: ModelFamily { .yolo }
    public var parameterScopes: Set<ParameterTable.Scope> { [.yolo] }

    public func applyDefaults(to p: inout TrainingParameters, task: ImageTask) {
        p.trainingBatchSize = 16
        p.validationBatchSize = 16
        p.learningRate = 0.01
        p.numberOfEpochs = 30
        p.boxScoreThresh = 0.1
    }

    public func engineModels(of model: ModelName) -> [String] {
        TrainingParameters.ModelSize.allCases.map { model.rawValue + $0.letter }
    }

    public func engineModelName(_ p: TrainingParameters) -> String {
        p.modelName.rawValue + p.modelSize.letter
    }

    public func parameters(forEngineModel name: String, model: ModelName, task: ImageTask) -> TrainingParameters? {
        guard let size = TrainingParameters.ModelSize.allCases.first(where: { model.rawValue + $0.letter == name.lowercased() })
        else { return nil }
        var p = TrainingParameters.defaults(task: task, model: model)
        p.modelSize = size
        return p
    }

    public var nmsThresholdKey: String { "box_iou_thresh" }

    public func input(_ p: TrainingParameters) -> ModelInput {
        .letterbox(side: p.imgSize, multiScale: p.multiScale)
    }

    /// Warm-up over max(warm-up epochs, 100 batches), at most a third of the run; the average decays at
    /// 0.9999 (Ultralytics' ModelEMA, its decay ramping up over the first updates in the engine).
    public func trainingSchedule(_ p: TrainingParameters, stepsPerEpoch: Int) -> TrainingSchedule? {
        let total = stepsPerEpoch * p.numberOfEpochs
        return TrainingSchedule(warmupIterations: min(max(p.warmupCosineLRWarmupEpochs * stepsPerEpoch, 100), total / 3),
                                nominalBatchSize: p.nominalBatchSize, emaDecay: 0.9999, ultralyticsOptimizer: true)
    }

    public var fitsAnchorsToData: Bool { true }

    /// Ultralytics' 80 contiguous COCO categories.
    public var cocoClasses: [String] { COCOCategories.names.filter { $0 != "__background__" && $0 != "N/A" } }
}
