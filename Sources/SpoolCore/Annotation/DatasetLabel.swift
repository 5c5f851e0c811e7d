/// The annotation of one image, by task: the one label type training, evaluation and validation read.
public enum DatasetLabel: Sendable, Hashable, Codable {
    /// Multiclass: exactly one class.
    case single(String)
    /// Multilabel: any number of classes, none included (duplicates removed, order kept).
    case multiple([String])
    /// Object detection (boxes) and instance segmentation (polygons): any number of objects, none included.
    case objects([ImageObject])

    /// The class names the label mentions (an object's class once per object).
    public var classNames: [String] {
        switch self {
        case let .single(name): [name]
        case let .multiple(names): names
        case let .objects(objects): objects.map(\.label)
        }
    }

    public var objects: [ImageObject] {
        if case let .objects(objects) = self { return objects }
        return []
    }
}
