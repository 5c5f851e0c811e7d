/// Why a training or prediction could not run: what, where, and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case bundle(String)
    case modelFolder(String)
    case weights(String)
    case data(String)

    public var description: String {
        switch self {
        case .bundle(let m), .modelFolder(let m), .weights(let m), .data(let m): m
        }
    }
}
