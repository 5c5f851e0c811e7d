import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore

extension Spoolctl {
    /// `spoolctl init-bundle SOURCE --out DIR`: a complete job bundle from a folder per class, COCO, VOC or labelme.
    /// The work is `BundleMaker`'s (SpoolCore/Convert).
    public struct InitBundle: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "init-bundle",
            abstract: "Make a job bundle (images/, train.jsonl, settings.yaml) from a folder per class, COCO, VOC or labelme.",
            discussion: """
            SOURCE is a folder holding one sub-folder of images per class (multiclass classification), a COCO \
            annotation file (.json: object detection, or instance segmentation when it has polygons), a \
            Pascal VOC folder or .xml file (object detection), or a folder of labelme .json files (one per image: \
            detection, or segmentation when it has polygons); --from names the kind when the guess is wrong. \
            The images are copied into DIR/images/ in the same layout (hard-linked with --link, copied where a \
            link is refused), train.jsonl is written by the converters of `spoolctl convert` with image_url \
            relative to the bundle, and settings.yaml holds the task, the data and the primary metric, every \
            other key commented out with its default.

            Then train it (`spoolctl train DIR --out runs/x`), check it (`spoolctl validate DIR`) or submit it \
            (`spoolctl submit DIR`). `spoolctl train` and `spoolctl submit` also take a folder per class \
            directly. See docs/converters.md.

            Examples:
              spoolctl init-bundle photos --out pets
              spoolctl init-bundle instances.json --images coco/val2017 --out b --link
              spoolctl init-bundle VOC2012 --out voc-bundle --link
              spoolctl init-bundle labelme-folder --out b --task detection
            """)

        /// `--from`.
        enum From: String, ExpressibleByArgument, CaseIterable {
            case folders, coco, voc, labelme
            var core: BundleMaker.SourceKind { BundleMaker.SourceKind(rawValue: rawValue)! }
        }

        /// `--task`.
        enum TaskOption: String, ExpressibleByArgument, CaseIterable {
            case multiclass, multilabel, detection, segmentation
            var core: BundleMaker.Task { BundleMaker.Task(rawValue: rawValue)! }
        }

        @Argument(help: "A folder per class, a COCO .json file, a VOC folder or .xml file, or a folder of labelme .json files.")
        var source: String
        @Option(help: "The bundle folder to write.")
        var out: String
        @Option(help: "What SOURCE is: folders, coco, voc or labelme (default: guessed from SOURCE).")
        var from: From?
        @Option(help: "multiclass (folders), detection or segmentation (COCO, labelme), detection (VOC).")
        var task: TaskOption?
        @Option(help: ArgumentHelp("Where COCO or VOC images are (default: beside the annotations; VOC's JPEGImages/).",
                                   valueName: "dir"))
        var images: String?
        @Flag(help: "Hard-link the images instead of copying them.")
        var link = false
        @Flag(help: "Replace --out if it exists and is a bundle.")
        var force = false
        public init() {}

        public func run() throws {
            let maker = BundleMaker(source: URL(fileURLWithPath: source), sourceName: source, kind: from?.core,
                                    task: task?.core, images: images.map { URL(fileURLWithPath: $0) },
                                    link: link, force: force)
            let outcome: BundleMaker.Outcome
            do {
                outcome = try maker.make(into: URL(fileURLWithPath: out), outName: out)
            } catch {
                throw CommandError(error.description)
            }
            if from == nil, outcome.kind == .labelme {
                print("\(source): this looks like labelme (one .json per image with its shapes); converted as labelme "
                    + "(--from names another kind)")
            }
            Self.printWarnings(outcome.dataset.warnings)
            print("wrote \(out): \(Self.summary(outcome))")
            if outcome.copiedAcrossFilesystems > 0 {
                print("note: \(outcome.copiedAcrossFilesystems) image(s) were copied, not linked: "
                    + "they are on another filesystem than \(out)")
            }
            print("next: spoolctl train \(out) --out runs/\(URL(fileURLWithPath: out).lastPathComponent)"
                + "   (or spoolctl validate \(out), spoolctl submit \(out))")
        }

        /// `image_classification from folders: 3 classes, 24 images (linked), 0 warnings`.
        static func summary(_ outcome: BundleMaker.Outcome) -> String {
            let placed = outcome.linked > 0 && outcome.copied == 0 ? "linked"
                : outcome.linked > 0 ? "\(outcome.linked) linked, \(outcome.copied) copied" : "copied"
            return "\(outcome.task.rawValue) from \(outcome.kind.rawValue): \(outcome.dataset.summary); images \(placed)"
        }

        static func printWarnings(_ warnings: [ConversionWarning]) {
            let shown = 50
            for warning in warnings.prefix(shown) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            if warnings.count > shown {
                FileHandle.standardError.write(Data("warning: ... and \(warnings.count - shown) more warnings\n".utf8))
            }
        }
    }
}
