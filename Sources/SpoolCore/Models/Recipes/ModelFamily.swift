/// The meta-architectures Spool trains (detectron2's word), each with one recipe: how its models are
/// configured, fed, trained, scored and shipped. A catalogue row names its family; nothing else asks which
/// model it is.
public enum ModelFamily: String, Sendable, Codable, CaseIterable {
    /// An image classifier: backbone, pooling, one linear head (multiclass and multilabel).
    case classifier
    /// A two-stage R-CNN: backbone + FPN, region proposals, RoI heads (Faster R-CNN; Mask R-CNN's mask head).
    case twoStageRCNN = "two_stage_rcnn"
    /// A one-stage dense detector on torchvision's conventions: backbone + FPN and a head at every location
    /// (RetinaNet's anchors and focal loss; FCOS, anchor-free).
    case oneStageDense = "one_stage_dense"
    /// Ultralytics' YOLO: letterboxed inputs, mosaic augmentation, warm-up, a weight average, sizes by letter.
    case yolo
}
