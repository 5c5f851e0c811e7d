#!/usr/bin/env python3
"""Reference detection metrics for the tests: pycocotools' COCOeval (bbox, or segm) and a Pascal VOC evaluation
(the devkit's all-point AP, crowd objects as "difficult"), on the images, truths and detections of a JSON file:

    {"classes": N, "iou": 0.5, "iou_type": "bbox" or "segm", "images": [{"width", "height",
        "truths": [{"box": [x1, y1, x2, y2], "label": k, "crowd": bool, "rle": [counts] (segm)}],
        "detections": [{"box": [...], "label": k, "score": s, "rle": [counts] (segm)}]}]}

With segm, each box has a mask as COCO's uncompressed RLE (column-major run lengths from zeros): COCOeval
and the VOC evaluation compare masks (maskUtils.iou), and areas are the masks'.

Prints {"coco_stats": [12 numbers], "coco_per_class": [AP or null], "voc_ap": [AP or null], "voc_map": m}.
Used only by the tests, never by Spool.
"""
import contextlib
import io
import json
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from pycocotools import mask as mask_utils


def rle(obj, im):
    h, w = int(im["height"]), int(im["width"])
    return mask_utils.frPyObjects({"size": [h, w], "counts": obj["rle"]}, h, w)


def coco(data):
    segm = data.get("iou_type") == "segm"
    gt = {"images": [], "annotations": [], "categories": [{"id": k + 1, "name": str(k)} for k in range(data["classes"])]}
    dets = []
    ann = 1
    for i, im in enumerate(data["images"]):
        gt["images"].append({"id": i + 1, "width": im["width"], "height": im["height"]})
        for t in im["truths"]:
            x1, y1, x2, y2 = t["box"]
            a = {"id": ann, "image_id": i + 1, "category_id": t["label"] + 1, "bbox": [x1, y1, x2 - x1, y2 - y1],
                 "area": (x2 - x1) * (y2 - y1), "iscrowd": int(t["crowd"])}
            if segm:
                a["segmentation"] = rle(t, im)
                a["area"] = float(mask_utils.area(a["segmentation"]))
            gt["annotations"].append(a)
            ann += 1
        for d in im["detections"]:
            x1, y1, x2, y2 = d["box"]
            r = {"image_id": i + 1, "category_id": d["label"] + 1, "score": d["score"]}
            if segm:
                r["segmentation"] = rle(d, im)
            else:
                r["bbox"] = [x1, y1, x2 - x1, y2 - y1]
            dets.append(r)
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = gt
        c.createIndex()
        r = c.loadRes(dets) if dets else COCO()
        e = COCOeval(c, r, "segm" if segm else "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    per_class = []
    for k in range(data["classes"]):
        p = e.eval["precision"][:, :, k, 0, 2]
        per_class.append(float(np.mean(p[p > -1])) if (p > -1).any() else None)
    return [float(s) for s in e.stats], per_class


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def voc(data):
    aps = []
    for k in range(data["classes"]):
        npos = sum(1 for im in data["images"] for t in im["truths"] if t["label"] == k and not t["crowd"])
        dets = [(d["score"], i, d["box"]) for i, im in enumerate(data["images"]) for d in im["detections"] if d["label"] == k]
        # Each detection's object, for its mask.
        dets_by_image = [im["detections"] for im in data["images"]]
        j_in_image = [n for i, im in enumerate(data["images"]) for n, d in enumerate(im["detections"]) if d["label"] == k]
        order = np.argsort([-s for s, _, _ in dets], kind="mergesort")
        used = set()
        tp, fp = [], []
        for j in order:
            _, i, box = dets[j]
            truths = [(n, t) for n, t in enumerate(data["images"][i]["truths"]) if t["label"] == k]
            best, arg = -1.0, None
            for n, t in truths:
                if data.get("iou_type") == "segm":
                    im = data["images"][i]
                    o = float(mask_utils.iou([rle(dets_by_image[i][j_in_image[j]], im)], [rle(t, im)], [int(t["crowd"])])[0][0])
                else:
                    o = iou(box, t["box"])
                if o > best:
                    best, arg = o, n
            if arg is not None and best >= data["iou"]:
                if data["images"][i]["truths"][arg]["crowd"]:
                    continue
                if (i, arg) in used:
                    tp.append(0); fp.append(1)
                else:
                    used.add((i, arg)); tp.append(1); fp.append(0)
            else:
                tp.append(0); fp.append(1)
        if npos == 0:
            aps.append(None)
            continue
        tp, fp = np.cumsum(tp), np.cumsum(fp)
        rec = tp / float(npos)
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        mrec = np.concatenate(([0.0], rec, [1.0]))
        mpre = np.concatenate(([0.0], prec, [0.0]))
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = max(mpre[i - 1], mpre[i])
        i = np.where(mrec[1:] != mrec[:-1])[0]
        aps.append(float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])))
    defined = [a for a in aps if a is not None]
    return aps, (float(np.mean(defined)) if defined else 0.0)


data = json.load(open(sys.argv[1]))
stats, per_class = coco(data)
aps, m = voc(data)
print(json.dumps({"coco_stats": stats, "coco_per_class": per_class, "voc_ap": aps, "voc_map": m}))
