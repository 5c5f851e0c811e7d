import Foundation
import Testing
@testable import SpoolCore

/// `BundleMaker`: the layout it writes, that every image_url resolves from the bundle, hard links, the kinds
/// it guesses, and what it refuses. (The bundles passing `spoolctl validate` is InitBundleCommandTests.)
@Suite struct BundleMakerTests {
    /// photos/{cat,dog}/..., PNG headers only.
    private func photos(in dir: URL) throws -> URL {
        let root = dir.appendingPathComponent("photos")
        for (path, size) in [("cat/1.png", 32), ("cat/indoor/2.png", 24), ("dog/a.png", 16), ("dog/b.png", 20)] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try pngHeader(width: UInt32(size), height: UInt32(size)).write(to: url)
        }
        return root
    }

    private func inode(_ url: URL) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    @Test func aFolderPerClassBecomesABundleWhoseImagesResolve() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try photos(in: dir)
        #expect(BundleMaker.detectKind(of: source) == .folders)
        #expect(BundleMaker.isFolderPerClass(source))
        let out = dir.appendingPathComponent("bundle")
        let outcome = try BundleMaker(source: source).make(into: out)
        #expect(outcome.task == .imageClassification && outcome.kind == .folders)
        #expect(outcome.copied == 4 && outcome.linked == 0)
        let jsonl = try String(contentsOf: out.appendingPathComponent("train.jsonl"), encoding: .utf8)
        #expect(jsonl == """
            {"image_details":{"format":"png","height":32,"width":32},"image_url":"images/cat/1.png","label":"cat"}
            {"image_details":{"format":"png","height":24,"width":24},"image_url":"images/cat/indoor/2.png","label":"cat"}
            {"image_details":{"format":"png","height":16,"width":16},"image_url":"images/dog/a.png","label":"dog"}
            {"image_details":{"format":"png","height":20,"width":20},"image_url":"images/dog/b.png","label":"dog"}

            """)
        // Every image_url resolves from the bundle as training resolves it, to the copy inside the bundle.
        let locator = ImageLocator(bases: [out])
        for image in outcome.dataset.images {
            let found = try #require(locator.path(for: image.imageURL))
            #expect(found.hasPrefix(out.standardizedFileURL.path + "/images/"))
        }
        let bundle = try JobBundle.load(directory: out)
        #expect(bundle.settings.task == .imageClassification)
        #expect(BundleMaker.looksLikeBundle(out) && !BundleMaker.isFolderPerClass(out))
        #expect(try inode(out.appendingPathComponent("images/cat/1.png")) != inode(source.appendingPathComponent("cat/1.png")))
    }

    @Test func linkSharesTheImagesInodes() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try photos(in: dir)
        let out = dir.appendingPathComponent("linked")
        let outcome = try BundleMaker(source: source, link: true).make(into: out)
        #expect(outcome.linked == 4 && outcome.copied == 0 && outcome.copiedAcrossFilesystems == 0)
        for path in ["cat/1.png", "cat/indoor/2.png", "dog/a.png", "dog/b.png"] {
            #expect(try inode(out.appendingPathComponent("images/" + path)) == inode(source.appendingPathComponent(path)))
        }
    }

    @Test func anExistingFolderIsReplacedOnlyWithForceAndOnlyWhenItIsABundle() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try photos(in: dir)
        let out = dir.appendingPathComponent("b")
        _ = try BundleMaker(source: source).make(into: out, outName: "b")
        #expect(throws: BundleMakerError("b exists; pass --force to replace it")) {
            try BundleMaker(source: source).make(into: out, outName: "b")
        }
        try Data("stale".utf8).write(to: out.appendingPathComponent("stale.txt"))
        _ = try BundleMaker(source: source, force: true).make(into: out, outName: "b")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("stale.txt").path))

        let notes = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: notes.appendingPathComponent("todo.txt"))
        #expect(throws: BundleMakerError("notes exists and does not look like a bundle (no settings.yaml or .jsonl at "
            + "its top); not replacing it: remove it yourself or choose another --out")) {
            try BundleMaker(source: source, force: true).make(into: notes, outName: "notes")
        }
        #expect(FileManager.default.fileExists(atPath: notes.appendingPathComponent("todo.txt").path))
        // No staging folder is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["b", "notes", "photos"])
    }

    @Test func whatIsRefused() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try photos(in: dir)
        #expect(throws: BundleMakerError.self) {
            try BundleMaker(source: source, task: .multilabel).make(into: dir.appendingPathComponent("m"))
        }
        do {
            _ = try BundleMaker(source: source, task: .multilabel).make(into: dir.appendingPathComponent("m"))
        } catch {
            #expect(error.message.hasPrefix("--task multilabel has no folder form"))
        }
        #expect(throws: BundleMakerError("--out photos/run is inside photos; choose a folder outside it")) {
            try BundleMaker(source: source, sourceName: "photos").make(into: source.appendingPathComponent("run"), outName: "photos/run")
        }
        #expect(throws: BundleMakerError("--out . holds photos; choose a folder outside it")) {
            try BundleMaker(source: source, sourceName: "photos", force: true).make(into: dir, outName: ".")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m").path))
    }

    @Test func cocoImagesAreFoundBesideTheFileOrInImages() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let coco = dir.appendingPathComponent("coco")
        try FileManager.default.createDirectory(at: coco.appendingPathComponent("pics/sub"), withIntermediateDirectories: true)
        try pngHeader(width: 40, height: 20).write(to: coco.appendingPathComponent("pics/a.png"))
        try pngHeader(width: 40, height: 20).write(to: coco.appendingPathComponent("pics/sub/b.png"))
        let file = coco.appendingPathComponent("instances.json")
        try Data("""
            {"images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 20},
                        {"id": 2, "file_name": "sub/b.png", "width": 40, "height": 20}],
             "categories": [{"id": 1, "name": "can"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 2, 20, 10]},
                             {"id": 2, "image_id": 2, "category_id": 1, "segmentation": [[0, 0, 10, 0, 10, 10]]}]}
            """.utf8).write(to: file)
        #expect(BundleMaker.detectKind(of: file) == .coco)
        // Beside the file: not there; the message says where it looked and what to pass.
        #expect(throws: BundleMakerError("2 of 2 images are not in \(coco.path): a.png, sub/b.png; "
            + "pass --images DIR, the folder that holds them")) {
            try BundleMaker(source: file).make(into: dir.appendingPathComponent("x"))
        }
        let out = dir.appendingPathComponent("seg")
        let outcome = try BundleMaker(source: file, images: coco.appendingPathComponent("pics")).make(into: out)
        #expect(outcome.task == .imageInstanceSegmentation)
        #expect(outcome.dataset.images.map(\.imageURL) == ["images/a.png", "images/sub/b.png"])
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("images/sub/b.png").path))
        #expect(try JobBundle.load(directory: out).settings.task == .imageInstanceSegmentation)
        let boxes = try BundleMaker(source: file, task: .detection, images: coco.appendingPathComponent("pics"))
            .make(into: dir.appendingPathComponent("det"))
        #expect(boxes.task == .imageObjectDetection)
        #expect(throws: BundleMakerError.self) {
            try BundleMaker(source: file, task: .multiclass).make(into: dir.appendingPathComponent("y"))
        }
    }

    @Test func vocImagesComeFromJPEGImages() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let voc = dir.appendingPathComponent("VOC")
        for folder in ["Annotations", "JPEGImages"] {
            try FileManager.default.createDirectory(at: voc.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try pngHeader(width: 50, height: 40).write(to: voc.appendingPathComponent("JPEGImages/1.png"))
        try Data("""
            <annotation><filename>1.png</filename><size><width>50</width><height>40</height></size>
            <object><name>car</name><bndbox><xmin>5</xmin><ymin>4</ymin><xmax>25</xmax><ymax>20</ymax></bndbox></object>
            </annotation>
            """.utf8).write(to: voc.appendingPathComponent("Annotations/1.xml"))
        #expect(BundleMaker.detectKind(of: voc) == .voc)
        let out = dir.appendingPathComponent("b")
        let outcome = try BundleMaker(source: voc, link: true).make(into: out)
        #expect(outcome.task == .imageObjectDetection && outcome.kind == .voc && outcome.linked == 1)
        let line = try String(contentsOf: out.appendingPathComponent("train.jsonl"), encoding: .utf8)
        #expect(line.contains("\"image_url\":\"images/1.png\"") && line.contains("\"topX\":0.1"))
        #expect(ImageLocator(bases: [out]).path(for: "images/1.png") != nil)
        #expect(throws: BundleMakerError.self) {
            try BundleMaker(source: voc, task: .segmentation).make(into: dir.appendingPathComponent("s"))
        }
    }

    /// `convert folders`: image_url resolves from the JSONL's folder when the tree is inside it; a tree
    /// elsewhere is said not to (the command then prints how to make it resolve).
    @Test func folderConverterSaysWhetherItsPathsResolveFromTheJSONL() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try photos(in: dir)
        let inside = FolderConverter(jsonlDirectory: dir)
        #expect(inside.resolvesFromJSONL(root: source))
        let converted = try inside.convert(root: source)
        for image in converted.images {
            #expect(ImageLocator(bases: [dir]).path(for: image.imageURL) == dir.appendingPathComponent(image.imageURL).path)
        }
        let elsewhere = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        #expect(!FolderConverter(jsonlDirectory: elsewhere).resolvesFromJSONL(root: source))
        #expect(FolderConverter(imagePrefix: "images", jsonlDirectory: elsewhere).resolvesFromJSONL(root: source))
    }
}
