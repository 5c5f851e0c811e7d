import ArgumentParser

/// `spoolctl example`: writes a generated bundle to try Spool with (nothing downloaded).
public struct ExampleArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Write a generated bundle (coloured shapes) to try Spool with.",
        discussion: """
        Writes settings.yaml, train.jsonl and images/ with circles, squares and triangles of random colours \
        on random backgrounds. --task classification (the default): one shape an image; --multilabel: zero \
        to three shapes an image. --task detection: one to three shapes an image with their boxes; --task \
        segmentation: with their polygons. The same --seed writes the same files.

        Examples:
          spoolctl example --out shapes
          spoolctl example --task detection --out /tmp/boxes
        """)

    @Option(help: "The bundle folder to write.")
    public var out: String

    @Flag(help: "Replace --out if it exists.")
    public var force = false

    @Option(help: "classification, detection or segmentation.")
    public var task: String = "classification"

    @Flag(help: "Several shapes an image (image_classification_multilabel).")
    public var multilabel = false

    @Option(name: .customLong("per-class"), help: "Classification: images per class.")
    public var perClass: Int = 40

    @Option(help: "Detection and segmentation: how many images.")
    public var images: Int = 90

    @Option(help: "Image side in pixels (default 48; detection and segmentation 128).")
    public var size: Int?

    @Option(help: "Seed.")
    public var seed: UInt64 = 1

    @Option(help: "Image formats to cycle through, comma-separated (png, jpg, bmp, tif, webp).")
    public var formats: String = "png"

    public init() {}

    public func validate() throws {
        if perClass < 2 { throw ValidationError("--per-class must be at least 2") }
        if let size, size < 16 { throw ValidationError("--size must be at least 16") }
        if !["classification", "detection", "segmentation"].contains(task) {
            throw ValidationError("--task must be classification, detection or segmentation, not \(task)")
        }
        if images < 10 { throw ValidationError("--images must be at least 10") }
        let allowed = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"]
        for f in formats.split(separator: ",") where !allowed.contains(String(f)) {
            throw ValidationError("--formats: \(f) is not one of \(allowed.joined(separator: ", "))")
        }
    }
}
