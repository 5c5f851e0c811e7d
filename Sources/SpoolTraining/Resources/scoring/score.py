# score.py: scores images with this Spool model folder, in Azure ML's AutoML for images scoring contract.
#
#   init()     loads the model (model.json + weights.safetensors, beside this file by default)
#   run(data)  scores images and returns JSON, one object per input (an input that cannot be scored gets
#              {"error": "input N (file): why"} in its place; the rest of the batch is scored):
#              classification: {"probs": [...], "labels": [...]}, every class in class order (softmax for
#              multiclass models, sigmoid for multilabel ones);
#              object detection: {"boxes": [{"box": {"topX", "topY", "bottomX", "bottomY"}, "label", "score"}]},
#              boxes normalised to the image;
#              instance segmentation: as detection, each box with "polygon": [[x1, y1, x2, y2, ...], ...], its
#              mask's outline (every part), normalised.
#
# `data` is the raw bytes of one image (PNG, JPEG, BMP, TIFF, WebP), a list of them, a base64 string, a path
# (str or pathlib.Path; its result then carries "filename"), a JSON text, or Azure's v2 request
# {"input_data": {"columns": ["image"], "data": [BASE64, ...]}}.
#
# Needs torch, torchvision and numpy (and Pillow, which torchvision depends on, to decode images); uses timm and
# safetensors when importable; instance segmentation also needs OpenCV (cv2) for polygons: Debian's
# `apt install python3-opencv`, or `pip install opencv-python-headless`.
# The model is the reference architecture model.json names, so the weights load as they are. Preprocessing
# reproduces `spoolctl predict` bit for bit.
#
# From a shell:  python3 score.py IMAGE...      (prints the JSON)
# Written by Spool into every model folder with the spool_scoring package beside it; edit `model_settings`
# below, not the code.
import json
import os
import pathlib
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spool_scoring import architectures, classification, detection  # noqa: E402
from spool_scoring.model_dir import find_model_dir, read_manifest  # noqa: E402
from spool_scoring.requests import decode_image, items  # noqa: E402
from spool_scoring.weights import load_weights  # noqa: E402

model_settings = {
    # The model folder (model.json, weights.safetensors): $AZUREML_MODEL_DIR when set, else this file's folder.
    # A folder without model.json is searched one and two levels down (Azure mounts models in subfolders).
    "model_dir": os.environ.get("AZUREML_MODEL_DIR") or os.path.dirname(os.path.abspath(__file__)),
    "device": "cpu",            # "cuda", "cuda:1", ...
    "batch_size": 16,
    "threads": None,            # torch intra-op threads; None: torch's default
    # Classification
    "top_k": None,              # None: every class, in class order (Azure); K: the K most probable, best first
    "multilabel_threshold": None,  # None: model.json's (0.5); used by "predicted_labels"
    "predicted_labels": False,  # True: each result also lists "predicted" (argmax, or probs >= threshold)
    "valid_resize_size": None,  # None: model.json's; shorter side resized to this
    "valid_crop_size": None,    # None: model.json's; centre crop (ViTs need the size they were trained at)
    # Object detection (None: model.json's "detection" values, as training left them)
    "min_size": None,
    "max_size": None,
    "box_score_thresh": None,
    "box_nms_thresh": None,
    "box_detections_per_img": None,
    "img_size": None,           # yolov5: letterbox side (a multiple of 32)
    "box_iou_thresh": None,     # yolov5: its NMS IoU (model.json keeps it as box_nms_thresh)
    "tile_grid_size": None,     # e.g. [3, 2] or "3x2": also score tiles and merge (small objects)
    "tile_overlap_ratio": None,
    "tile_predictions_nms_thresh": None,
    # Instance segmentation (None: model.json's)
    "mask_pixel_score_threshold": None,    # a mask's pixels above it are the object's
    "max_number_of_polygon_points": None,  # points of each polygon at most
}

model = None        # the torch module, after init()
manifest = None     # model.json, after init()
_device = None

CLASSIFICATION = ("image_classification", "image_classification_multilabel")


def init():
    """Loads the model named by model_settings; called once before run()."""
    global model, manifest, _device
    if model_settings.get("threads"):
        torch.set_num_threads(int(model_settings["threads"]))
    folder = find_model_dir(model_settings["model_dir"])
    manifest = read_manifest(folder)
    task = manifest.get("task", "image_classification")
    arch = manifest["architecture"]
    state = load_weights(os.path.join(folder, manifest.get("weights_file", "weights.safetensors")))
    if task in CLASSIFICATION:
        image_size = int(manifest.get("image_size") or manifest["preprocessing"]["valid_crop_size"])
        net = architectures.classifier(arch["library"], arch["name"], len(manifest["classes"]), image_size)
    elif task in ("image_object_detection", "image_instance_segmentation"):
        frozen = not any(k.endswith("num_batches_tracked") for k in state if k.startswith("backbone.body."))
        settings = detection.inference_settings(manifest, model_settings)
        net = architectures.detector(arch["name"], len(manifest["classes"]), settings, frozen)
    else:
        raise ValueError("%s: task %s is not scored by this script" % (folder, task))
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ValueError("%s: the weights do not fit %s (missing %s; unexpected %s)"
                         % (folder, arch["name"], missing[:5], unexpected[:5]))
    net.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    _device = torch.device(model_settings.get("device") or "cpu")
    model = net.to(_device).eval()


def run(data):
    """Scores images; returns JSON text: a list with one object per input, in order.

    An input that cannot be scored (not an image, a path that cannot be read, an image the model cannot take)
    gets {"error": "...", "filename": ...} in its place and the others are scored: Azure's batch endpoints call
    run() on mini-batches, and one bad file must not lose the rest.
    """
    if model is None:
        init()
    pairs = items(data)
    results = [None] * len(pairs)
    decoded = []  # (index, image, filename)
    for n, (raw, filename) in enumerate(pairs):
        try:
            if isinstance(raw, Exception):
                raise raw
            decoded.append((n, decode_image(raw), filename))
        except (ValueError, OSError) as e:
            results[n] = _error(n, filename, e)
    task = manifest.get("task", "image_classification")
    scorer = classification if task in CLASSIFICATION else detection

    def score(group):
        return scorer.results(model, manifest, model_settings, [g[1] for g in group], [g[2] for g in group], _device)

    try:
        scored = score(decoded) if decoded else []
    except Exception:  # one image the model cannot take: score each alone to find it
        scored = []
        for one in decoded:
            try:
                scored.extend(score([one]))
            except Exception as e:
                scored.append(_error(one[0], one[2], e))
    for (n, _, _), result in zip(decoded, scored):
        results[n] = result
    return json.dumps(results)


def _error(n, filename, e):
    """The result of an input that could not be scored: what, which input, and why."""
    where = "input %d%s" % (n, " (%s)" % filename if filename else "")
    result = {"filename": filename} if filename is not None else {}
    result["error"] = "%s: %s" % (where, e)
    return result


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: python3 score.py IMAGE...   (scores images with the model beside this file; prints JSON)")
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    init()
    scored = json.loads(run([pathlib.Path(p) for p in sys.argv[1:]]))
    print(json.dumps(scored, indent=2))
    sys.exit(1 if any("error" in r for r in scored) else 0)
