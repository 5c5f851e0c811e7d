"""Object detection scoring: Azure's {"boxes": [{"box": {"topX", "topY", "bottomX", "bottomY"}, "label",
"score"}]} per image, boxes normalised to the image; with tiling, the whole image and every tile are scored and
their boxes merged by per-label NMS (spec section 5). YOLOv5 models are scored by spool_scoring.yolov5 (settings
img_size, box_score_thresh, box_iou_thresh, box_detections_per_img). Instance segmentation (Mask R-CNN): each box
also has "polygon", the outline of its mask above mask_pixel_score_threshold (OpenCV's findContours, simplified to
max_number_of_polygon_points), as Spool's engine draws it."""
import math

import numpy as np
import torch

from . import architectures, yolov5
from .preprocess import to_unit_float

SETTINGS = ("min_size", "max_size", "img_size", "box_score_thresh", "box_nms_thresh", "box_iou_thresh",
            "box_detections_per_img", "tile_grid_size", "tile_overlap_ratio", "tile_predictions_nms_thresh",
            "mask_pixel_score_threshold", "max_number_of_polygon_points")


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
    """Boxes (pixels), scores, labels (class indices from 0) of one float image; and its masks (n x H x W
    probabilities) for a segmentation model, else None."""
    out = model([image.to(device)])[0]
    masks = out["masks"][:, 0].float().cpu() if "masks" in out else None
    return out["boxes"].float().cpu(), out["scores"].float().cpu(), out["labels"].cpu() - label_offset, masks


def polygons(mask, threshold, max_points):
    """The outer boundary of each region of `mask` above `threshold`, through its boundary pixels' centres,
    simplified (Douglas-Peucker, the tolerance doubled from 0.5 px until it fits; should that leave fewer than 3,
    `max_points` of the last outline's points evenly spaced) to at most `max_points` points; larger regions first;
    parts of fewer than 3 points dropped. Normalised [x1, y1, x2, y2, ...] lists, as Spool's engine draws them."""
    try:
        import cv2
    except ImportError:
        raise ImportError("instance segmentation's polygons need OpenCV (the cv2 module) to trace the masks' "
                          "outlines: apt install python3-opencv (Debian, Ubuntu), "
                          "or pip install opencv-python-headless") from None
    height, width = mask.shape
    binary = np.ascontiguousarray((mask > threshold).numpy().astype(np.uint8))
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contours = sorted(contours, key=lambda c: -abs(cv2.contourArea(c)))
    limit = max(3, int(max_points))
    out = []
    for contour in contours:
        points, epsilon = contour, 0.5
        while len(points) > limit:
            simpler = cv2.approxPolyDP(contour, epsilon, True)
            if len(simpler) < 3:  # too coarse: `limit` of the last outline's points, evenly spaced
                points = points[[i * len(points) // limit for i in range(limit)]]
                break
            points, epsilon = simpler, epsilon * 2
        if len(points) < 3:
            continue
        flat = []
        for x, y in points.reshape(-1, 2).tolist():
            flat += [(x + 0.5) / width, (y + 0.5) / height]
        out.append(flat)
    return out


def results(model, manifest, settings, images, filenames, device):
    import torchvision

    classes = manifest["classes"]
    s = inference_settings(manifest, settings)
    family = architectures.family(manifest["architecture"])
    if family == "yolo":
        # model.json keeps yolov5's box_iou_thresh as its box_nms_thresh; model_settings may name either.
        iou = s.get("box_iou_thresh")
        iou = float(s["box_nms_thresh"] if iou is None else iou)

        def scored(rgb):
            return yolov5.detect(model, rgb, int(s["img_size"]), float(s["box_score_thresh"]), iou,
                                 int(s["box_detections_per_img"]), device) + (None,)
    else:
        # The two-stage R-CNNs' labels count from 1 (0 is the background); the one-stage detectors' from 0.
        label_offset = 1 if family == "two_stage_rcnn" else 0

        def scored(rgb):
            return detect(model, to_unit_float(rgb), device, label_offset)
    grid = s.get("tile_grid_size")
    out = []
    with torch.no_grad():
        for filename, rgb in zip(filenames, images):
            h, w = rgb.shape[0], rgb.shape[1]
            boxes, scores, labels, masks = scored(rgb)
            if grid:
                parts = [(boxes, scores, labels)]
                for (x1, y1, x2, y2) in tiles(w, h, grid, float(s.get("tile_overlap_ratio", 0.25))):
                    b, sc, lb, _ = scored(rgb[y1:y2, x1:x2])
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
            if masks is not None:
                threshold = float(s.get("mask_pixel_score_threshold", 0.5))
                points = int(s.get("max_number_of_polygon_points", 100))
                for box, mask in zip(result["boxes"], masks):
                    box["polygon"] = polygons(mask, threshold, points)
            out.append(result)
    return out
