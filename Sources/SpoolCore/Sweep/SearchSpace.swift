/// A sweep's search space: a list of branches (Azure's conditional spaces). A trial picks one branch and
/// draws each of that branch's parameters from its distribution.
public struct SearchSpace: Sendable, Hashable {
    public var branches: [SearchBranch]

    public init(branches: [SearchBranch]) {
        self.branches = branches
    }

    /// The names that vary in any branch, sorted (the columns of `trials.csv` and `status`).
    public var parameterNames: [String] {
        Array(Set(branches.flatMap { $0.parameters.keys })).sorted()
    }
}

/// One branch of a search space: parameter name -> distribution.
public struct SearchBranch: Sendable, Hashable {
    /// Its place in `search_space:` (0 for the first).
    public var index: Int
    public var parameters: [String: Distribution]
    /// How the branch is named in messages: `search_space[1]`.
    public var keyPath: String

    public init(index: Int, parameters: [String: Distribution], keyPath: String? = nil) {
        self.index = index
        self.parameters = parameters
        self.keyPath = keyPath ?? "search_space[\(index)]"
    }

    /// The parameter names in a stable order.
    public var names: [String] { parameters.keys.sorted() }
}

/// What a sampler proposes for one trial: the branch and a value for each of its parameters.
public struct Configuration: Sendable, Hashable {
    public var branch: Int
    public var values: [String: SettingValue]

    public init(branch: Int, values: [String: SettingValue]) {
        self.branch = branch
        self.values = values
    }

    /// `learning_rate=0.003 model_name=resnet18`, sorted by name.
    public var summary: String {
        values.keys.sorted().map { key in
            let value = values[key]!
            return "\(key)=\(value.stringValue ?? value.description)"
        }.joined(separator: " ")
    }
}
