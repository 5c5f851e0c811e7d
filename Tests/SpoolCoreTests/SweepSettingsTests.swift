import Foundation
import Testing
@testable import SpoolCore

private func failure(_ text: String) -> SettingsError? {
    do {
        _ = try JobSettings.parse(text, file: "settings.yaml")
        return nil
    } catch {
        return error
    }
}

@Suite struct SweepSettingsTests {
    @Test func everyPolicyWithItsSchedule() throws {
        func policy(_ yaml: String) throws -> EarlyTerminationSettings? {
            try JobSettings.parse("task: image_classification\nsweep:\n  early_termination: \(yaml)\n").sweep.earlyTermination
        }
        #expect(try policy("{type: bandit, slack_amount: 0.05}")
            == .bandit(slackFactor: nil, slackAmount: 0.05, schedule: PolicySchedule()))
        #expect(try policy("{type: median_stopping, evaluation_interval: 1, delay_evaluation: 5}")
            == .medianStopping(schedule: PolicySchedule(evaluationInterval: 1, delayEvaluation: 5)))
        #expect(try policy("{type: truncation_selection, truncation_percentage: 20, exclude_finished_jobs: true}")
            == .truncationSelection(percentage: 20, excludeFinishedJobs: true, schedule: PolicySchedule()))
        #expect(try policy("{type: successive_halving, reduction_factor: 2}")
            == .successiveHalving(minResource: 1, reductionFactor: 2, schedule: PolicySchedule()))
        #expect(try policy("{type: BanditPolicy, slack_factor: 0.1}")
            == .bandit(slackFactor: 0.1, slackAmount: nil, schedule: PolicySchedule()))
    }

    @Test(arguments: [
        ("{type: bandit}", "sweep.early_termination", "needs slack_factor"),
        ("{type: bandit, slack_factor: 0.1, slack_amount: 0.1}", "sweep.early_termination", "not both"),
        ("{type: bandit, slack_factor: -1}", "sweep.early_termination.slack_factor", "> 0"),
        ("{type: truncation_selection}", "sweep.early_termination", "needs truncation_percentage"),
        ("{type: truncation_selection, truncation_percentage: 100}", "sweep.early_termination.truncation_percentage", "[1, 99]"),
        ("{type: median_stopping, evaluation_interval: 0}", "sweep.early_termination.evaluation_interval", "[1, 100000]"),
        ("{type: median_stopping, slack_factor: 0.2}", "sweep.early_termination.slack_factor", "unknown setting for median_stopping"),
        ("{type: hyperband}", "sweep.early_termination.type", "must be one of"),
    ])
    func policyProblems(yaml: String, key: String, message: String) throws {
        let error = try #require(failure("task: image_classification\nsweep:\n  early_termination: \(yaml)\n"))
        #expect(error.problems.map(\.key) == [key])
        #expect(error.problems[0].message.contains(message), "\(error.problems[0].message)")
        #expect(error.problems[0].location?.line != nil)
    }

    @Test func v1FormWithBranchesUnderModel() throws {
        let settings = try JobSettings.parse("""
            task: image_classification
            hyperparameter_sampling:
              sampling_algorithm: Bayesian
              parameter_space:
                number_of_epochs: "choice(2, 3)"
                model:
                  - {model_name: "choice('resnet18')", learning_rate: "uniform(0.001, 0.01)"}
                  - {model_name: "choice('mobilenetv2')", optimizer: "choice('adam', 'adamw')"}
            early_termination_policy: {type: MedianStoppingPolicy, delay_evaluation: 2}
            """)
        #expect(settings.sweep.samplingAlgorithm == .bayesian)
        #expect(settings.sweep.earlyTermination == .medianStopping(schedule: PolicySchedule(delayEvaluation: 2)))
        let branches = try #require(settings.sweep.searchSpace?.branches)
        #expect(branches.map(\.names) == [
            ["learning_rate", "model_name", "number_of_epochs"], ["model_name", "number_of_epochs", "optimizer"],
        ])
        #expect(branches[1].parameters["optimizer"] == .choice(["adam", "adamw"]))
    }

    /// Values a branch can give are checked as the training parameters they become, naming branch and key.
    @Test func spacesAreCheckedAgainstTheTaskAndModel() throws {
        let error = try #require(failure("""
            task: image_classification
            search_space:
              - model_name: "choice('resnet18', 'resnet19')"
                learning_rate: "uniform(0.001, 1.5)"
              - model_name: {type: choice, values: [mobilenetv2]}
                box_score_threshold: "uniform(0.1, 0.5)"
                optimizer: "choice('sgd', 'rmsprop')"
            """))
        let byKey = Dictionary(grouping: error.problems, by: \.key)
        #expect(byKey["search_space[0].model_name"]?.first?.message.contains("resnet19") == true
            || byKey["search_space[0].model_name"]?.first?.value == "resnet19")
        #expect(byKey["search_space[0].learning_rate"]?.first?.value == 1.5)
        #expect(byKey["search_space[1].box_score_threshold"] != nil)
        #expect(byKey["search_space[1].optimizer"]?.first?.value == "rmsprop")
        #expect(error.problems.allSatisfy { $0.location?.line != nil })
        #expect(error.problems.first { $0.key == "search_space[0].learning_rate" }?.location?.line == 4)
    }

    @Test func gridTakesChoiceOnly() throws {
        let error = try #require(failure("""
            task: image_classification
            sweep: {sampling_algorithm: grid}
            search_space:
              - learning_rate: "uniform(0.001, 0.01)"
                optimizer: "choice('sgd', 'adam')"
            """))
        #expect(error.problems.map(\.key) == ["search_space[0].learning_rate"])
        #expect(error.problems[0].message.contains("grid sampling takes choice only"))
    }

    @Test func twoFormsAtOnceAreRefused() throws {
        let error = try #require(failure("""
            task: image_classification
            search_space: [{learning_rate: "uniform(0.001, 0.01)"}]
            hyperparameter_sampling: {parameter_space: {optimizer: "choice('sgd')"}}
            """))
        #expect(error.problems.map(\.key) == ["hyperparameter_sampling"])
    }

    @Test func autoModeWhenManyTrialsAndNoSpace() throws {
        let settings = try JobSettings.parse("""
            task: image_classification
            limits: {max_trials: 4}
            training_parameters: {model_name: resnet18}
            """)
        let space = try #require(settings.effectiveSearchSpace)
        #expect(space.branches.count == 2)
        // The user's fixed model stays fixed.
        #expect(space.parameterNames == ["learning_rate", "optimizer"])
        // Every value AutoMode can give is a valid parameter.
        #expect(SearchSpaceValidator.problems(of: AutoModeSpace.space(for: .imageClassificationMultilabel), task: .imageClassificationMultilabel,
                                              fixed: [], location: { _ in SettingsLocation(file: "x") }).isEmpty)
        let single = try JobSettings.parse("task: image_classification\n")
        #expect(single.effectiveSearchSpace == nil)
    }
}
