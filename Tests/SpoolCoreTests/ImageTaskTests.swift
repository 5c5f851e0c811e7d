import Testing
@testable import SpoolCore

@Suite struct ImageTaskTests {
    @Test(arguments: [
        ("image_classification", ImageTask.imageClassification),
        ("IMAGE_CLASSIFICATION", .imageClassification),
        ("ImageClassification", .imageClassification),
        ("image_classification_multilabel", .imageClassificationMultilabel),
        ("IMAGE_CLASSIFICATION_MULTILABEL", .imageClassificationMultilabel),
        ("image_object_detection", .imageObjectDetection),
        ("IMAGE_OBJECT_DETECTION", .imageObjectDetection),
        ("image_instance_segmentation", .imageInstanceSegmentation),
        ("IMAGE_INSTANCE_SEGMENTATION", .imageInstanceSegmentation),
    ])
    func readsBothSpellings(_ text: String, _ task: ImageTask) {
        #expect(ImageTask(settingsValue: text) == task)
    }

    @Test func refusesOtherNames() {
        #expect(ImageTask(settingsValue: "image_segmentation") == nil)
        #expect(ImageTask(settingsValue: "classification") == nil)
    }

    @Test func primaryMetrics() {
        #expect(ImageTask.imageClassification.primaryMetric == "accuracy")
        #expect(ImageTask.imageClassificationMultilabel.primaryMetric == "iou")
        #expect(ImageTask.imageObjectDetection.primaryMetric == "mean_average_precision")
        #expect(ImageTask.imageInstanceSegmentation.primaryMetric == "mean_average_precision")
        #expect(ImageTask.allCases.filter(\.isClassification) == [.imageClassification, .imageClassificationMultilabel])
        #expect(ImageTask.imageObjectDetection.v1Name == "IMAGE_OBJECT_DETECTION")
    }
}

@Suite struct ClassificationModelTests {
    @Test func theTwelveModelsOfSectionFour() {
        #expect(ClassificationModel.allCases.map(\.rawValue) == [
            "mobilenetv2", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnest50", "resnest101",
            "seresnext", "vits16r224", "vitb16r224", "vitl16r224",
        ])
        #expect(ClassificationModel.defaultModel == .vitb16r224)
        #expect(ClassificationModel.allCases.filter(\.isViT) == [.vits16r224, .vitb16r224, .vitl16r224])
        #expect(ClassificationModel(settingsValue: " SeResNeXt ") == .seresnext)
    }

    @Test func freezableLayerGroupsFollowSectionFive() {
        #expect(ClassificationModel.resnet50.freezableLayerGroupCount == 5)
        #expect(ClassificationModel.mobilenetv2.freezableLayerGroupCount == 19)
        #expect(ClassificationModel.seresnext.freezableLayerGroupCount == 5)
        #expect(ClassificationModel.vitb16r224.freezableLayerGroupCount == 13)
        #expect(ClassificationModel.vitl16r224.freezableLayerGroupCount == 25)
    }
}
