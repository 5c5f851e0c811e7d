"""Unit tests of the spool_scoring package that score.py ships with (run by ScoringPackageTests.swift with
Debian's python3, which has torch and torchvision):

    python3 -m unittest discover -s Tests/ScoringPackageTests
"""
import base64
import json
import os
import pathlib
import struct
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Sources", "SpoolTraining", "Resources", "scoring"))

from spool_scoring import (  # noqa: E402
    architectures,
    classification,
    detection,
    model_dir,
    preprocess,
    requests,
    weights,
    yolov5,
)

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")


class RequestTests(unittest.TestCase):
    def test_every_input_shape_flattens_to_bytes_and_filenames(self):
        b64 = base64.b64encode(PNG_1x1).decode()
        self.assertEqual(requests.items(PNG_1x1), [(PNG_1x1, None)])
        self.assertEqual(requests.items(b64), [(PNG_1x1, None)])
        self.assertEqual(requests.items("data:image/png;base64," + b64), [(PNG_1x1, None)])
        self.assertEqual(requests.items([PNG_1x1, b64]), [(PNG_1x1, None), (PNG_1x1, None)])
        azure = {"input_data": {"columns": ["image"], "data": [b64, b64]}}
        self.assertEqual(len(requests.items(azure)), 2)
        self.assertEqual(len(requests.items(json.dumps(azure))), 2)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.png")
            with open(path, "wb") as f:
                f.write(PNG_1x1)
            self.assertEqual(requests.items(pathlib.Path(path)), [(PNG_1x1, path)])
            self.assertEqual(requests.items(path), [(PNG_1x1, path)])

    def test_an_unreadable_file_is_an_error_in_its_place_not_a_lost_batch(self):
        missing = os.path.join(tempfile.gettempdir(), "spool-no-such-image.png")
        got = requests.items([PNG_1x1, pathlib.Path(missing), missing])
        self.assertEqual(len(got), 3)
        self.assertEqual(got[0], (PNG_1x1, None))
        for raw, filename in got[1:]:
            self.assertEqual(filename, missing)
            self.assertIsInstance(raw, ValueError)
            self.assertIn("cannot read it", str(raw))

    def test_a_request_without_an_image_says_what_it_expected(self):
        with self.assertRaisesRegex(ValueError, "input_data"):
            requests.items({"something": 1})
        with self.assertRaises(TypeError):
            requests.items(3.5)

    def test_decoding(self):
        rgb = requests.decode_image(PNG_1x1)
        self.assertEqual(tuple(rgb.shape), (1, 1, 3))
        self.assertEqual(rgb.dtype, torch.uint8)
        with self.assertRaisesRegex(ValueError, "not a decodable image"):
            requests.decode_image(b"not an image")


class ModelFolderTests(unittest.TestCase):
    def test_found_one_level_down_and_format_1_gets_its_architecture(self):
        with tempfile.TemporaryDirectory() as d:
            inner = os.path.join(d, "outputs", "model")
            os.makedirs(inner)
            with open(os.path.join(inner, "model.json"), "w") as f:
                json.dump({"model_name": "seresnext", "task": "image_classification", "classes": ["a", "b"]}, f)
            self.assertEqual(model_dir.find_model_dir(d), inner)
            manifest = model_dir.read_manifest(inner)
            self.assertEqual(manifest["architecture"], {"library": "timm", "name": "seresnext50_32x4d"})

    def test_two_model_folders_are_ambiguous_and_none_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(FileNotFoundError, "no model.json"):
                model_dir.find_model_dir(d)
            for name in ("a", "b"):
                os.makedirs(os.path.join(d, name))
                open(os.path.join(d, name, "model.json"), "w").close()
            with self.assertRaisesRegex(ValueError, "several model folders"):
                model_dir.find_model_dir(d)


class WeightsTests(unittest.TestCase):
    def test_safetensors_round_trip_without_the_package(self):
        tensors = {"a": torch.arange(6, dtype=torch.float32).view(2, 3), "b": torch.tensor([1, -2], dtype=torch.int64)}
        header, blobs, offset = {}, b"", 0
        for name, t in tensors.items():
            raw = t.numpy().tobytes()
            header[name] = {"dtype": {torch.float32: "F32", torch.int64: "I64"}[t.dtype], "shape": list(t.shape),
                            "data_offsets": [offset, offset + len(raw)]}
            blobs += raw
            offset += len(raw)
        text = json.dumps(header).encode()
        with tempfile.NamedTemporaryFile(suffix=".safetensors", delete=False) as f:
            f.write(struct.pack("<Q", len(text)) + text + blobs)
        try:
            read = weights.read_safetensors(f.name)
        finally:
            os.unlink(f.name)
        for name, t in tensors.items():
            self.assertTrue(torch.equal(read[name], t), name)

    def test_a_file_that_is_not_safetensors(self):
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(b"\xff" * 16)
        try:
            with self.assertRaisesRegex(ValueError, "not a safetensors file"):
                weights.read_safetensors(f.name)
        finally:
            os.unlink(f.name)


class PreprocessTests(unittest.TestCase):
    def test_unit_float_divides_once(self):
        rgb = torch.arange(256, dtype=torch.uint8).view(16, 16, 1).expand(16, 16, 3).contiguous()
        x = preprocess.to_unit_float(rgb)
        self.assertEqual(tuple(x.shape), (3, 16, 16))
        self.assertTrue(torch.equal(x[0].flatten(), torch.arange(256, dtype=torch.float32) / 255))

    def test_classification_transform_size_and_normalisation(self):
        rgb = torch.full((40, 60, 3), 255, dtype=torch.uint8)
        x = preprocess.preprocess(rgb, 32, 24, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
        self.assertEqual(tuple(x.shape), (3, 24, 24))
        self.assertTrue(torch.allclose(x, torch.full_like(x, 2.0)))


class TinyClassifier(torch.nn.Module):
    def forward(self, x):
        return torch.tensor([[0.0, 2.0, 1.0]]).expand(x.shape[0], 3)


class ClassificationTests(unittest.TestCase):
    manifest = {"task": "image_classification", "classes": ["a", "b", "c"],
                "preprocessing": {"valid_resize_size": 8, "valid_crop_size": 8, "mean": [0, 0, 0], "std": [1, 1, 1]}}

    def test_every_class_in_order_or_the_top_k(self):
        images = [torch.zeros(8, 8, 3, dtype=torch.uint8)] * 2
        out = classification.results(TinyClassifier(), self.manifest, {"batch_size": 1}, images, ["x", None], "cpu")
        self.assertEqual(out[0]["labels"], ["a", "b", "c"])
        self.assertEqual(out[0]["filename"], "x")
        self.assertNotIn("filename", out[1])
        self.assertAlmostEqual(sum(out[0]["probs"]), 1.0, places=6)
        top = classification.results(TinyClassifier(), self.manifest, {"top_k": 2, "predicted_labels": True},
                                     images[:1], [None], "cpu")
        self.assertEqual(top[0]["labels"], ["b", "c"])
        self.assertEqual(top[0]["predicted"], ["b"])


class DetectionTests(unittest.TestCase):
    def test_tiles_cover_the_image_with_their_overlap(self):
        t = detection.tiles(300, 200, [2, 1], 0.25)
        self.assertEqual(len(t), 2)
        self.assertEqual(t[0][0], 0)
        self.assertEqual(t[-1][2], 300)
        self.assertEqual((t[0][1], t[0][3]), (0, 200))
        width = t[0][2] - t[0][0]
        self.assertLessEqual(abs((t[0][2] - t[1][0]) - 0.25 * width), 1)

    def test_settings_from_the_manifest_unless_given(self):
        manifest = {"detection": {"min_size": 600, "box_score_thresh": 0.3, "tile_grid_size": None}}
        s = detection.inference_settings(manifest, {"box_score_thresh": 0.5, "tile_grid_size": "3x2", "min_size": None})
        self.assertEqual((s["min_size"], s["box_score_thresh"], s["tile_grid_size"]), (600, 0.5, [3, 2]))

    def test_detectors_have_spools_state_dict_names(self):
        settings = {"min_size": 64, "max_size": 96, "box_score_thresh": 0.05, "box_nms_thresh": 0.5,
                    "box_detections_per_img": 10}
        frcnn = architectures.detector("fasterrcnn_resnet18_fpn", 3, settings, frozen_batch_norm=False)
        keys = frcnn.state_dict()
        self.assertEqual(tuple(keys["roi_heads.box_predictor.cls_score.weight"].shape), (4, 1024))
        self.assertIn("backbone.body.bn1.num_batches_tracked", keys)
        frozen = architectures.detector("fasterrcnn_resnet18_fpn", 3, settings, frozen_batch_norm=True)
        self.assertNotIn("backbone.body.bn1.num_batches_tracked", frozen.state_dict())
        retina = architectures.detector("retinanet_resnet50_fpn", 3, settings, frozen_batch_norm=False).state_dict()
        self.assertEqual(retina["head.classification_head.cls_logits.weight"].shape[0], 9 * 3)
        fcos = architectures.detector("fcos_resnet50_fpn", 3, settings, frozen_batch_norm=False).state_dict()
        self.assertEqual(fcos["head.classification_head.cls_logits.weight"].shape[0], 3)
        self.assertEqual(fcos["head.regression_head.bbox_ctrness.weight"].shape[0], 1)
        with self.assertRaisesRegex(ValueError, "not one score.py builds"):
            architectures.detector("yolov9", 3, settings, False)

    def test_results_are_normalised_boxes_with_names(self):
        class Fixed(torch.nn.Module):
            def forward(self, images):
                return [{"boxes": torch.tensor([[10.0, 20.0, 50.0, 40.0]]), "scores": torch.tensor([0.9]),
                         "labels": torch.tensor([2])}]

        manifest = {"classes": ["cat", "dog"], "architecture": {"name": "fasterrcnn_resnet18_fpn"}, "detection": {}}
        out = detection.results(Fixed(), manifest, {}, [torch.zeros(40, 100, 3, dtype=torch.uint8)], ["p.png"], "cpu")
        box = out[0]["boxes"][0]
        self.assertEqual(box["label"], "dog")
        self.assertEqual(box["box"], {"topX": 0.1, "topY": 0.5, "bottomX": 0.5, "bottomY": 1.0})
        self.assertAlmostEqual(box["score"], 0.9, places=6)


    def test_segmentation_without_opencv_says_how_to_install_it(self):
        saved = sys.modules.get("cv2")
        sys.modules["cv2"] = None  # makes `import cv2` fail, as on a machine without OpenCV
        try:
            with self.assertRaises(ImportError) as caught:
                detection.polygons(torch.zeros(4, 4), 0.5, 10)
        finally:
            if saved is None:
                del sys.modules["cv2"]
            else:
                sys.modules["cv2"] = saved
        message = str(caught.exception)
        self.assertIn("apt install python3-opencv", message)
        self.assertIn("pip install opencv-python-headless", message)


class YOLOv5Tests(unittest.TestCase):
    def test_ultralytics_state_dict_names_and_shapes(self):
        keys = architectures.detector("yolov5s", 2, {}, frozen_batch_norm=False).state_dict()
        self.assertEqual(len(keys), 349)
        self.assertEqual(tuple(keys["model.0.conv.weight"].shape), (32, 3, 6, 6))
        self.assertIn("model.0.bn.num_batches_tracked", keys)
        self.assertEqual(tuple(keys["model.24.m.0.weight"].shape), (3 * 7, 128, 1, 1))
        self.assertEqual(tuple(keys["model.24.m.2.weight"].shape), (3 * 7, 512, 1, 1))
        self.assertEqual(keys["model.24.anchors"][2, 2].tolist(), [373 / 32, 326 / 32])
        self.assertEqual(tuple(yolov5.build("yolov5x", 2).state_dict()["model.8.m.3.cv2.conv.weight"].shape),
                         (640, 640, 3, 3))

    def test_yolov5s_letterbox_resizes_as_opencvs_inter_linear(self):
        try:
            import cv2
        except ImportError:
            self.skipTest("needs OpenCV (the reference), not score.py")
        g = torch.Generator().manual_seed(5)
        # Up, down, one side only, an exact halving (OpenCV's 2 x 2 mean) and odd sizes.
        for (h, w), (dh, dw) in [((37, 53), (64, 91)), ((130, 76), (266, 480)), ((300, 451), (213, 320)),
                                 ((64, 90), (32, 45)), ((50, 60), (50, 130)), ((427, 640), (640, 959))]:
            img = torch.randint(0, 256, (h, w, 3), dtype=torch.uint8, generator=g)
            ours = preprocess.cv_resize_linear(img, dw, dh)
            theirs = cv2.resize(img.numpy(), (dw, dh), interpolation=cv2.INTER_LINEAR)
            self.assertTrue(torch.equal(ours, torch.from_numpy(theirs)), f"{h}x{w} -> {dh}x{dw}")

    def test_letterbox_and_detections_in_the_image(self):
        x, gain, (pad_x, pad_y) = yolov5.letterbox(torch.zeros(100, 60, 3, dtype=torch.uint8), 128)
        self.assertEqual(tuple(x.shape), (1, 3, 128, 96))  # 60 x 1.28 = 76.8 -> 77 wide, padded to 96
        grey = (torch.tensor(114.0) / 255).item()
        self.assertEqual(x[0, 0, 0, :10].tolist(), [grey] * 9 + [0.0])  # 9 grey columns before, 10 after
        self.assertEqual(x[0, 0, 0, -11:].tolist(), [0.0] + [grey] * 10)
        self.assertEqual((gain, pad_x, pad_y), (1.28, (96 - 60 * 1.28) / 2, 0.0))  # scale_boxes' gain and padding
        torch.manual_seed(0)
        model = yolov5.build("yolov5s", 2).eval()
        rgb = torch.randint(0, 256, (100, 60, 3), dtype=torch.uint8)
        boxes, scores, labels = yolov5.detect(model, rgb.numpy(), 128, 0.1, 0.5, 20, "cpu")
        self.assertGreater(len(scores), 0)  # random heads score about 0.25
        self.assertLessEqual(len(scores), 20)
        self.assertEqual(tuple(boxes.shape), (len(scores), 4))
        self.assertTrue(bool((boxes[:, 0::2] >= 0).all() and (boxes[:, 0::2] <= 60).all()))
        self.assertTrue(bool((boxes[:, 1::2] >= 0).all() and (boxes[:, 1::2] <= 100).all()))
        self.assertTrue(bool((scores[:-1] >= scores[1:]).all() and (scores > 0.1).all()))
        self.assertTrue(set(labels.tolist()) <= {0, 1})
        manifest = {"classes": ["cat", "dog"], "architecture": {"name": "yolov5s"},
                    "detection": {"img_size": 128, "box_score_thresh": 0.1, "box_iou_thresh": 0.5,
                                  "box_detections_per_img": 20}}
        out = detection.results(model, manifest, {}, [rgb], [None], "cpu")
        self.assertEqual([b["score"] for b in out[0]["boxes"]], scores.tolist())
        self.assertTrue(all(0 <= b["box"]["topX"] <= b["box"]["bottomX"] <= 1 for b in out[0]["boxes"]))


if __name__ == "__main__":
    unittest.main()
