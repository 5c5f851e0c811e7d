import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore

extension Spoolctl {
    /// `spoolctl convert`: common dataset formats into Azure's JSONL (and JSONL back to COCO), so that
    /// datasets enter Spool without scripts. The conversions themselves are in SpoolCore/Convert.
    public struct Convert: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Convert COCO, Pascal VOC, labelme or a folder-per-class tree to Azure's JSONL (and JSONL back to COCO).",
            discussion: """
            Writes one JSON object per image (spec section 3), keys sorted, in input order. Prints one line: \
            images, annotations, classes and warnings; each warning (an image without annotations, a category \
            never used, a box clipped to the image or skipped) is printed first, with its annotation id or file. \
            Nothing is written when the input has errors; all of them are printed at once. See docs/converters.md.

            Examples:
              spoolctl convert coco coco.json --out b/train.jsonl --image-prefix images/
              spoolctl convert voc VOC2012 --out b/train.jsonl --image-prefix JPEGImages/
              spoolctl convert labelme labelled --out b/train.jsonl
              spoolctl convert folders b/images --out b/train.jsonl
              spoolctl convert jsonl b/train.jsonl --to coco --out instances.json
            """,
            subcommands: [COCO.self, VOC.self, Labelme.self, Folders.self, JSONL.self])

        public init() {}

        /// The JSONL task a COCO file becomes.
        enum COCOTask: String, ExpressibleByArgument, CaseIterable {
            case detection, segmentation
            var core: COCOConverter.Task { self == .detection ? .detection : .segmentation }
        }

        /// What `convert jsonl` writes.
        enum Target: String, ExpressibleByArgument, CaseIterable {
            case coco
        }

        /// What every conversion into JSONL takes.
        public struct Output: ParsableArguments {
            @Option(help: "The JSONL file to write.")
            var out: String
            @Option(help: ArgumentHelp("Put before each image's path to make image_url (a folder such as images/, or a datastore URL).",
                                       valueName: "prefix"))
            var imagePrefix: String?
            @Flag(help: "Replace --out if it exists.")
            var force = false
            public init() {}
        }

        public struct COCO: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "coco",
                abstract: "COCO JSON (boxes, polygons) -> JSONL for object detection or instance segmentation.",
                discussion: """
                Coordinates are divided by images[].width/height. image_url is file_name, after --image-prefix. \
                RLE masks are refused by annotation id: export polygons, or use --task detection for the boxes.

                Examples:
                  spoolctl convert coco coco.json --out b/train.jsonl --image-prefix images/
                  spoolctl convert coco masks.json --task detection --out b/train.jsonl
                """)
            @Argument(help: "A COCO annotation file (instances.json).")
            var input: String
            @Option(help: "detection or segmentation (default: segmentation when any annotation has a polygon, else detection).")
            var task: COCOTask?
            @OptionGroup var output: Output
            public init() {}

            public func run() throws {
                try Convert.refuseLabelme(input, as: "coco", output: output)
                try Convert.write(to: output) {
                    try COCOConverter(task: task?.core, imagePrefix: output.imagePrefix ?? "")
                        .convert(url: URL(fileURLWithPath: input), displayName: input)
                }
            }
        }

        public struct VOC: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "voc",
                abstract: "Pascal VOC XML -> JSONL for object detection.",
                discussion: """
                INPUT is one .xml file or a folder of them (its Annotations/ sub-folder when it has one). \
                Coordinates are divided by <size>; image_url is <filename>, after --image-prefix (for the VOC \
                devkit: --image-prefix JPEGImages/). <difficult> objects are kept as ordinary boxes (isCrowd 0).

                Example:
                  spoolctl convert voc VOC2012 --out b/train.jsonl --image-prefix JPEGImages/
                """)
            @Argument(help: "A VOC .xml file, or a folder of them.")
            var input: String
            @OptionGroup var output: Output
            public init() {}

            public func run() throws {
                try Convert.refuseLabelme(input, as: "voc", output: output)
                try Convert.write(to: output) {
                    try VOCConverter(imagePrefix: output.imagePrefix ?? "")
                        .convert(input: URL(fileURLWithPath: input), displayName: input)
                }
            }
        }

        public struct Labelme: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "labelme",
                abstract: "labelme JSON (one .json per image) -> JSONL for object detection or instance segmentation.",
                discussion: """
                INPUT is one labelme .json file or a folder of them (sub-folders included). rectangle shapes are \
                boxes, polygon shapes polygons (their extent for detection); shapes sharing a group_id and a label \
                are one object. Coordinates are divided by imageWidth/imageHeight; image_url is the image's path \
                below INPUT (imagePath is relative to each .json), after --image-prefix. imageData is not read; \
                circle, line, linestrip and point shapes are refused.

                Example:
                  spoolctl convert labelme labelled --out b/train.jsonl
                """)
            @Argument(help: "A labelme .json file, or a folder of them.")
            var input: String
            @Option(help: "detection or segmentation (default: segmentation when any shape is a polygon, else detection).")
            var task: COCOTask?
            @OptionGroup var output: Output
            public init() {}

            public func run() throws {
                try Convert.write(to: output) {
                    try LabelmeConverter(task: task?.core, imagePrefix: output.imagePrefix ?? "")
                        .convert(input: URL(fileURLWithPath: input), displayName: input)
                }
            }
        }

        public struct Folders: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "folders",
                abstract: "One sub-folder per class, images inside -> JSONL for multiclass classification.",
                discussion: """
                image_url is the image's path from the JSONL's folder when the tree is inside it (images/cat/1.jpg), \
                else from INPUT (cat/1.jpg: put the class folders in the bundle's images/ folder), or \
                --image-prefix followed by cat/1.jpg. Sizes are read from PNG, JPEG and BMP headers.

                Example:
                  spoolctl convert folders b/images --out b/train.jsonl
                """)
            @Argument(help: "The folder holding one sub-folder per class.")
            var input: String
            @OptionGroup var output: Output
            public init() {}

            public func run() throws {
                try Convert.refuseLabelme(input, as: "folders", output: output)
                let jsonlDirectory = URL(fileURLWithPath: output.out).deletingLastPathComponent()
                let converter = FolderConverter(imagePrefix: output.imagePrefix, jsonlDirectory: jsonlDirectory)
                try Convert.write(to: output) {
                    try converter.convert(root: URL(fileURLWithPath: input), displayName: input)
                }
                if !converter.resolvesFromJSONL(root: URL(fileURLWithPath: input)) {
                    // Bundles refuse image_url with .. (images stay inside the bundle): say what makes them resolve.
                    FileHandle.standardError.write(Data(("note: \(input) is not inside \(jsonlDirectory.path), so image_url "
                        + "is relative to \(input) (<class>/<image>): copy its class folders into "
                        + "\(jsonlDirectory.appendingPathComponent("images").path)/, or make the whole bundle with "
                        + "`spoolctl init-bundle \(input) --out \(jsonlDirectory.path)`\n").utf8))
                }
            }
        }

        public struct JSONL: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "jsonl",
                abstract: "JSONL for object detection or instance segmentation -> COCO JSON.",
                discussion: """
                file_name is image_url as written; ids count from 1 (images and annotations in line order, \
                categories in name order). Sizes come from image_details, else from the images' headers, \
                looked for beside the JSONL (or --images DIR) and in its images/ folder.

                Example:
                  spoolctl convert jsonl b/train.jsonl --to coco --out instances.json
                """)
            @Argument(help: "A JSONL file.")
            var input: String
            @Option(help: "The format to write: coco.")
            var to: Target
            @Option(help: "The COCO JSON file to write.")
            var out: String
            @Option(help: ArgumentHelp("Where image_url is resolved to read sizes missing from image_details (default: the JSONL's folder).",
                                       valueName: "dir"))
            var images: String?
            @Flag(help: "Replace --out if it exists.")
            var force = false
            public init() {}

            public func run() throws {
                let url = URL(fileURLWithPath: input)
                let root = images.map { URL(fileURLWithPath: $0) } ?? url.deletingLastPathComponent()
                let dataset: COCODataset
                do {
                    dataset = try JSONLToCOCO(imageRoot: root).convert(url: url, displayName: input)
                } catch {
                    throw CommandError(error.description)
                }
                try Convert.write(try JSONLToCOCO.json(dataset), to: out, force: force)
                print("wrote \(out): \(dataset.images.count) images, \(dataset.annotations.count) annotations, "
                    + "\(dataset.categories.count) categories")
            }
        }

        /// Refuses labelme files given to another format's converter, saying what they are and the command
        /// that reads them.
        static func refuseLabelme(_ input: String, as format: String, output: Output) throws {
            guard LabelmeConverter.looksLikeLabelme(URL(fileURLWithPath: input)) else { return }
            let prefix = output.imagePrefix.map { " --image-prefix \($0)" } ?? ""
            throw CommandError("\(input): this looks like labelme (one .json per image with \"shapes\"), not \(format): "
                + "spoolctl convert labelme \(input) --out \(output.out)\(prefix)")
        }

        /// Runs a conversion, prints its warnings (stderr) and its summary (stdout), writes the JSONL.
        static func write(to output: Output, _ convert: () throws -> ConvertedDataset) throws {
            let converted: ConvertedDataset
            do {
                converted = try convert()
            } catch {
                throw CommandError("\(error)")
            }
            let shown = 50
            for warning in converted.warnings.prefix(shown) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            if converted.warnings.count > shown {
                FileHandle.standardError.write(Data("warning: ... and \(converted.warnings.count - shown) more warnings\n".utf8))
            }
            try write(Data(converted.jsonl.utf8), to: output.out, force: output.force)
            print("wrote \(output.out): \(converted.summary)")
        }

        /// Writes `data` atomically, creating the folder; refuses to replace a file unless `force`.
        static func write(_ data: Data, to path: String, force: Bool) throws {
            let url = URL(fileURLWithPath: path)
            if FileManager.default.fileExists(atPath: url.path), !force {
                throw OutputPath.refusal(path)
            }
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw CommandError("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}
