import Foundation

/// The classification architectures of spec section 4, named by their `model_name` value.
public enum ClassificationModel: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case mobilenetv2
    case resnet18
    case resnet34
    case resnet50
    case resnet101
    case resnet152
    case resnest50
    case resnest101
    case seresnext
    /// ViT-S/16 at 224 (timm reference).
    case vits16r224
    /// ViT-B/16 at 224 (torchvision reference); Azure's default classification model.
    case vitb16r224
    /// ViT-L/16 at 224 (torchvision reference).
    case vitl16r224

    public static let defaultModel: ClassificationModel = .vitb16r224

    /// Reads a `model_name` value, ignoring case and surrounding blanks.
    public init?(settingsValue: String) {
        self.init(rawValue: settingsValue.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Vision transformers: their defaults differ, and their validation crop must equal the training crop.
    public var isViT: Bool {
        switch self {
        case .vits16r224, .vitb16r224, .vitl16r224: true
        default: false
        }
    }

    /// How many layer groups `layers_to_freeze` can freeze (the lists of spec section 5: resnet and
    /// resnest 5, mobilenetv2 19, seresnext 5, vit 13 = `patch_embed` + 12 blocks).
    public var freezableLayerGroupCount: Int {
        switch self {
        case .mobilenetv2: 19
        case .resnet18, .resnet34, .resnet50, .resnet101, .resnet152, .resnest50, .resnest101: 5
        case .seresnext: 5
        case .vits16r224, .vitb16r224: 13  // patch embedding, then 12 blocks
        case .vitl16r224: 25               // patch embedding, then 24 blocks
        }
    }

    public var description: String { rawValue }
}
