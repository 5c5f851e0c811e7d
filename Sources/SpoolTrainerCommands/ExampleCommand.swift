import ArgumentParser
import Foundation
import SpoolCommands
import SpoolTraining

struct ExampleCommand: ParsableCommand {
    static let configuration = ExampleArguments.configuration
    @OptionGroup var arguments: ExampleArguments

    func run() throws {
        var shapes = ShapesDataset()
        shapes.imagesPerClass = arguments.perClass
        shapes.size = arguments.size
        shapes.multilabel = arguments.multilabel
        shapes.seed = arguments.seed
        shapes.formats = arguments.formats.split(separator: ",").map(String.init)
        let out = URL(fileURLWithPath: arguments.out)
        let count = try shapes.write(to: out)
        print("wrote \(count) images, train.jsonl and settings.yaml to \(out.path)")
    }
}
