/// The annotation of one image, by task.
///
/// Object detection (a list of boxes) and instance segmentation (polygons) will be further cases;
/// only classification is read today.
public enum DatasetLabel: Sendable, Hashable, Codable {
    /// Multiclass: exactly one class.
    case single(String)
    /// Multilabel: any number of classes, none included (duplicates removed, order kept).
    case multiple([String])

    /// The class names the label mentions.
    public var classNames: [String] {
        switch self {
        case let .single(name): [name]
        case let .multiple(names): names
        }
    }
}
