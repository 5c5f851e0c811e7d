/// torchvision's detectors, two-stage (Faster R-CNN, Mask R-CNN) and one-stage dense (RetinaNet, FCOS):
/// torchvision's resize transform (min_size, max_size), batch 2 and learning rate 0.005 (section 5), one image
/// a validation batch, the 91 COCO outputs of torchvision's weights.
public struct TorchvisionDetectorRecipe: ModelRecipe {
    public var family: ModelFamily
    public var backgroundSlot: BackgroundSlot

    public init(_ family: ModelFamily, backgroundSlot: BackgroundSlot) {
        self.family = family
        self.backgroundSlot = backgroundSlot
    }

    public var parameterScopes: Set<ParameterTable.Scope> { [.rcnn] }

    public func applyDefaults(to p: inout TrainingParameters, task: ImageTask) {
        p.trainingBatchSize = 2
        p.learningRate = 0.005
        p.validationBatchSize = 1
    }

    public func input(_ p: TrainingParameters) -> ModelInput {
        .resize(minSize: p.minSize, maxSize: p.maxSize)
    }
}
