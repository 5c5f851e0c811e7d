/// Why a training or prediction could not run: what, where, and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case bundle(String)
    case modelFolder(String)
    case weights(String)
    case data(String)
    /// A data-parallel run's processes could not join or lost one another.
    case dataParallel(String)

    public var description: String {
        switch self {
        case .bundle(let m), .modelFolder(let m), .weights(let m), .data(let m), .dataParallel(let m): m
        }
    }
}
