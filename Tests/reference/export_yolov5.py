#!/usr/bin/env python3
"""Builds Ultralytics' YOLOv5 (the `yolov5` package, v7.0) with random weights and writes what the engine's
YOLOv5 parity tests compare against:

    OUT_DIR/weights.safetensors    the state dict (Ultralytics' names: model.N..., model.24.anchors in grid units,
                                   BatchNorm num_batches_tracked), saved before any training-mode forward
    OUT_DIR/image{i}.png           S x S 8-bit RGB images (both sides read the same pixels)
    OUT_DIR/raw.safetensors        "output": the eval-mode decoded output model(x)[0] of the batch of images
                                   (N x anchors x (5 + classes): cx, cy, w, h in pixels, objectness, class scores)
    OUT_DIR/targets.json           per image: boxes [x1, y1, x2, y2] (pixels) and labels (from 0)
    OUT_DIR/losses.json            ComputeLoss's loss_box, loss_obj, loss_cls in training mode on the batch, each
                                   times the batch size (their sum is ComputeLoss's first return value)
    OUT_DIR/detections.json        per image, one at a time in eval mode: letterbox (a no-op for S x S images),
                                   non_max_suppression (single label, per class), boxes mapped back to the image
                                   and clipped: boxes (pixels), scores, labels (from 0)

Usage: python export_yolov5.py MODEL OUT_DIR [--classes 3] [--size S] [--seed N] [--images 2] [--score 0.1]
                               [--iou 0.5] [--max-det 100]
MODEL: yolov5s, yolov5m, yolov5l or yolov5x. Run with a Python that has the `yolov5` package.

BatchNorm gets random parameters and statistics near its inputs' (see perturb), the Detect convolutions
random weights with a chosen spread of logits (Ultralytics' prior biases put every objectness near 0.001), and
one objectness bias that leaves at least CANDIDATES anchors per image above the score threshold: plenty of
detections with well-spread scores. Prints one summary line, with how often the detections stay the same
when the decoded output moves by a relative 1e-5 (how robust the comparison is to rounding).
Used only by the tests, never by Spool.
"""
import argparse
import contextlib
import io
import json
import logging
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo-config-"))
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import yolov5  # its import prints settings notices
    from yolov5.models.yolo import DetectionModel
    from yolov5.utils.general import LOGGER, non_max_suppression
    from yolov5.utils.loss import ComputeLoss
LOGGER.setLevel(logging.ERROR)  # DetectionModel prints its layer table

# The spread of the Detect logits (standard deviation over anchors and positions) per output: x, y, w, h, obj, classes.
LOGIT_STD = (1.0, 1.0, 0.7, 0.7, 1.0)
CLASS_LOGIT_STD = 1.0
CANDIDATES = 150  # anchors with objectness above the score threshold, at least, in every image


def hyp(classes, img_size, nl=3):
    """hyp.scratch-low's loss gains, scaled as train.py scales them."""
    return {"box": 0.05 * 3 / nl, "cls": 0.5 * classes / 80 * 3 / nl, "obj": 1.0 * (img_size / 640) ** 2 * 3 / nl,
            "cls_pw": 1.0, "obj_pw": 1.0, "anchor_t": 4.0, "fl_gamma": 0.0, "label_smoothing": 0.0}


def letterbox(x, size, stride=32):
    """A letterbox of a 1 x 3 x h x w image: scale to fit size, pad to a multiple of stride with 114/255, centred.
    A no-op for the S x S images made here (Spool's real letterbox, Ultralytics' on 8-bit pixels, is compared on
    photographs by export_yolov5_photos.py). Returns the image, (left, top) and the scale (nw / w, nh / h)."""
    h, w = x.shape[2], x.shape[3]
    r = min(size / h, size / w)
    nw, nh = max(1, math.floor(w * r + 0.5)), max(1, math.floor(h * r + 0.5))
    if (nh, nw) != (h, w):
        x = torch.nn.functional.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    pw, ph = (stride - nw % stride) % stride, (stride - nh % stride) % stride
    x = torch.nn.functional.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), value=114 / 255)
    return x, (pw // 2, ph // 2), (nw / w, nh / h)


def make_image(rng, size, boxes, labels):
    """A diagonal gradient between complementary colours, one flat rectangle per object (its colour from its
    class), and faint noise so that no two neighbourhoods are identical (identical pixels give tied scores).
    Every image has the same full contrast: with a single objectness bias, an image with less variation
    would get far fewer detections than the others."""
    a = rng.uniform(0, 255, size=3)
    b = 255 - a
    t = (np.arange(size)[:, None] + np.arange(size)[None, :]) / (2 * size - 2)
    img = a + (b - a) * t[..., None]
    for (x1, y1, x2, y2), c in zip(boxes, labels):
        img[y1:y2, x1:x2] = rng.uniform(0, 255, size=3) * 0.5 + 127 * ((c + np.arange(3)) % 3 == 0)
    img += rng.uniform(-6, 6, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_objects(rng, size, classes):
    """2 to 4 integer boxes of 10% to 60% of the image per side."""
    boxes = []
    for _ in range(int(rng.integers(2, 5))):
        w, h = (int(v) for v in rng.integers(int(0.1 * size), int(0.6 * size) + 1, size=2))
        x1, y1 = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        boxes.append([x1, y1, x1 + w, y1 + h])
    return boxes, [int(c) for c in rng.integers(0, classes, size=len(boxes))]


def perturb(model, images, score):
    """BatchNorm gets random affine parameters and, layer by layer in one eval-mode pass, running statistics
    near those of its input on these images (mean + uniform(-0.2, 0.2) standard deviations, variance times
    uniform(0.5, 1.5)): the PyTorch initialisation alone shrinks the image signal by about 3x in variance per
    layer, leaving the head nearly constant over the image. The Detect convolutions then get random weights,
    scaled so that each output's logits have mean 0 in every image and the spread LOGIT_STD over the batch,
    and one objectness bias that leaves at least CANDIDATES objectness above the score threshold in every image."""

    def calibrate(bn, inputs):
        x = inputs[0]
        mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False).clamp(min=1e-4)
        bn.running_mean.copy_(mean + torch.empty_like(mean).uniform_(-0.2, 0.2) * var.sqrt())
        bn.running_var.copy_(var * torch.empty_like(var).uniform_(0.5, 1.5))

    detect = model.model[-1]
    inputs = {}
    hooks = [conv.register_forward_hook(lambda mod, inp, out, i=i: inputs.__setitem__(i, inp[0]))
             for i, conv in enumerate(detect.m)]
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                hooks.append(m.register_forward_pre_hook(calibrate))
        model.eval()
        model(images)
        for h in hooks:
            h.remove()
        target = torch.tensor(LOGIT_STD + (CLASS_LOGIT_STD,) * detect.nc).repeat(detect.na)
        obj = []
        for i, conv in enumerate(detect.m):
            # Random weights blind to what differs between the images' mean features, so that no image's
            # logits are offset from the others' (which would leave one image with all the detections).
            means = inputs[i].mean((2, 3))
            q = torch.linalg.qr((means - means.mean(0)).T).Q
            w = torch.randn(conv.weight.shape[:2])
            conv.weight.copy_((w - w @ q @ q.T).view_as(conv.weight))
            conv.bias.zero_()
            out = conv(inputs[i])  # images x anchors*(5+classes) x ny x nx
            scale = target / out.std(dim=(0, 2, 3))
            conv.weight.mul_(scale.view(-1, 1, 1, 1))
            conv.bias.copy_(-out.mean(dim=(0, 2, 3)) * scale)
            obj.append(conv(inputs[i]).view(out.shape[0], detect.na, -1, *out.shape[2:])[:, :, 4].flatten(1))
        obj = torch.cat(obj, 1).sort(dim=1, descending=True).values
        shift = math.log(score / (1 - score)) - float(obj[:, min(obj.shape[1] - 1, CANDIDATES)].min())
        for conv in detect.m:
            conv.bias.view(detect.na, -1)[:, 4] += shift


def stable(pred, score, iou, max_det, trials=10, noise=1e-5):
    """Whether non_max_suppression gives the same detections (count, labels and order; scores within 1e-4,
    boxes within 0.01 px) when every decoded output is moved by a relative `noise`, as another implementation's
    rounding moves it: how many of `trials` did."""
    ref = non_max_suppression(pred.clone(), score, iou, max_det=max_det)[0]
    same = 0
    for _ in range(trials):
        moved = pred * (1 + torch.empty_like(pred).uniform_(-noise, noise))
        det = non_max_suppression(moved, score, iou, max_det=max_det)[0]
        same += int(det.shape == ref.shape and torch.equal(det[:, 5], ref[:, 5])
                    and bool((det[:, 4] - ref[:, 4]).abs().le(1e-4).all())
                    and bool((det[:, :4] - ref[:, :4]).abs().le(1e-2).all()))
    return same


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["yolov5s", "yolov5m", "yolov5l", "yolov5x"])
    p.add_argument("out")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--size", type=int, default=320)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--score", type=float, default=0.1)
    p.add_argument("--iou", type=float, default=0.5)
    p.add_argument("--max-det", type=int, default=100)
    a = p.parse_args()
    started = time.perf_counter()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model = DetectionModel(cfg=os.path.join(os.path.dirname(yolov5.__file__), "models", a.model + ".yaml"),
                           ch=3, nc=a.classes)

    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    pixels, targets = [], []
    for i in range(a.images):
        boxes, labels = make_objects(rng, a.size, a.classes)
        img = make_image(rng, a.size, boxes, labels)
        Image.fromarray(img).save(os.path.join(a.out, f"image{i}.png"))
        pixels.append(torch.from_numpy(img).permute(2, 0, 1).float() / 255)
        targets.append({"boxes": boxes, "labels": labels})
    x = torch.stack(pixels)
    with open(os.path.join(a.out, "targets.json"), "w") as f:
        json.dump(targets, f)

    perturb(model, x, a.score)
    safetensors_io.save(model.state_dict(), os.path.join(a.out, "weights.safetensors"))

    model.eval()
    with torch.no_grad():
        raw = model(x)[0]
    safetensors_io.save({"output": raw}, os.path.join(a.out, "raw.safetensors"))

    # Detections: one image at a time, as Spool scores.
    detections, stability = [], []
    with torch.no_grad():
        for img in pixels:
            h, w = img.shape[1], img.shape[2]
            boxed, (left, top), (sx, sy) = letterbox(img[None], a.size)
            pred = model(boxed)[0]
            det = non_max_suppression(pred.clone(), a.score, a.iou, max_det=a.max_det)[0]
            stability.append(stable(pred, a.score, a.iou, a.max_det))
            boxes = det[:, :4].clone()
            boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - left) / sx).clamp(0, w)
            boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - top) / sy).clamp(0, h)
            detections.append({"boxes": boxes.tolist(), "scores": det[:, 4].tolist(),
                               "labels": det[:, 5].long().tolist()})
    with open(os.path.join(a.out, "detections.json"), "w") as f:
        json.dump(detections, f)

    # Losses in training mode (batch statistics; the saved weights are unaffected). Ultralytics' targets are
    # rows (image, class, cx, cy, w, h), normalised to the image.
    rows = [[i, c, (b[0] + b[2]) / 2 / a.size, (b[1] + b[3]) / 2 / a.size, (b[2] - b[0]) / a.size,
             (b[3] - b[1]) / a.size]
            for i, t in enumerate(targets) for b, c in zip(t["boxes"], t["labels"])]
    model.hyp = hyp(a.classes, a.size)
    model.train()
    with torch.no_grad():
        _, parts = ComputeLoss(model)(model(x), torch.tensor(rows, dtype=torch.float32))
    losses = {name: float(v) * a.images for name, v in zip(("loss_box", "loss_obj", "loss_cls"), parts)}
    with open(os.path.join(a.out, "losses.json"), "w") as f:
        json.dump(losses, f)

    scores = [s for d in detections for s in d["scores"]]
    print(f"{a.model} {a.size}px: detections {[len(d['scores']) for d in detections]}, scores "
          f"{min(scores, default=0):.3f}-{max(scores, default=0):.3f}, unchanged by 1e-5 noise in "
          f"{stability} of 10 trials; losses "
          + ", ".join(f"{k[5:]} {v:.4f}" for k, v in losses.items()) + f"; {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
