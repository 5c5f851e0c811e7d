"""Object detection scoring: Azure's {"boxes": [{"box": {"topX", "topY", "bottomX", "bottomY"}, "label",
"score"}]} per image, boxes normalised to the image; with tiling, the whole image and every tile are scored and
their boxes merged by per-label NMS (spec section 5). YOLOv5 models are scored by spool_scoring.yolov5 (settings
img_size, box_score_thresh, box_iou_thresh, box_detections_per_img)."""
import math

import torch

from . import yolov5
from .preprocess import to_unit_float

SETTINGS = ("min_size", "max_size", "img_size", "box_score_thresh", "box_nms_thresh", "box_iou_thresh",
            "box_detections_per_img", "tile_grid_size", "tile_overlap_ratio", "tile_predictions_nms_thresh")


def inference_settings(manifest, settings):
    """model.json's detection settings, each replaced by model_settings' value where that is not None."""
    out = dict(manifest.get("detection") or {})
    for key in SETTINGS:
        if settings.get(key) is not None:
            out[key] = settings[key]
    grid = out.get("tile_grid_size")
    if isinstance(grid, str):  # "3x2" or "(3, 2)"
        parts = grid.replace("(", "").replace(")", "").replace("x", ",").split(",")
        out["tile_grid_size"] = [int(p) for p in parts if p.strip()]
    return out


def tiles(width, height, grid, overlap):
    """The tiles of an image as (x1, y1, x2, y2) pixels: `grid` columns x rows, each overlapping its
    neighbours by `overlap` of its size, as the engine cuts them."""
    cols, rows = int(grid[0]), int(grid[1])
    tw = width / (cols - (cols - 1) * overlap)
    th = height / (rows - (rows - 1) * overlap)

    def half_up(v):  # the engine's rounding (Python's round() rounds half to even)
        return int(math.floor(v + 0.5))

    out = []
    for r in range(rows):
        for c in range(cols):
            x1 = half_up(c * tw * (1 - overlap))
            y1 = half_up(r * th * (1 - overlap))
            out.append((x1, y1, min(width, half_up(x1 + tw)), min(height, half_up(y1 + th))))
    return out


def detect(model, image, device, label_offset):
    """Boxes (pixels), scores, labels (class indices from 0) of one float image."""
    out = model([image.to(device)])[0]
    return out["boxes"].float().cpu(), out["scores"].float().cpu(), out["labels"].cpu() - label_offset


def results(model, manifest, settings, images, filenames, device):
    import torchvision

    classes = manifest["classes"]
    s = inference_settings(manifest, settings)
    name = manifest["architecture"]["name"]
    if name.startswith("yolov5"):
        # model.json keeps yolov5's box_iou_thresh as its box_nms_thresh; model_settings may name either.
        iou = s.get("box_iou_thresh")
        iou = float(s["box_nms_thresh"] if iou is None else iou)

        def scored(rgb):
            return yolov5.detect(model, rgb, int(s["img_size"]), float(s["box_score_thresh"]), iou,
                                 int(s["box_detections_per_img"]), device)
    else:
        # Faster R-CNN's labels count from 1 (0 is the background); RetinaNet's from 0.
        label_offset = 0 if name.startswith("retinanet") else 1

        def scored(rgb):
            return detect(model, to_unit_float(rgb), device, label_offset)
    grid = s.get("tile_grid_size")
    out = []
    with torch.no_grad():
        for filename, rgb in zip(filenames, images):
            h, w = rgb.shape[0], rgb.shape[1]
            boxes, scores, labels = scored(rgb)
            if grid:
                parts = [(boxes, scores, labels)]
                for (x1, y1, x2, y2) in tiles(w, h, grid, float(s.get("tile_overlap_ratio", 0.25))):
                    b, sc, lb = scored(rgb[y1:y2, x1:x2])
                    parts.append((b + torch.tensor([x1, y1, x1, y1], dtype=b.dtype), sc, lb))
                boxes = torch.cat([p[0] for p in parts])
                scores = torch.cat([p[1] for p in parts])
                labels = torch.cat([p[2] for p in parts])
                iou = float(s.get("tile_predictions_nms_thresh", 0.25))
                keep = torchvision.ops.batched_nms(boxes, scores, labels, iou)
                keep = keep[: int(s.get("box_detections_per_img", 100))]
                boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            result = {"filename": filename} if filename is not None else {}
            result["boxes"] = [
                {"box": {"topX": b[0] / w, "topY": b[1] / h, "bottomX": b[2] / w, "bottomY": b[3] / h},
                 "label": classes[int(lb)], "score": float(sc)}
                for b, sc, lb in zip(boxes.tolist(), scores.tolist(), labels.tolist())
            ]
            out.append(result)
    return out
