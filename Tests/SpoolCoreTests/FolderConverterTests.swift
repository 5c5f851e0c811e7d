import Foundation
import Testing
@testable import SpoolCore

/// The first bytes of a PNG of `width` x `height`: signature and IHDR, which is all the header reader needs.
func pngHeader(width: UInt32, height: UInt32) -> Data {
    var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]) + Data("IHDR".utf8)
    for value in [width, height] { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
    return data + Data([8, 2, 0, 0, 0, 0, 0, 0, 0])
}

/// A JPEG's segments up to its frame header: an optional EXIF orientation (big-endian TIFF), then SOF0.
private func jpegHeader(width: UInt16, height: UInt16, orientation: UInt16? = nil) -> Data {
    var data = Data([0xFF, 0xD8])
    if let orientation {
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                             UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0, 0, 0, 0, 0, 0]
        let payload = Data("Exif\0\0".utf8) + Data(tiff)
        data += Data([0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)]) + payload
    }
    data += Data([0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46])  // a short APP0 to walk over
    data += Data([0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03])
    return data + Data(repeating: 0, count: 9) + Data([0xFF, 0xD9])
}

/// A BMP's file and info headers (BITMAPINFOHEADER, bottom-up rows).
private func bmpHeader(width: Int32, height: Int32) -> Data {
    var data = Data("BM".utf8) + Data(repeating: 0, count: 12)
    for value in [Int32(40), width, height] { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    return data + Data(repeating: 0, count: 28)
}

@Suite struct FolderConverterTests {
    /// bundle/images/{cat,dog,bird}/..., with a stray file, a text file, a hidden file and a broken PNG.
    private func makeTree() throws -> (bundle: URL, images: URL) {
        let bundle = try makeTemporaryDirectory()
        let images = bundle.appendingPathComponent("images")
        let fm = FileManager.default
        for folder in ["cat/indoor", "dog", "bird", ".cache"] {
            try fm.createDirectory(at: images.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try pngHeader(width: 32, height: 16).write(to: images.appendingPathComponent("cat/1.png"))
        try jpegHeader(width: 20, height: 10, orientation: 6).write(to: images.appendingPathComponent("cat/indoor/2.JPG"))
        try jpegHeader(width: 20, height: 10, orientation: 1).write(to: images.appendingPathComponent("dog/a.jpeg"))
        try bmpHeader(width: 7, height: -5).write(to: images.appendingPathComponent("dog/b.bmp"))
        try Data("not really".utf8).write(to: images.appendingPathComponent("dog/c.png"))
        try Data("tiff".utf8).write(to: images.appendingPathComponent("dog/d.tif"))
        try Data("notes".utf8).write(to: images.appendingPathComponent("dog/notes.txt"))
        try Data().write(to: images.appendingPathComponent("dog/.DS_Store"))
        try Data().write(to: images.appendingPathComponent("README.md"))
        try pngHeader(width: 1, height: 1).write(to: images.appendingPathComponent(".cache/x.png"))
        return (bundle, images)
    }

    @Test func classFoldersBecomeClassificationLines() throws {
        let (bundle, images) = try makeTree()
        defer { try? FileManager.default.removeItem(at: bundle) }
        let converted = try FolderConverter(jsonlDirectory: bundle).convert(root: images, displayName: "images")
        #expect(converted.jsonl == """
            {"image_details":{"format":"png","height":16,"width":32},"image_url":"images/cat/1.png","label":"cat"}
            {"image_details":{"format":"jpg","height":20,"width":10},"image_url":"images/cat/indoor/2.JPG","label":"cat"}
            {"image_details":{"format":"jpeg","height":10,"width":20},"image_url":"images/dog/a.jpeg","label":"dog"}
            {"image_details":{"format":"bmp","height":5,"width":7},"image_url":"images/dog/b.bmp","label":"dog"}
            {"image_details":{"format":"png"},"image_url":"images/dog/c.png","label":"dog"}
            {"image_details":{"format":"tif"},"image_url":"images/dog/d.tif","label":"dog"}

            """)
        #expect(converted.warnings.map(\.description) == [
            "images/README.md: not in a class folder; left out",
            "images/bird: no images in this class folder; the class is left out",
            "images/dog/c.png: its header gives no size (is it really .png?); image_details has the format only",
            "images/dog/notes.txt: not an image, by its extension; left out",
        ])
        #expect(converted.summary == "6 images, 6 annotations, 2 classes, 4 warnings (1 category never used, "
            + "2 files ignored, 1 image without a readable size)")
    }

    @Test func imageURLFollowsThePrefixOrTheTree() throws {
        let (bundle, images) = try makeTree()
        defer { try? FileManager.default.removeItem(at: bundle) }
        let elsewhere = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let outside = try FolderConverter(jsonlDirectory: elsewhere).convert(root: images)
        #expect(outside.images.first?.imageURL == "cat/1.png")
        let beside = try FolderConverter(jsonlDirectory: images).convert(root: images)
        #expect(beside.images.first?.imageURL == "cat/1.png")
        let prefixed = try FolderConverter(imagePrefix: "AmlDatastore://workspaceblobstore/pets", jsonlDirectory: bundle).convert(root: images)
        #expect(prefixed.images.first?.imageURL == "AmlDatastore://workspaceblobstore/pets/cat/1.png")
    }

    @Test func aTreeWithoutImagesIsAnError() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cat"), withIntermediateDirectories: true)
        try Data().write(to: dir.appendingPathComponent("cat/list.csv"))
        #expect(throws: ConversionError(file: "tree", message: "no images in class folders; expected tree/<class>/<image>.jpg, "
            + "with one of the extensions bmp, jfif, jpe, jpeg, jpg, png, tif, tiff, webp")) {
            try FolderConverter().convert(root: dir, displayName: "tree")
        }
        #expect(throws: ConversionError(file: "nowhere", message: "not a folder; expected one sub-folder per class, images inside")) {
            try FolderConverter().convert(root: dir.appendingPathComponent("missing"), displayName: "nowhere")
        }
    }

    @Test func headerReaderKnowsPNGJPEGAndBMP() {
        #expect(ImageHeaderReader.size(in: pngHeader(width: 640, height: 480))! == (640, 480))
        #expect(ImageHeaderReader.size(in: jpegHeader(width: 4032, height: 3024))! == (4032, 3024))
        #expect(ImageHeaderReader.size(in: jpegHeader(width: 4032, height: 3024, orientation: 8))! == (3024, 4032))
        #expect(ImageHeaderReader.size(in: bmpHeader(width: 3, height: 2))! == (3, 2))
        #expect(ImageHeaderReader.size(in: Data("GIF89a".utf8)) == nil)
        #expect(ImageHeaderReader.size(in: Data([0xFF, 0xD8, 0xFF, 0xDA, 0, 2])) == nil)
    }
}
