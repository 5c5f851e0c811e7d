import Foundation
import SpoolCore
import SpoolTraining
import Testing

/// `spoolctl train DIR` on a folder per class (no settings, no JSONL): the bundle is made in OUT/bundle/ with
/// hard links and trained for real with the defaults and --set.
@Suite struct TrainFolderTests {
    @Test func trainTakesAFolderPerClass() throws {
        let dir = try TrainingSupport.temporaryDirectory("train-folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Generated shapes, rearranged into photos/<class>/<image>.png.
        let shapes = dir.appendingPathComponent("shapes")
        var generator = ShapesDataset()
        generator.imagesPerClass = 16
        generator.size = 32
        generator.seed = 4
        _ = try generator.write(to: shapes, settings: "task: image_classification\n")
        let photos = dir.appendingPathComponent("photos")
        for line in try String(contentsOf: shapes.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let url = object["image_url"] as! String, label = object["label"] as! String
            let target = photos.appendingPathComponent(label).appendingPathComponent((url as NSString).lastPathComponent)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: shapes.appendingPathComponent(url), to: target)
        }

        let out = dir.appendingPathComponent("run")
        let train = try CommandLineTests.spoolctl([
            "train", photos.path, "--out", out.path, "--seed", "1",
            "--set", "model_name=resnet18", "--set", "early_stopping=0",
            "--set", "train_crop_size=32", "--set", "valid_crop_size=32", "--set", "valid_resize_size=32",
            "--set", "training_batch_size=8", "--set", "warmup_cosine_lr_warmup_epochs=0",
            // Adam at 1e-3: from scratch on 38 images in batches of 8, SGD's loss is too noisy to fall reliably.
            "--set", "optimizer=adam", "--set", "learning_rate=0.001", "--set", "number_of_epochs=8",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("\(photos.path): taken as a folder per class: 3 classes, 48 images; "
            + "bundle made in \(out.path)/bundle (images linked)"), "\(train.stderr)")
        #expect(train.stdout.contains("accuracy") && train.stdout.contains("of 8"), "\(train.stdout)")

        // The bundle is there to reuse, its images hard links to the user's.
        let bundle = out.appendingPathComponent("bundle")
        let settings = try JobBundle.load(directory: bundle).settings
        #expect(settings.task == .imageClassification && settings.trainingParameterValues.isEmpty)
        let image = try #require(try FileManager.default.contentsOfDirectory(atPath: photos.appendingPathComponent("circle").path).first)
        let inode = { (url: URL) in (try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? NSNumber)?.uint64Value }
        #expect(try inode(photos.appendingPathComponent("circle/\(image)")) == inode(bundle.appendingPathComponent("images/circle/\(image)")))

        // It trained: eight epochs, the loss of the last three below that of the first three, and the held-out
        // accuracy above chance (1/3) by a margin.
        let metrics = try MetricsDocument.read(from: out.appendingPathComponent(MetricsDocument.fileName))
        #expect(metrics.history.count == 8)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.suffix(3).reduce(0, +) < losses.prefix(3).reduce(0, +), "train loss \(losses)")
        #expect(metrics.primaryMetric.name == "accuracy")
        #expect(metrics.primaryMetric.value > 0.45, "accuracy \(metrics.primaryMetric.value)")
    }
}
