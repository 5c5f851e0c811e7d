/// The `label` of a converted JSONL line, by task.
public enum ConvertedLabel: Sendable, Hashable {
    /// Multiclass classification: `"cat"`.
    case className(String)
    /// Object detection or instance segmentation: a list of objects, possibly empty.
    case objects([ImageObject])

    /// The class names the label mentions, in order, repeated as often as they occur.
    public var classNames: [String] {
        switch self {
        case let .className(name): [name]
        case let .objects(objects): objects.map(\.label)
        }
    }
}
