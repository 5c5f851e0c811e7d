#!/usr/bin/env python3
"""Ultralytics' YOLOv5 training step on a Spool detection bundle, the reference side of a YOLOv5 throughput
benchmark. Run with a Python that has the `yolov5` package (v7.0; .venv-yolo).

What Ultralytics' train.py does per batch, without its mosaic, HSV and affine augmentation, EMA, AMP, warm-up
and logging:
  * images and boxes from an Azure/Spool detection JSONL ({"image_url", "label": [{"label", "topX", "topY",
    "bottomX", "bottomY"}]}, coordinates normalised to the image; image paths relative to the JSONL's folder);
  * each image read with cv2, letterboxed to S x S as Ultralytics' dataset does without augmentation (longer
    side to S, INTER_AREA when shrinking, INTER_LINEAR otherwise; padded with 114, centred), flipped left-right
    with probability --fliplr (hyp.scratch-low's 0.5); a DataLoader with --workers processes;
  * DetectionModel(yolov5s.yaml, nc = the bundle's classes), from scratch; ComputeLoss with hyp.scratch-low's
    gains scaled as train.py scales them (box 3/nl, cls nc/80 * 3/nl, obj (S/640)^2 * 3/nl);
  * SGD(lr 0.01, momentum 0.937, Nesterov), forward + loss + backward + step and loss.item() per step;
  * torch.set_num_threads(--threads); OPENBLAS_NUM_THREADS comes from the environment.

--steps steps in all; the first --warmup are not timed. Throughput counts from the end of the warm-up to the
last step, batch loading included. Prints one JSON line.

Usage: yolo_reference.py --images BUNDLE_DIR_OR_JSONL --img-size S --batch B --steps N --threads T --warmup W
"""
import argparse
import contextlib
import io
import json
import logging
import os
import random
import tempfile
import time

import cv2
import numpy as np
import torch

os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo-config-"))
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import yolov5  # its import prints settings notices
    from yolov5.models.yolo import DetectionModel
    from yolov5.utils.general import LOGGER
    from yolov5.utils.loss import ComputeLoss
LOGGER.setLevel(logging.ERROR)  # DetectionModel prints its layer table


def read_jsonl(path):
    """(image path, [[class index, x1, y1, x2, y2] normalised]) per row, and the sorted class names."""
    rows = [json.loads(line) for line in open(path) if line.strip()]
    classes = sorted({o["label"] for r in rows for o in r["label"]})
    index = {c: i for i, c in enumerate(classes)}
    root = os.path.dirname(os.path.abspath(path))
    items = [(os.path.join(root, r["image_url"]),
              [[index[o["label"]], float(o["topX"]), float(o["topY"]), float(o["bottomX"]), float(o["bottomY"])]
               for o in r["label"]])
             for r in rows]
    return items, classes


def letterbox(img, size):
    """Longer side to `size`, then padded with 114 to size x size, centred. Returns the image, the scaled
    width and height, and the left and top padding."""
    h, w = img.shape[:2]
    r = size / max(h, w)
    nw, nh = round(w * r), round(h * r)
    if (nw, nh) != (w, h):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
    dw, dh = (size - nw) / 2, (size - nh) / 2
    left, top = int(round(dw - 0.1)), int(round(dh - 0.1))
    img = cv2.copyMakeBorder(img, top, size - nh - top, left, size - nw - left, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    return img, nw, nh, left, top


class Boxes(torch.utils.data.Dataset):
    def __init__(self, items, size, fliplr):
        self.items, self.size, self.fliplr = items, size, fliplr

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, objects = self.items[i]
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(path)
        img, nw, nh, left, top = letterbox(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), self.size)
        # Ultralytics' label rows: (image in batch, class, cx, cy, w, h), normalised to the letterboxed image.
        b = np.array(objects, dtype=np.float64).reshape(-1, 5)
        x1, x2 = (b[:, 1] * nw + left) / self.size, (b[:, 3] * nw + left) / self.size
        y1, y2 = (b[:, 2] * nh + top) / self.size, (b[:, 4] * nh + top) / self.size
        labels = np.stack([np.zeros(len(b)), b[:, 0], (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
        if random.random() < self.fliplr:
            img = np.fliplr(img)
            labels[:, 2] = 1 - labels[:, 2]
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))), torch.from_numpy(labels).float()


def collate(batch):
    images, labels = zip(*batch)
    for i, lb in enumerate(labels):
        lb[:, 0] = i
    return torch.stack(images), torch.cat(labels)


def hyp(classes, img_size, nl=3):
    """hyp.scratch-low's loss gains, scaled as train.py scales them."""
    return {"box": 0.05 * 3 / nl, "cls": 0.5 * classes / 80 * 3 / nl, "obj": 1.0 * (img_size / 640) ** 2 * 3 / nl,
            "cls_pw": 1.0, "obj_pw": 1.0, "anchor_t": 4.0, "fl_gamma": 0.0, "label_smoothing": 0.0}


def batches(loader):
    while True:
        yield from loader


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", required=True, help="a bundle folder (its train.jsonl) or a JSONL file")
    p.add_argument("--img-size", type=int, required=True)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, required=True, help="steps in all, warm-up included")
    p.add_argument("--warmup", type=int, default=2, help="steps before the clock starts")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--fliplr", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.steps <= a.warmup:
        p.error("--steps must exceed --warmup")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    jsonl = os.path.join(a.images, "train.jsonl") if os.path.isdir(a.images) else a.images
    items, classes = read_jsonl(jsonl)
    loader = torch.utils.data.DataLoader(Boxes(items, a.img_size, a.fliplr), batch_size=a.batch, shuffle=True,
                                         num_workers=a.workers, collate_fn=collate, drop_last=True,
                                         persistent_workers=a.workers > 0)
    model = DetectionModel(cfg=os.path.join(os.path.dirname(yolov5.__file__), "models", "yolov5s.yaml"), ch=3,
                           nc=len(classes))
    model.hyp = hyp(len(classes), a.img_size)
    compute_loss = ComputeLoss(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.937, nesterov=True)
    model.train()
    losses, started, stream = [], None, batches(loader)
    for step in range(a.steps):
        if step == a.warmup:
            started = time.perf_counter()
        images, targets = next(stream)
        loss, _ = compute_loss(model(images.float() / 255), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - started
    timed = a.steps - a.warmup
    print(json.dumps({"images_per_second": timed * a.batch / seconds, "seconds": seconds, "timed_steps": timed,
                      "warmup_steps": a.warmup, "batch": a.batch, "img_size": a.img_size, "threads": a.threads,
                      "workers": a.workers, "classes": len(classes), "images": len(items),
                      "first_loss": losses[0], "last_loss": losses[-1], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
