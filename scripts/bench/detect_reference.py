#!/usr/bin/env python3
"""torchvision's reference detection training loop on a Spool bundle, for scripts/bench-detect.sh.

What torchvision's references/detection/train.py does for one model, without its distributed and logging
parts: a Dataset decoding each image with PIL and converting the normalised JSONL boxes to pixels, a
horizontal flip with probability 0.5 (boxes flipped too), a DataLoader with `--workers` worker processes and
the detection collate (lists of images and targets), FasterRCNN, RetinaNet or MaskRCNN (its polygons
rasterised per image with PIL's ImageDraw, flipped with the image) built as Spool builds them
(backbone from scratch: trainable BatchNorm, every layer), SGD with momentum, and a forward+backward+step per
batch. Prints nothing but a JSON file: images/s per epoch (the first is the warm-up), and scoring images/s of
the trained model in eval mode on the validation images (decode included).
"""
import argparse
import json
import os
import random
import time

import torch
import torchvision
from PIL import Image, ImageDraw
from torchvision.models.detection import FasterRCNN, MaskRCNN, RetinaNet
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.transforms import functional as TF


def read_jsonl(bundle, name, classes=None):
    rows = [json.loads(line) for line in open(os.path.join(bundle, name)) if line.strip()]
    if classes is None:
        classes = sorted({o["label"] for r in rows for o in r["label"]})
    return rows, classes


def box_of(o):
    """An object's box: its corners, or its polygons' bounds (segmentation rows)."""
    if "polygon" in o:
        xs = [v for part in o["polygon"] for v in part[0::2]]
        ys = [v for part in o["polygon"] for v in part[1::2]]
        return min(xs), min(ys), max(xs), max(ys)
    return float(o["topX"]), float(o["topY"]), float(o["bottomX"]), float(o["bottomY"])


def mask_of(o, w, h):
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    for part in o["polygon"]:
        draw.polygon([(x * w, y * h) for x, y in zip(part[0::2], part[1::2])], fill=1)
    return torch.from_numpy(__import__("numpy").asarray(canvas, dtype="uint8").copy())


class Boxes(torch.utils.data.Dataset):
    def __init__(self, bundle, rows, classes, train, first_label=1, masks=False):
        # Two-stage detectors keep label 0 for the background; RetinaNet's classes start at 0.
        self.bundle, self.rows, self.train, self.masks = bundle, rows, train, masks
        self.index = {c: i + first_label for i, c in enumerate(classes)}

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        image = Image.open(os.path.join(self.bundle, row["image_url"])).convert("RGB")
        w, h = image.size
        boxes = torch.tensor([[c * (w if k % 2 == 0 else h) for k, c in enumerate(box_of(o))]
                              for o in row["label"]], dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([self.index[o["label"]] for o in row["label"]], dtype=torch.int64)
        tensor = TF.pil_to_tensor(image).float() / 255
        target = {"boxes": boxes, "labels": labels}
        if self.masks:
            target["masks"] = torch.stack([mask_of(o, w, h) for o in row["label"]]) if row["label"] else torch.zeros((0, h, w), dtype=torch.uint8)
        if self.train and random.random() < 0.5:
            tensor = tensor.flip(-1)
            target["boxes"] = torch.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], dim=1)
            if self.masks:
                target["masks"] = target["masks"].flip(-1)
        return tensor, target


def collate(batch):
    return tuple(zip(*batch))


def build(name, num_classes, size):
    depth = name.split("_")[1]
    if name.startswith("retinanet"):
        backbone = resnet_fpn_backbone(backbone_name=depth, weights=None, trainable_layers=5,
                                       returned_layers=[2, 3, 4],
                                       extra_blocks=torchvision.ops.feature_pyramid_network.LastLevelP6P7(256, 256))
        return RetinaNet(backbone, num_classes=num_classes, min_size=size, max_size=size)
    backbone = resnet_fpn_backbone(backbone_name=depth, weights=None, trainable_layers=5)
    if name.startswith("maskrcnn"):
        return MaskRCNN(backbone, num_classes=num_classes + 1, min_size=size, max_size=size)
    return FasterRCNN(backbone, num_classes=num_classes + 1, min_size=size, max_size=size)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bundle", required=True)
    p.add_argument("--model", default="fasterrcnn_resnet18_fpn")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    random.seed(0)
    train_rows, classes = read_jsonl(a.bundle, "train.jsonl")
    valid_rows, _ = read_jsonl(a.bundle, "valid.jsonl", classes)
    first_label = 0 if a.model.startswith("retinanet") else 1
    dataset = Boxes(a.bundle, train_rows, classes, True, first_label, masks=a.model.startswith("maskrcnn"))
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, shuffle=True,
                                         num_workers=a.workers, collate_fn=collate, drop_last=True,
                                         persistent_workers=a.workers > 0)
    model = build(a.model, len(classes), a.size)
    params = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.005, momentum=0.9, weight_decay=1e-4)
    history = []
    model.train()
    for epoch in range(a.epochs):
        started, images = time.perf_counter(), 0
        for inputs, targets in loader:
            losses = model(list(inputs), list(targets))
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            images += len(inputs)
        seconds = time.perf_counter() - started
        history.append({"epoch": epoch + 1, "images_per_second": images / seconds, "seconds": seconds})
    measured = history[1:] or history
    total_images = sum(h["images_per_second"] * h["seconds"] for h in measured)
    total_seconds = sum(h["seconds"] for h in measured)

    # Scoring: eval mode, one image at a time as a scoring request does, decode included.
    model.eval()
    paths = [os.path.join(a.bundle, r["image_url"]) for r in valid_rows]
    with torch.no_grad():
        model([TF.pil_to_tensor(Image.open(paths[0]).convert("RGB")).float() / 255])  # warm-up
        started = time.perf_counter()
        for path in paths:
            model([TF.pil_to_tensor(Image.open(path).convert("RGB")).float() / 255])
        scoring = len(paths) / (time.perf_counter() - started)
    with open(a.out, "w") as f:
        json.dump({"images_per_second": total_images / total_seconds, "history": history, "threads": a.threads,
                   "scoring_images_per_second": scoring, "torch": torch.__version__,
                   "torchvision": torchvision.__version__}, f, indent=1)


if __name__ == "__main__":
    main()
