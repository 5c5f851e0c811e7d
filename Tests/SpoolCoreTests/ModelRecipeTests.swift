import Foundation
import SpoolCore
import Testing

/// A model family's behaviour lives in its recipe: every catalogue row names a family with a recipe, the
/// recipes give section 5's per-model defaults, and no code outside the catalogue and the recipes asks which
/// model it has.
struct ModelRecipeTests {
    @Test func everyCatalogueFamilyHasARecipeOfItsTasks() {
        for entry in ModelCatalog.entries {
            #expect(ModelCatalog.recipes[entry.family] != nil, "\(entry.name): family \(entry.family) has no line in ModelCatalog.recipes")
            guard ModelCatalog.recipes[entry.family] != nil else { continue }
            let meta = entry.metaArchitecture
            #expect((meta == .classifier) == (entry.tasks == .classification), "\(entry.name) is a \(meta) for \(entry.tasks)")
        }
        #expect(Set(ModelCatalog.recipes.keys) == Set(ModelCatalog.entries.map(\.family)), "a recipe line no catalogue row uses")
    }

    @Test func familiesGiveSectionFivesDefaults() {
        let yolo = TrainingParameters.defaults(task: .imageObjectDetection, model: .yolov5)
        #expect([yolo.trainingBatchSize, yolo.validationBatchSize, yolo.numberOfEpochs] as [Int] == [16, 16, 30])
        #expect(yolo.learningRate == 0.01 && yolo.boxScoreThresh == 0.1)
        let rcnn = TrainingParameters.defaults(task: .imageInstanceSegmentation, model: .maskrcnnResnet50FPN)
        #expect([rcnn.trainingBatchSize, rcnn.validationBatchSize, rcnn.numberOfEpochs] as [Int] == [2, 1, 15])
        #expect(rcnn.learningRate == 0.005 && rcnn.boxScoreThresh == 0.3)
        let vit = TrainingParameters.defaults(task: .imageClassificationMultilabel, model: .vitl16r224)
        #expect([vit.trainingBatchSize, vit.validationBatchSize] as [Int] == [10, 10] && vit.learningRate == 0.002)
        let resnet = TrainingParameters.defaults(task: .imageClassification, model: .resnet50)
        #expect([resnet.trainingBatchSize, resnet.validationBatchSize] as [Int] == [78, 78] && resnet.learningRate == 0.01)
    }

    @Test func sizedFamiliesNameEachSizeByItsEngineModel() throws {
        #expect(ModelCatalog.entry(.yolov5).engineModels == ["yolov5s", "yolov5m", "yolov5l", "yolov5x"])
        let large = try #require(ModelCatalog.engineModel(named: " YOLOv5L "))
        #expect(large.model == .yolov5 && large.parameters.modelSize == .large)
        #expect(large.parameters.engineModelName == "yolov5l")
        #expect(ModelCatalog.engineModel(named: "yolov5")?.model == nil, "the family alone names no size")
        #expect(ModelCatalog.engineModel(named: "resnet18")?.model == .resnet18)
        #expect(ModelCatalog.engineModel(named: "resnet19")?.model == nil)
        #expect(ModelCatalog.engineModelNames.contains("yolov5x") && !ModelCatalog.engineModelNames.contains("yolov5"))
    }

    @Test func inputsAndInferenceSettingsComeFromTheRecipe() {
        var yolo = TrainingParameters.defaults(task: .imageObjectDetection, model: .yolov5)
        yolo.imgSize = 320
        yolo.boxIoUThresh = 0.6
        #expect(yolo.modelName.recipe.input(yolo) == .letterbox(side: 320, multiScale: false))
        let settings = ModelManifest.DetectionSettings(yolo, segmentation: false)
        #expect(settings.imgSize == 320 && settings.modelSize == "medium" && settings.boxNMSThresh == 0.6)
        let rcnn = TrainingParameters.defaults(task: .imageObjectDetection, model: .fasterrcnnResnet18FPN)
        #expect(rcnn.modelName.recipe.input(rcnn) == .resize(minSize: rcnn.minSize, maxSize: rcnn.maxSize))
        let plain = ModelManifest.DetectionSettings(rcnn, segmentation: false)
        #expect(plain.imgSize == nil && plain.modelSize == nil && plain.boxNMSThresh == rcnn.boxNMSThresh)
        #expect(ModelName.yolov5.recipe.trainingSchedule(yolo, stepsPerEpoch: 10)
            == TrainingSchedule(warmupIterations: 100, nominalBatchSize: 64, emaDecay: 0.9999, ultralyticsOptimizer: true))
        #expect(rcnn.modelName.recipe.trainingSchedule(rcnn, stepsPerEpoch: 10) == nil)
        #expect(COCOCategories.classes(for: .yolov5).count == 80)
        #expect(COCOCategories.classes(for: .retinanetResnet50FPN).count == 90)
        // A vision transformer's patch side is its recipe's, and decides the crop rules.
        #expect(ModelName.allCases.filter { $0.recipe.patchSize == 16 } == [.vits16r224, .vitb16r224, .vitl16r224])
        #expect(ModelName.allCases.allSatisfy { $0.recipe.patchSize == nil || $0.recipe.patchSize == 16 })
    }

    /// The issue's measure: nothing outside the catalogue and the recipes asks "is this YOLO?".
    @Test func noCodeOutsideTheRecipesAsksWhichModelItIs() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let allowed = ["Models/ModelCatalog.swift", "Models/Recipes/"]
        var offenders: [String] = []
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "swift" {
            if allowed.contains(where: { file.path.contains($0) }) { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.range(of: #"[=!]= \.yolov5\b|\.yolov5 [=!]="#, options: .regularExpression) != nil
                || line.contains("hasPrefix(\"retinanet\")") || line.contains("hasPrefix(\"yolov5\")")
                || line.range(of: #"family [=!]= ""#, options: .regularExpression) != nil {
                offenders.append("\(file.lastPathComponent):\(n + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(offenders.isEmpty, "family questions outside the recipes:\n\(offenders.joined(separator: "\n"))")
    }
}
