import ArgumentParser
import Foundation
import SpoolArguments
import SpoolTraining

struct ExampleCommand: ParsableCommand {
    static let configuration = ExampleArguments.configuration
    @OptionGroup var arguments: ExampleArguments

    func run() throws {
        try OutputPath.claimFolder(arguments.out, force: arguments.force)
        let formats = arguments.formats.split(separator: ",").map(String.init)
        if arguments.task != "classification" {
            var shapes = ShapesDetectionDataset()
            shapes.images = arguments.images
            shapes.size = arguments.size ?? 128
            shapes.segmentation = arguments.task == "segmentation"
            shapes.seed = arguments.seed
            shapes.formats = formats
            let out = URL(fileURLWithPath: arguments.out)
            let count = try shapes.write(to: out)
            print("wrote \(count) images with their \(shapes.segmentation ? "polygons" : "boxes"), train.jsonl and settings.yaml to \(out.path)")
            return
        }
        var shapes = ShapesDataset()
        shapes.imagesPerClass = arguments.perClass
        shapes.size = arguments.size ?? 48
        shapes.multilabel = arguments.multilabel
        shapes.seed = arguments.seed
        shapes.formats = formats
        let out = URL(fileURLWithPath: arguments.out)
        let count = try shapes.write(to: out)
        print("wrote \(count) images, train.jsonl and settings.yaml to \(out.path)")
    }
}
