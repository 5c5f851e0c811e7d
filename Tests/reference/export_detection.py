#!/usr/bin/env python3
"""Builds a torchvision detector with random weights and writes what the engine's detection parity tests
compare against:

    OUT_DIR/weights.safetensors    the state dict (reference names)
    OUT_DIR/image0.png, image1.png two images of different sizes (8-bit RGB: both sides read the same pixels)
    OUT_DIR/targets.json           per image: boxes (pixels) and labels (from 1), for the training losses
    OUT_DIR/detections.json        per image, in evaluation mode: boxes (pixels), scores, labels
    OUT_DIR/losses.json            in training mode, after torch.manual_seed(SEED + 1): every loss by name
    OUT_DIR/masks.safetensors      Mask R-CNN: per image ("image0", ...), the first 20 detections' pasted masks
                                   (probabilities, n x H x W)

Usage: python export_detection.py MODEL OUT_DIR [--classes N] [--min-size N] [--max-size N] [--seed N]
MODEL: fasterrcnn_resnet{18,34,50,101,152}_fpn, fasterrcnn_mobilenet_v3_large_fpn, maskrcnn_resnet{18,...}_fpn,
retinanet_resnet50_fpn or fcos_resnet50_fpn.

Mask R-CNN's objects are given as polygons too (targets.json), their vertices 0.2 px inside the edges of the
masks used here, so that any rasteriser gives these masks; the boxes are the masks' (whole pixels).

Batch norm is trainable (as when training from scratch) with perturbed statistics; the heads get wider
random weights than their initialisation, so scores spread and the detections are well ordered.
Used only by the tests, never by Spool.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.models.detection import FasterRCNN, MaskRCNN, RetinaNet
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def build(name, classes, min_size, max_size, score):
    common = dict(min_size=min_size, max_size=max_size)
    if name.startswith("fasterrcnn_resnet"):
        depth = name[len("fasterrcnn_resnet"):-len("_fpn")]
        backbone = resnet_fpn_backbone(backbone_name=f"resnet{depth}", weights=None, trainable_layers=5,
                                       norm_layer=torch.nn.BatchNorm2d)
        return FasterRCNN(backbone, num_classes=classes + 1, box_score_thresh=score, **common)
    if name.startswith("maskrcnn_resnet"):
        depth = name[len("maskrcnn_resnet"):-len("_fpn")]
        backbone = resnet_fpn_backbone(backbone_name=f"resnet{depth}", weights=None, trainable_layers=5,
                                       norm_layer=torch.nn.BatchNorm2d)
        return MaskRCNN(backbone, num_classes=classes + 1, box_score_thresh=score, **common)
    if name == "fasterrcnn_mobilenet_v3_large_fpn":
        return torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn(
            weights=None, weights_backbone=None, num_classes=classes + 1, box_score_thresh=score, **common)
    if name == "retinanet_resnet50_fpn":
        return torchvision.models.detection.retinanet_resnet50_fpn(
            weights=None, weights_backbone=None, num_classes=classes, score_thresh=score, detections_per_img=100, **common)
    if name == "fcos_resnet50_fpn":
        return torchvision.models.detection.fcos_resnet50_fpn(
            weights=None, weights_backbone=None, num_classes=classes, score_thresh=score, nms_thresh=0.5,
            detections_per_img=100, **common)
    raise SystemExit(f"unknown model {name}")


def calibrate_batch_norm(body):
    """MobileNetV3 with random weights fades its input away (spatial spread 1e-3 of the features' by the last
    stage), so that boxes pool the same features and their scores tie: its BatchNorm statistics are set to one
    noise batch's (the perturbed affine parameters stay), which keeps every stage's output spread."""
    norms = [m for m in body.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in norms:
        m.momentum = 1.0
    body.train()
    with torch.no_grad():
        body(torch.randn(2, 3, 160, 224))
    for m in norms:
        m.momentum = 0.1
    body.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--min-size", type=int, default=160)
    p.add_argument("--max-size", type=int, default=320)
    p.add_argument("--score", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model = build(a.model, a.classes, a.min_size, a.max_size, a.score)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        # A bottleneck ResNet with random weights and unit-scale residual branches grows its features to ~1e3,
        # where torchvision's own output moves by 0.03 px between one and two threads: small residual scales
        # (as zero_init_residual does) keep the network well conditioned, so parity is measurable.
        for name, m in model.named_modules():
            if name.endswith(".bn3"):
                m.weight.uniform_(0.05, 0.2)
        for name, param in model.named_parameters():
            if "roi_heads.box_predictor.cls_score" in name:
                param.normal_(0, 0.02 if param.dim() > 1 else 0.3)
            if "classification_head.cls_logits.weight" in name:
                param.normal_(0, 0.002)
            if "classification_head.cls_logits.bias" in name:
                param.uniform_(-3.0, -1.0)
            if "roi_heads.mask_predictor.mask_fcn_logits.weight" in name:
                param.normal_(0, 0.01)  # mask probabilities spread over (0, 1), not saturated
            if "roi_heads.box_predictor.bbox_pred" in name or "bbox_reg" in name:
                param.normal_(0, 0.02)
    if a.model == "fasterrcnn_mobilenet_v3_large_fpn":
        calibrate_batch_norm(model.backbone.body)
    os.makedirs(a.out, exist_ok=True)
    safetensors_io.save({k: v for k, v in model.state_dict().items()}, os.path.join(a.out, "weights.safetensors"))

    rng = np.random.default_rng(a.seed)
    sizes = [(200, 260), (240, 180)]
    masked = a.model.startswith("maskrcnn")
    images, targets, polygons = [], [], []
    for i, (h, w) in enumerate(sizes):
        pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        target = {"labels": torch.tensor([1, min(2, a.classes)], dtype=torch.int64)}
        if masked:
            # An L of two parts, and a rectangle: masks the loss can tell from their boxes.
            parts = [[[30.2, 40.2, 109.8, 40.2, 109.8, 79.8, 30.2, 79.8], [30.2, 80.2, 69.8, 80.2, 69.8, 119.8, 30.2, 119.8]],
                     [[120.2, 100.2, 169.8, 100.2, 169.8, 169.8, 120.2, 169.8]]]
            masks = np.zeros((2, h, w), dtype=np.uint8)
            masks[0, 40:80, 30:110] = 1
            masks[0, 80:120, 30:70] = 1
            masks[1, 100:170, 120:170] = 1
            pixels[masks[0] == 1] = [220, 40, 40]
            pixels[masks[1] == 1] = [40, 40, 220]
            target["boxes"] = torch.tensor([[30.0, 40.0, 110.0, 120.0], [120.0, 100.0, 170.0, 170.0]])
            target["masks"] = torch.from_numpy(masks)
            polygons.append(parts)
        else:
            # Two bright rectangles: objects with structure, and boxes the losses can match.
            pixels[40:120, 30:110] = [220, 40, 40]
            pixels[100:170, 120:170] = [40, 40, 220]
            target["boxes"] = torch.tensor([[30.0, 40.0, 110.0, 120.0], [120.0, 100.0, 170.0, 170.0]])
        Image.fromarray(pixels).save(os.path.join(a.out, f"image{i}.png"))
        images.append(torch.from_numpy(pixels).permute(2, 0, 1).float() / 255)
        targets.append(target)
    with open(os.path.join(a.out, "targets.json"), "w") as f:
        json.dump([dict({"width": w, "height": h, "boxes": t["boxes"].tolist(), "labels": t["labels"].tolist()},
                        **({"polygons": polygons[i]} if masked else {}))
                   for i, ((h, w), t) in enumerate(zip(sizes, targets))], f)

    model.eval()
    with torch.no_grad():
        out = model(images)
    with open(os.path.join(a.out, "detections.json"), "w") as f:
        json.dump([{"boxes": o["boxes"].tolist(), "scores": o["scores"].tolist(), "labels": o["labels"].tolist()} for o in out], f)
    if masked:
        safetensors_io.save({f"image{i}": o["masks"][:20, 0].contiguous().float() for i, o in enumerate(out)},
                            os.path.join(a.out, "masks.safetensors"))

    model.train()
    torch.manual_seed(a.seed + 1)
    losses = model(images, targets)
    with open(os.path.join(a.out, "losses.json"), "w") as f:
        json.dump({k: float(v) for k, v in losses.items()}, f)


if __name__ == "__main__":
    main()
