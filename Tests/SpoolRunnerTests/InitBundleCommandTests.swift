import Foundation
import Testing

/// `spoolctl init-bundle` run as a user runs it, on generated images: a folder per class, a COCO file and a
/// VOC folder each become a bundle that `spoolctl validate` (the spool's own checks, every image decoded)
/// accepts; --link shares the images' inodes; `submit DIR` on a folder per class drops the bundle made from it.
@Suite(.serialized)
struct InitBundleCommandTests {
    /// `spoolctl example` (classification) rearranged into DIR/photos/<class>/<image>.png.
    static func photos(in dir: URL, perClass: Int = 5) throws -> URL {
        let shapes = dir.appendingPathComponent("shapes")
        let example = try RunnerSupport.spoolctl(["example", "--out", shapes.path, "--per-class", "\(perClass)", "--size", "32"])
        guard example.status == 0 else { throw TestFailure("spoolctl example failed: \(example.stderr)") }
        let photos = dir.appendingPathComponent("photos")
        for line in try String(contentsOf: shapes.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let url = object["image_url"] as! String, label = object["label"] as! String
            let target = photos.appendingPathComponent(label).appendingPathComponent((url as NSString).lastPathComponent)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: shapes.appendingPathComponent(url), to: target)
        }
        try FileManager.default.removeItem(at: shapes)
        return photos
    }

    static func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    static func validate(_ bundle: URL) throws -> RunnerSupport.Output {
        try RunnerSupport.spoolctl(["validate", bundle.path, "--no-estimate"])
    }

    @Test func aFolderPerClassBecomesAValidBundle() throws {
        let dir = try RunnerSupport.temporaryDirectory("init-bundle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let photos = try Self.photos(in: dir)
        let out = dir.appendingPathComponent("pets")
        let made = try RunnerSupport.spoolctl(["init-bundle", photos.path, "--out", out.path, "--link"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("wrote \(out.path): image_classification from folders: 15 images, 15 annotations, "
            + "3 classes, 0 warnings; images linked"), "\(made.stdout)")
        #expect(made.stdout.contains("next: spoolctl train \(out.path) --out runs/pets"))
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: photos.appendingPathComponent("circle").path).sorted().first)
        #expect(try Self.inode(photos.appendingPathComponent("circle/\(first)").path)
            == Self.inode(out.appendingPathComponent("images/circle/\(first)").path))
        let settings = try String(contentsOf: out.appendingPathComponent("settings.yaml"), encoding: .utf8)
        #expect(settings.contains("task: image_classification\n") && settings.contains("  # number_of_epochs: 15"))

        let valid = try Self.validate(out)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(valid.stdout.contains("\(out.path): valid"), "\(valid.stdout)")

        // Again: refused without --force; replaced with it. Multilabel has no folder form.
        let again = try RunnerSupport.spoolctl(["init-bundle", photos.path, "--out", out.path])
        #expect(again.status != 0 && again.stderr.contains("\(out.path) exists; pass --force to replace it"), "\(again.stderr)")
        let forced = try RunnerSupport.spoolctl(["init-bundle", photos.path, "--out", out.path, "--force"])
        #expect(forced.status == 0 && forced.stdout.contains("images copied"), "\(forced.stderr)")
        let multilabel = try RunnerSupport.spoolctl(["init-bundle", photos.path, "--out", dir.appendingPathComponent("m").path,
                                                     "--task", "multilabel"])
        #expect(multilabel.status != 0 && multilabel.stderr.contains("--task multilabel has no folder form"), "\(multilabel.stderr)")
    }

    @Test func cocoAndVOCBecomeValidBundles() throws {
        let dir = try RunnerSupport.temporaryDirectory("init-bundle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let boxes = dir.appendingPathComponent("boxes")
        let example = try RunnerSupport.spoolctl(["example", "--task", "detection", "--out", boxes.path, "--images", "12", "--size", "64"])
        #expect(example.status == 0, "\(example.stderr)")
        // COCO: the example's JSONL turned into instances.json beside its images/.
        let coco = boxes.appendingPathComponent("instances.json")
        let converted = try RunnerSupport.spoolctl(["convert", "jsonl", boxes.appendingPathComponent("train.jsonl").path,
                                                    "--to", "coco", "--out", coco.path])
        #expect(converted.status == 0, "\(converted.stderr)")
        try FileManager.default.removeItem(at: boxes.appendingPathComponent("train.jsonl"))
        try FileManager.default.removeItem(at: boxes.appendingPathComponent("settings.yaml"))
        let cocoBundle = dir.appendingPathComponent("coco-bundle")
        let fromCOCO = try RunnerSupport.spoolctl(["init-bundle", coco.path, "--out", cocoBundle.path])
        #expect(fromCOCO.status == 0, "\(fromCOCO.stderr)")
        #expect(fromCOCO.stdout.contains("image_object_detection from coco: 12 images"), "\(fromCOCO.stdout)")
        let cocoValid = try Self.validate(cocoBundle)
        #expect(cocoValid.status == 0, "\(cocoValid.stdout)\(cocoValid.stderr)")

        // VOC: one XML per image (from the COCO file), the images in JPEGImages/.
        let voc = dir.appendingPathComponent("VOC")
        try FileManager.default.createDirectory(at: voc.appendingPathComponent("Annotations"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: voc.appendingPathComponent("JPEGImages"), withIntermediateDirectories: true)
        let dataset = try JSONSerialization.jsonObject(with: Data(contentsOf: coco)) as! [String: Any]
        let categories = Dictionary(uniqueKeysWithValues: (dataset["categories"] as! [[String: Any]]).map {
            ($0["id"] as! Int, $0["name"] as! String) })
        let annotations = dataset["annotations"] as! [[String: Any]]
        for image in dataset["images"] as! [[String: Any]] {
            let id = image["id"] as! Int, fileName = image["file_name"] as! String
            let name = (fileName as NSString).lastPathComponent
            try FileManager.default.linkItem(at: boxes.appendingPathComponent(fileName),
                                             to: voc.appendingPathComponent("JPEGImages/\(name)"))
            var xml = "<annotation><filename>\(name)</filename><size><width>\(image["width"]!)</width>"
                + "<height>\(image["height"]!)</height><depth>3</depth></size>\n"
            for annotation in annotations where annotation["image_id"] as? Int == id {
                let b = annotation["bbox"] as! [Double]
                xml += "<object><name>\(categories[annotation["category_id"] as! Int]!)</name><bndbox><xmin>\(b[0])</xmin>"
                    + "<ymin>\(b[1])</ymin><xmax>\(b[0] + b[2])</xmax><ymax>\(b[1] + b[3])</ymax></bndbox></object>\n"
            }
            try (xml + "</annotation>\n").write(to: voc.appendingPathComponent("Annotations/\((name as NSString).deletingPathExtension).xml"),
                                                atomically: true, encoding: .utf8)
        }
        let vocBundle = dir.appendingPathComponent("voc-bundle")
        let fromVOC = try RunnerSupport.spoolctl(["init-bundle", voc.path, "--out", vocBundle.path, "--link"])
        #expect(fromVOC.status == 0, "\(fromVOC.stderr)")
        #expect(fromVOC.stdout.contains("image_object_detection from voc: 12 images") && fromVOC.stdout.contains("images linked"),
                "\(fromVOC.stdout)")
        let someImage = try #require(try FileManager.default.contentsOfDirectory(atPath: voc.appendingPathComponent("JPEGImages").path).first)
        #expect(try Self.inode(voc.appendingPathComponent("JPEGImages/\(someImage)").path)
            == Self.inode(vocBundle.appendingPathComponent("images/\(someImage)").path))
        let vocValid = try Self.validate(vocBundle)
        #expect(vocValid.status == 0, "\(vocValid.stdout)\(vocValid.stderr)")
        // The same boxes either way.
        let cocoLines = try String(contentsOf: cocoBundle.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n")
        let vocLines = try String(contentsOf: vocBundle.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(cocoLines.count == 12 && vocLines.count == 12)
    }

    @Test func aLabelmeFolderIsRecognisedAndBecomesAValidBundle() throws {
        let dir = try RunnerSupport.temporaryDirectory("init-bundle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let boxes = dir.appendingPathComponent("boxes")
        let example = try RunnerSupport.spoolctl(["example", "--task", "detection", "--out", boxes.path, "--images", "12", "--size", "64"])
        #expect(example.status == 0, "\(example.stderr)")
        let coco = dir.appendingPathComponent("instances.json")
        let converted = try RunnerSupport.spoolctl(["convert", "jsonl", boxes.appendingPathComponent("train.jsonl").path,
                                                    "--to", "coco", "--out", coco.path])
        #expect(converted.status == 0, "\(converted.stderr)")
        // labelme's layout: one .json beside each image, its boxes as rectangles, the image embedded as well.
        let labelme = dir.appendingPathComponent("annotated")
        try FileManager.default.createDirectory(at: labelme, withIntermediateDirectories: true)
        let dataset = try JSONSerialization.jsonObject(with: Data(contentsOf: coco)) as! [String: Any]
        let categories = Dictionary(uniqueKeysWithValues: (dataset["categories"] as! [[String: Any]]).map {
            ($0["id"] as! Int, $0["name"] as! String) })
        let annotations = dataset["annotations"] as! [[String: Any]]
        for image in dataset["images"] as! [[String: Any]] {
            let id = image["id"] as! Int, fileName = image["file_name"] as! String
            let name = (fileName as NSString).lastPathComponent
            try FileManager.default.linkItem(at: boxes.appendingPathComponent(fileName), to: labelme.appendingPathComponent(name))
            let shapes: [[String: Any]] = annotations.filter { $0["image_id"] as? Int == id }.map { annotation in
                let b = annotation["bbox"] as! [Double]
                return ["label": categories[annotation["category_id"] as! Int]!, "points": [[b[0], b[1]], [b[0] + b[2], b[1] + b[3]]],
                        "shape_type": "rectangle", "group_id": NSNull(), "flags": [String: Any]()]
            }
            let file: [String: Any] = ["version": "5.4.1", "shapes": shapes, "imagePath": name, "imageData": "iVBORw0KGgo=",
                                       "imageWidth": image["width"]!, "imageHeight": image["height"]!]
            try JSONSerialization.data(withJSONObject: file)
                .write(to: labelme.appendingPathComponent((name as NSString).deletingPathExtension + ".json"))
        }
        // The COCO converter, pointed at labelme files, names the converter that reads them.
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: labelme.path).filter { $0.hasSuffix(".json") }.sorted().first)
        let refused = try RunnerSupport.spoolctl(["convert", "coco", labelme.appendingPathComponent(first).path,
                                                  "--out", dir.appendingPathComponent("x.jsonl").path])
        #expect(refused.status != 0 && refused.stderr.contains("this looks like labelme") && refused.stderr.contains("spoolctl convert labelme"),
                "\(refused.stderr)")

        let bundle = dir.appendingPathComponent("labelme-bundle")
        let made = try RunnerSupport.spoolctl(["init-bundle", labelme.path, "--out", bundle.path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("this looks like labelme"), "\(made.stdout)")
        #expect(made.stdout.contains("image_object_detection from labelme: 12 images"), "\(made.stdout)")
        let valid = try Self.validate(bundle)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    }

    @Test func submitTakesAFolderPerClass() throws {
        let dir = try RunnerSupport.temporaryDirectory("init-bundle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let photos = try Self.photos(in: dir)
        let spool = dir.appendingPathComponent("spool")
        let submitted = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, photos.path])
        #expect(submitted.status == 0, "\(submitted.stdout)\(submitted.stderr)")
        #expect(submitted.stderr.contains("\(photos.path): taken as a folder per class: 3 classes, 15 images"), "\(submitted.stderr)")
        #expect(submitted.stdout.contains("submitted \(photos.path) as photos"), "\(submitted.stdout)")
        let dropped = spool.appendingPathComponent("incoming/photos")
        for file in ["settings.yaml", "train.jsonl", "images/circle", "images/square", "images/triangle"] {
            #expect(FileManager.default.fileExists(atPath: dropped.appendingPathComponent(file).path), "\(file)")
        }
        // The drop is a valid bundle, and the user's folder is untouched.
        #expect(try Self.validate(dropped).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: photos.path).sorted() == ["circle", "square", "triangle"])
    }
}
