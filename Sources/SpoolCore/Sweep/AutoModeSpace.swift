import Foundation

/// The space Spool sweeps when `max_trials > 1` and the settings give no `search_space` (Azure's AutoMode).
///
/// Convolutional models only, from the fastest up: they train from scratch or from a local checkpoint
/// within a CPU or single-GPU budget, where ViTs need pretraining and 224 px crops to compete. Two
/// branches, because a good learning rate depends on the optimizer: SGD with momentum around Azure's
/// default 0.01, AdamW an order of magnitude lower. Parameters fixed in `training_parameters` stay fixed:
/// they are left out of the space. Documented in docs/sweeps.md.
public enum AutoModeSpace {
    /// The classification models (ModelCatalog's AutoMode choices).
    public static var models: [String] { ModelCatalog.autoModeModels(for: .imageClassification).map(\.rawValue) }

    public static func space(for task: ImageTask, fixing fixed: Set<String> = []) -> SearchSpace {
        let models = Distribution.choice(ModelCatalog.autoModeModels(for: task).map { SettingValue.string($0.rawValue) })
        let sgd: [String: Distribution] = [
            "model_name": models, "optimizer": .choice(["sgd"]),
            "learning_rate": .loguniform(min: Foundation.log(0.003), max: Foundation.log(0.1)),
        ]
        let adamw: [String: Distribution] = [
            "model_name": models, "optimizer": .choice(["adamw"]),
            "learning_rate": .loguniform(min: Foundation.log(0.0001), max: Foundation.log(0.003)),
        ]
        let canonicalFixed = Set(fixed.map(ParameterTable.canonicalName))
        let branches = [sgd, adamw].enumerated().map { index, parameters in
            SearchBranch(index: index, parameters: parameters.filter { !canonicalFixed.contains($0.key) },
                         keyPath: "AutoMode branch \(index)")
        }
        return SearchSpace(branches: branches)
    }
}
