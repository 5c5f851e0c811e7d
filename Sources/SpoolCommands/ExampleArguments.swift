import ArgumentParser

/// `spoolctl example`: writes a generated bundle to try Spool with (nothing downloaded).
public struct ExampleArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Write a generated classification bundle (coloured shapes) to try Spool with.",
        discussion: """
        Writes settings.yaml, train.jsonl and images/ with circles, squares and triangles of random colours
        on random backgrounds. Multiclass: one shape an image. --multilabel: zero to three shapes an image.
        The same --seed writes the same files.

        Example:
          spoolctl example --out /tmp/shapes && spoolctl train /tmp/shapes --out /tmp/shapes-run
        """)

    @Option(help: "The bundle folder to write.")
    public var out: String

    @Flag(help: "Several shapes an image (image_classification_multilabel).")
    public var multilabel = false

    @Option(name: .customLong("per-class"), help: "Images per class.")
    public var perClass: Int = 40

    @Option(help: "Image side in pixels.")
    public var size: Int = 48

    @Option(help: "Seed.")
    public var seed: UInt64 = 1

    @Option(help: "Image formats to cycle through, comma-separated (png, jpg, bmp, tif, webp).")
    public var formats: String = "png"

    public init() {}

    public func validate() throws {
        if perClass < 2 { throw ValidationError("--per-class must be at least 2") }
        if size < 16 { throw ValidationError("--size must be at least 16") }
        let allowed = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"]
        for f in formats.split(separator: ",") where !allowed.contains(String(f)) {
            throw ValidationError("--formats: \(f) is not one of \(allowed.joined(separator: ", "))")
        }
    }
}
