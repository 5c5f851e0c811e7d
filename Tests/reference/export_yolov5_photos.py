#!/usr/bin/env python3
"""Ultralytics' YOLOv5 (the `yolov5` package, v7.0) on real photographs, as its detect.py runs it, and what the
engine's letterbox parity test compares against:

    OUT_DIR/weights.safetensors    the state dict (random weights, calibrated as export_yolov5.py's perturb does
                                   so that the head has plenty of well-spread detections on these photos)
    OUT_DIR/photo{i}.png           scikit-image's sample photographs (lossless, so both sides decode the same pixels)
    OUT_DIR/detections.json        per photo: its name, width and height, and detect.py's detections: the file
                                   read by cv2.imread, letterbox(img, SIZE, stride=32, auto=True), /255, the model
                                   in eval mode, non_max_suppression, scale_boxes back to the photo (not rounded):
                                   boxes (pixels), scores, labels (from 0); and score.py's detections of the same
                                   photo with the same weights (spool_scoring.yolov5.detect), and whether score.py's
                                   letterboxed image equals Ultralytics' bit for bit

Usage: python export_yolov5_photos.py MODEL OUT_DIR [--size 640] [--classes 3] [--seed 3] [--score 0.25]
                                      [--iou 0.45] [--max-det 300]
Run with a Python that has the `yolov5` package, OpenCV and scikit-image. Used only by the tests, never by Spool.
"""
import argparse
import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "Sources", "SpoolTraining", "Resources", "scoring"))
import safetensors_io  # noqa: E402
from export_yolov5 import perturb  # noqa: E402

os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo-config-"))
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import cv2
    import skimage.data
    import yolov5
    from yolov5.models.yolo import DetectionModel
    from yolov5.utils.augmentations import letterbox
    from yolov5.utils.general import LOGGER, non_max_suppression, scale_boxes
    from spool_scoring import yolov5 as spool_yolov5
LOGGER.setLevel(logging.ERROR)

# Photographs of several shapes: square (scaled up), landscape scaled up, scaled down, and not scaled at all.
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field"]


def tensor(bgr):
    """detect.py's input: HWC BGR to CHW RGB, float, /255, with a batch dimension."""
    return torch.from_numpy(np.ascontiguousarray(bgr.transpose((2, 0, 1))[::-1])).float()[None] / 255


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["yolov5s", "yolov5m", "yolov5l", "yolov5x"])
    p.add_argument("out")
    p.add_argument("--size", type=int, default=640)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--score", type=float, default=0.25)
    p.add_argument("--iou", type=float, default=0.45)
    p.add_argument("--max-det", type=int, default=300)
    a = p.parse_args()
    started = time.perf_counter()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model = DetectionModel(cfg=os.path.join(os.path.dirname(yolov5.__file__), "models", a.model + ".yaml"),
                           ch=3, nc=a.classes)
    os.makedirs(a.out, exist_ok=True)
    files = []
    for i, name in enumerate(PHOTOS):
        rgb = getattr(skimage.data, name)()[..., :3]
        path = os.path.join(a.out, f"photo{i}.png")
        cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))
        files.append((name, path))

    # Calibration (BatchNorm statistics, head spread) on every photo letterboxed to the full square.
    squares = [tensor(letterbox(cv2.imread(path), a.size, auto=False)[0]) for _, path in files]
    perturb(model, torch.cat(squares), a.score)
    safetensors_io.save(model.state_dict(), os.path.join(a.out, "weights.safetensors"))

    model.eval()
    ours = spool_yolov5.build(a.model, a.classes).eval()
    ours.load_state_dict(model.state_dict())
    out = []
    with torch.no_grad():
        for name, path in files:
            im0 = cv2.imread(path)  # BGR
            im = letterbox(im0, a.size, stride=32, auto=True)[0]
            x = tensor(im)
            det = non_max_suppression(model(x)[0], a.score, a.iou, max_det=a.max_det)[0]
            det[:, :4] = scale_boxes(x.shape[2:], det[:, :4], im0.shape)
            rgb = torch.from_numpy(np.ascontiguousarray(im0[..., ::-1]))
            boxed = spool_yolov5.letterbox(rgb, a.size)[0]
            boxes, scores, labels = spool_yolov5.detect(ours, rgb, a.size, a.score, a.iou, a.max_det, "cpu")
            out.append({"name": name, "width": im0.shape[1], "height": im0.shape[0],
                        "letterboxed": list(x.shape[2:]),
                        "boxes": det[:, :4].tolist(), "scores": det[:, 4].tolist(), "labels": det[:, 5].long().tolist(),
                        "score_py": {"letterbox_identical": bool(torch.equal(boxed, x)), "boxes": boxes.tolist(),
                                     "scores": scores.tolist(), "labels": labels.tolist()}})
    with open(os.path.join(a.out, "detections.json"), "w") as f:
        json.dump(out, f)
    print(f"{a.model} {a.size}px on {len(files)} photos: "
          + ", ".join(f"{d['name']} {d['height']}x{d['width']} -> {d['letterboxed'][0]}x{d['letterboxed'][1]} "
                      f"{len(d['scores'])} detections" for d in out)
          + f"; {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
