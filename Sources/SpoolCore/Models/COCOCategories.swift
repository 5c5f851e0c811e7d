/// torchvision's COCO category names for its COCO-trained detectors (`weights.meta["categories"]`): 91 entries
/// indexed by COCO category id, "__background__" at 0 and "N/A" for the ids COCO does not use. Every torchvision
/// detector's head has the background slot at 0 (Faster/Mask R-CNN's is their background class, RetinaNet's an
/// output never trained as a target, dropped on import): Spool's classes are the 90 names after it.
public enum COCOCategories {
    public static let names: [String] = [
        "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
        "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse",
        "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A", "backpack", "umbrella", "N/A", "N/A",
        "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat",
        "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork",
        "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza",
        "donut", "cake", "chair", "couch", "potted plant", "bed", "N/A", "dining table", "N/A", "N/A", "toilet",
        "N/A", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
        "refrigerator", "N/A", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    ]

    /// Spool's classes for a COCO-trained detector, as its family's reference numbers them: YOLOv5's 80
    /// contiguous categories; for torchvision's, the 90 names after the background slot.
    public static func classes(for model: ModelName) -> [String] {
        model.recipe.cocoClasses
    }
}
