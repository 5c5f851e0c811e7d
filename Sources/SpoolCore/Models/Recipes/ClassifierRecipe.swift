/// Classifiers (torchvision's and timm's): crops, Azure's per-model batch sizes and learning rates (section
/// 5's ViT rows), ImageNet weights.
public struct ClassifierRecipe: ModelRecipe {
    public var family: ModelFamily { .classifier }
    public var parameterScopes: Set<ParameterTable.Scope> { [] }
    /// Vision transformers: 16 (their patches); nil for the convolutional classifiers.
    public let patchSize: Int?

    public init(patchSize: Int? = nil) { self.patchSize = patchSize }

    public func applyDefaults(to p: inout TrainingParameters, task: ImageTask) {
        let multilabel = task == .imageClassificationMultilabel
        switch p.modelName {
        case .vits16r224: p.trainingBatchSize = 128; p.learningRate = multilabel ? 0.025 : 0.0125
        case .vitb16r224: p.trainingBatchSize = 48; p.learningRate = multilabel ? 0.025 : 0.0125
        case .vitl16r224: p.trainingBatchSize = 10; p.learningRate = multilabel ? 0.002 : 0.001
        default: break
        }
        p.validationBatchSize = p.trainingBatchSize
    }

    public func input(_ p: TrainingParameters) -> ModelInput {
        .crop(train: p.trainCropSize, resize: p.validResizeSize, valid: p.validCropSize)
    }
}
