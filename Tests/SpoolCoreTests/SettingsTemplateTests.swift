import Foundation
import Testing
@testable import SpoolCore

/// The settings.yaml that `spoolctl init-bundle` writes: read by the project's settings reader, every key of
/// the task present, and each commented default equal to the default it documents.
@Suite struct SettingsTemplateTests {
    @Test(arguments: ImageTask.allCases)
    func templateParsesWithTaskDataAndMetricSet(task: ImageTask) throws {
        let template = SettingsTemplate(task: task)
        let settings = try JobSettings.parse(template.text)
        #expect(settings.task == task)
        #expect(settings.primaryMetric == task.primaryMetric)
        #expect(settings.trainingDataPath == "train.jsonl")
        #expect(settings.trainingParameterValues.isEmpty)
        #expect(settings.limits == JobLimits())
        #expect(settings.sweep == SweepSettings())
        #expect(template.text.contains("primary_metric: \(task.primaryMetric)\n"))
    }

    @Test(arguments: ImageTask.allCases)
    func everyKeyOfTheTaskIsThereCommentedOutWithItsDescription(task: ImageTask) {
        let template = SettingsTemplate(task: task)
        let written = Set(template.keys.map(\.keyPath))
        let models = ModelCatalog.models(for: task)
        for row in ParameterTable.rows where models.contains(where: { row.scope.applies(task: task, model: $0) }) {
            #expect(written.contains("training_parameters.\(row.name)"), "\(task): \(row.name) is missing")
        }
        for key in ["validation_data", "limits.timeout_minutes", "limits.max_trials", "limits.max_concurrent_trials",
                    "limits.trial_timeout_minutes", "sweep.sampling_algorithm", "sweep.early_termination", "search_space"] {
            #expect(written.contains(key), "\(key)")
        }
        for key in template.keys {
            #expect(template.lines[key.line].trimmingCharacters(in: .whitespaces).hasPrefix("# "), "\(key.keyPath)")
        }
        // A parameter of another task is not offered.
        if task.isClassification {
            #expect(!written.contains("training_parameters.min_size"))
        } else {
            #expect(!written.contains("training_parameters.train_crop_size"))
        }
    }

    @Test func everyParameterHasADescription() {
        let names = Set(ParameterTable.rows.map(\.name))
        #expect(Set(ParameterTable.descriptions.keys) == names)
    }

    /// Uncommenting any one line as it stands (with the model it needs, where the task's default model does
    /// not take it) gives exactly the settings of the template as written: the comment is the default.
    @Test(arguments: ImageTask.allCases)
    func uncommentingAnyLineKeepsTheDefault(task: ImageTask) throws {
        let template = SettingsTemplate(task: task)
        let base = try JobSettings.parse(template.text)
        var checked = 0
        for key in template.keys {
            let text = template.uncommenting(key, model: key.model)
            let settings: JobSettings
            do {
                settings = try JobSettings.parse(text)
            } catch {
                Issue.record("\(task) \(key.keyPath): \(error)\n\(template.lines[key.line])")
                continue
            }
            #expect(settings.limits == base.limits, "\(key.keyPath)")
            #expect(settings.sweep == base.sweep, "\(key.keyPath)")
            #expect(settings.validationDataPath == nil, "\(key.keyPath)")
            let reference: TrainingParameters
            if let model = key.model {
                reference = try JobSettings.parse(template.uncommenting(template.keys.first {
                    $0.keyPath == "training_parameters.model_name" }!, model: model)).trainingParameters()
            } else {
                reference = try base.trainingParameters()
            }
            #expect(try settings.trainingParameters() == reference, "\(key.keyPath): \(template.lines[key.line])")
            if key.keyPath.hasPrefix("training_parameters.") {
                let name = String(key.keyPath.dropFirst("training_parameters.".count))
                #expect(settings.setsParameter(name), "\(key.keyPath) was not read from the uncommented line")
            }
            checked += 1
        }
        #expect(checked == template.keys.count)
        #expect(template.uncommenting(template.keys[0]) != template.text)
    }

    @Test func theDefaultsShownAreTheCodesDefaults() {
        let template = SettingsTemplate(task: .imageClassification)
        let defaults = TrainingParameters.defaults(task: .imageClassification)
        #expect(template.text.contains("  # model_name: \(defaults.modelName.rawValue) "))
        #expect(template.text.contains("  # learning_rate: \(defaults.learningRate) "))
        #expect(template.text.contains("  # number_of_epochs: \(defaults.numberOfEpochs) "))
        #expect(template.text.contains("  # early_stopping: 1 "))
        #expect(template.text.contains("  # timeout_minutes: \(JobLimits.defaultTimeoutMinutes) "))
        let detection = SettingsTemplate(task: .imageObjectDetection).text
        #expect(detection.contains("# min_size: 600"))
    }

    /// The document the template's model_name line sends a user to lists every model of the task, as the
    /// catalogue has them (detection and segmentation included, not only the classifiers).
    @Test(arguments: ImageTask.allCases)
    func theDocumentNamedForModelNameListsEveryModelOfTheTask(task: ImageTask) throws {
        let template = SettingsTemplate(task: task)
        let key = try #require(template.keys.first { $0.keyPath == "training_parameters.model_name" })
        let line = template.lines[key.line]
        let named = try #require(line.firstMatch(of: /docs\/[a-z_-]+\.md/).map { String($0.output) }, "\(line)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent(named), encoding: .utf8)
        for model in ModelCatalog.models(for: task) {
            #expect(document.contains("`\(model.rawValue)`"), "\(named) does not list \(model.rawValue) (\(task))")
        }
        for document in SettingsTemplate.documents(for: task) {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(document).path), "\(document)")
            #expect(template.text.contains(document))
        }
    }
}
