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
        #expect(ModelCatalog.models(for: .imageClassification).map(\.rawValue) == [
            "mobilenetv2", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnest50", "resnest101",
            "seresnext", "vits16r224", "vitb16r224", "vitl16r224",
        ])
        #expect(ModelCatalog.models(for: .imageObjectDetection).map(\.rawValue) == [
            "fasterrcnn_resnet18_fpn", "fasterrcnn_resnet34_fpn", "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet101_fpn",
            "fasterrcnn_resnet152_fpn", "fasterrcnn_mobilenet_v3_large_fpn", "retinanet_resnet50_fpn", "fcos_resnet50_fpn",
            "yolov5",
        ])
        #expect(ModelCatalog.models(for: .imageInstanceSegmentation).map(\.rawValue) == [
            "maskrcnn_resnet18_fpn", "maskrcnn_resnet34_fpn", "maskrcnn_resnet50_fpn", "maskrcnn_resnet101_fpn",
            "maskrcnn_resnet152_fpn",
        ])
        #expect(ModelCatalog.entries.map(\.name) == ModelName.allCases)
        #expect(ModelName.defaultModel == .vitb16r224)
        #expect(ModelName.allCases.filter(\.isViT) == [.vits16r224, .vitb16r224, .vitl16r224])
        #expect(ModelName(settingsValue: " SeResNeXt ") == .seresnext)
    }

    @Test func freezableLayerGroupsFollowSectionFive() {
        #expect(ModelName.resnet50.freezableLayerGroupCount == 5)
        #expect(ModelName.mobilenetv2.freezableLayerGroupCount == 19)
        #expect(ModelName.seresnext.freezableLayerGroupCount == 5)
        #expect(ModelName.vitb16r224.freezableLayerGroupCount == 13)
        #expect(ModelName.vitl16r224.freezableLayerGroupCount == 25)
    }
}
