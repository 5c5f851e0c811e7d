import Foundation

/// `score.py`, the scoring script Spool writes into every model folder it publishes (beside `model.json` and
/// `weights.safetensors`), in the shape of Azure ML's AutoML for images scoring file: an editable
/// `model_settings` dict, `init()` that loads the model and `run(raw_image_bytes)` that returns Azure's
/// classification JSON (`[{"probs": [...], "labels": [...]}]`, spec section 9).
///
/// It needs only torch and torchvision (timm and safetensors are used when present; otherwise the script
/// defines timm's architectures and reads safetensors itself) and reproduces `spoolctl predict`'s
/// preprocessing (OpenCV's decode and resize) bit for bit. See docs/scoring.md.
public enum ScoringScript {
    public static let fileName = "score.py"

    /// Writes `score.py` into a model folder (replacing an older one).
    public static func write(into modelDirectory: URL) throws {
        try Data(source.utf8).write(to: modelDirectory.appendingPathComponent(fileName), options: .atomic)
    }

    /// The script's text.
    public static let source: String = ##"""
# score.py: scores images with this Spool model folder, in Azure ML's AutoML for images scoring contract.
#
#   init()     loads the model (model.json + weights.safetensors, beside this file by default)
#   run(data)  scores images and returns JSON: one {"probs": [...], "labels": [...]} per image, every class
#              in class order (softmax for multiclass models, sigmoid for multilabel ones)
#
# `data` is the raw bytes of one image (PNG, JPEG, BMP, TIFF, WebP), a list of them, a base64 string, a path
# (str or pathlib.Path; its result then carries "filename"), a JSON text, or Azure's v2 request
# {"input_data": {"columns": ["image"], "data": [BASE64, ...]}}.
#
# Needs only torch and torchvision (and Pillow, which torchvision depends on, to decode images). Uses timm
# and safetensors when importable; otherwise this file defines timm's architectures (resnest50d,
# resnest101e, seresnext50_32x4d, vit_small_patch16_224) and reads safetensors itself. Preprocessing
# reproduces `spoolctl predict` (OpenCV's decode, Spool's validation transform with OpenCV's resize) bit for
# bit, so the probabilities match it to float rounding.
#
# From a shell:  python3 score.py IMAGE...      (prints the JSON)
# Written by Spool into every model folder; edit `model_settings` below, not the code.

import base64
import io
import json
import math
import os
import pathlib
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

model_settings = {
    # The model folder (model.json, weights.safetensors): $AZUREML_MODEL_DIR when set, else this file's folder.
    # A folder without model.json is searched one and two levels down (Azure mounts models in subfolders).
    "model_dir": os.environ.get("AZUREML_MODEL_DIR") or os.path.dirname(os.path.abspath(__file__)),
    "device": "cpu",            # "cuda", "cuda:1", ...
    "top_k": None,              # None: every class, in class order (Azure); K: the K most probable, best first
    "multilabel_threshold": None,  # None: model.json's (0.5); used by "predicted_labels"
    "predicted_labels": False,  # True: each result also lists "predicted" (argmax, or probs >= threshold)
    "valid_resize_size": None,  # None: model.json's; shorter side resized to this
    "valid_crop_size": None,    # None: model.json's; centre crop (ViTs need the size they were trained at)
    "batch_size": 16,
    "threads": None,            # torch intra-op threads; None: torch's default
}

model = None        # the torch module, after init()
manifest = None     # model.json, after init()
_device = None

# --------------------------------------------------------------------------------------------------------
# Loading


def _find_model_dir(root):
    candidates = [root]
    for depth in range(2):
        if any(os.path.isfile(os.path.join(c, "model.json")) for c in candidates):
            break
        nxt = []
        for c in candidates:
            try:
                nxt += [os.path.join(c, n) for n in sorted(os.listdir(c)) if os.path.isdir(os.path.join(c, n))]
            except OSError:
                pass
        candidates = nxt
    found = [c for c in candidates if os.path.isfile(os.path.join(c, "model.json"))]
    if not found:
        raise FileNotFoundError("%s: no model.json here (nor one or two levels down); set model_settings"
                                "['model_dir'] to a Spool model folder" % root)
    if len(found) > 1:
        raise ValueError("%s: several model folders below (%s); set model_settings['model_dir'] to one"
                         % (root, ", ".join(found)))
    return found[0]


_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path):
    """The tensors of a .safetensors file: 8-byte little-endian header length, JSON header, raw buffers."""
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    if len(raw) < 8:
        raise ValueError("%s: not a safetensors file" % path)
    (n,) = struct.unpack("<Q", bytes(raw[:8]))
    if n > len(raw) - 8:
        raise ValueError("%s: not a safetensors file (header length %d)" % (path, n))
    header = json.loads(bytes(raw[8:8 + n]).decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError("%s: tensor %r has dtype %s, which this reader does not know"
                             % (path, name, info["dtype"]))
        dtype = _SAFETENSORS_DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        shape = info["shape"]
        if end > start:
            t = torch.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=base + start)
            if sys.byteorder != "little" and t.element_size() > 1:
                raise ValueError("reading safetensors on a big-endian machine needs the safetensors package")
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape)
    return tensors


def _load_weights(path):
    try:
        from safetensors.torch import load_file
    except ImportError:
        return read_safetensors(path)
    return load_file(path)


# Spool's model_name -> (library, reference architecture), as Spool's engine registry maps them.
ARCHITECTURES = {
    "mobilenetv2": ("torchvision", "mobilenet_v2"),
    "resnet18": ("torchvision", "resnet18"),
    "resnet34": ("torchvision", "resnet34"),
    "resnet50": ("torchvision", "resnet50"),
    "resnet101": ("torchvision", "resnet101"),
    "resnet152": ("torchvision", "resnet152"),
    "resnest50": ("timm", "resnest50d"),
    "resnest101": ("timm", "resnest101e"),
    "seresnext": ("timm", "seresnext50_32x4d"),
    "vits16r224": ("timm", "vit_small_patch16_224"),
    "vitb16r224": ("torchvision", "vit_b_16"),
    "vitl16r224": ("torchvision", "vit_l_16"),
}


def build_model(model_name, num_classes, image_size=224):
    """The reference architecture (torchvision or timm names) for a Spool model_name, with random weights."""
    if model_name not in ARCHITECTURES:
        raise ValueError("unknown model_name %r; known: %s" % (model_name, ", ".join(ARCHITECTURES)))
    library, arch = ARCHITECTURES[model_name]
    vit = arch.startswith("vit")
    if library == "torchvision":
        import torchvision

        kwargs = {"num_classes": num_classes}
        if vit:
            kwargs["image_size"] = image_size
        build = getattr(torchvision.models, arch)
        try:
            return build(weights=None, **kwargs)
        except TypeError:  # torchvision < 0.13
            return build(pretrained=False, **kwargs)
    try:
        import timm
    except ImportError:
        timm = None
    if timm is not None:
        kwargs = {"img_size": image_size} if vit else {}
        return timm.create_model(arch, pretrained=False, num_classes=num_classes, **kwargs)
    return _TIMM_FALLBACKS[arch](num_classes, image_size)


def init():
    """Loads the model named by model_settings; called once before run()."""
    global model, manifest, _device
    if model_settings.get("threads"):
        torch.set_num_threads(int(model_settings["threads"]))
    folder = _find_model_dir(model_settings["model_dir"])
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    task = manifest.get("task", "image_classification")
    if task not in ("image_classification", "image_classification_multilabel"):
        raise ValueError("%s: task %s is not scored by this script" % (folder, task))
    classes = manifest["classes"]
    pre = manifest["preprocessing"]
    image_size = int(manifest.get("image_size") or pre["valid_crop_size"])
    net = build_model(manifest["model_name"], len(classes), image_size)
    state = _load_weights(os.path.join(folder, manifest.get("weights_file", "weights.safetensors")))
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ValueError("%s: the weights do not fit %s (missing %s; unexpected %s)"
                         % (folder, manifest["model_name"], missing[:5], unexpected[:5]))
    net.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    _device = torch.device(model_settings.get("device") or "cpu")
    model = net.to(_device).eval()


# --------------------------------------------------------------------------------------------------------
# Scoring


def _items(data):
    """Flattens run()'s input into (bytes, filename or None) pairs."""
    if hasattr(data, "get_data") and callable(data.get_data):  # an HTTP request (Azure's AMLRequest, Flask)
        data = data.get_data()
    if isinstance(data, os.PathLike):
        path = os.fspath(data)
        with open(path, "rb") as f:
            return [(f.read(), path)]
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data.lstrip()[:1] in (b"{", b"["):
            return _items(json.loads(data.decode("utf-8")))
        return [(data, None)]
    if isinstance(data, str):
        text = data.strip()
        if text[:1] in ("{", "["):
            return _items(json.loads(text))
        if len(text) < 4096 and os.path.isfile(text):
            return _items(pathlib.Path(text))
        return [(_b64(text), None)]
    if isinstance(data, dict):
        if "input_data" in data:
            block = data["input_data"]
            if isinstance(block, dict):
                rows = block.get("data", [])
                columns = block.get("columns") or ["image"]
                column = columns.index("image") if "image" in columns else 0
                return [x for row in rows for x in _items(row[column] if isinstance(row, (list, tuple)) else row)]
            return _items(block)
        for key in ("image", "data", "images"):
            if key in data:
                return _items(data[key])
        raise ValueError("no image in the request: expected {\"input_data\": {\"columns\": [\"image\"], "
                         "\"data\": [BASE64, ...]}}")
    if isinstance(data, (list, tuple)):
        return [x for item in data for x in _items(item)]
    raise TypeError("run() takes image bytes, a list of them, base64 text, a path or a JSON request, not %s"
                    % type(data).__name__)


def _b64(text):
    if text.startswith("data:") and "," in text:  # a data URL
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=False)
    except ValueError as e:
        raise ValueError("a text input is neither a file path, JSON nor base64 (%s)" % e) from None


def decode_image(data):
    """Image bytes -> H x W x 3 RGB uint8, as OpenCV's imread(IMREAD_COLOR) gives them (EXIF orientation
    applied, alpha dropped, grey replicated, 16-bit reduced to its high byte)."""
    from PIL import Image, ImageOps  # Pillow: a dependency of torchvision

    try:
        img = Image.open(io.BytesIO(data))
        img = ImageOps.exif_transpose(img)
        if img.mode.startswith("I"):  # 16-bit grey: OpenCV keeps the high byte
            w, h = img.size
            values = torch.frombuffer(bytearray(img.convert("I").tobytes()), dtype=torch.int32).view(h, w)
            return (values >> 8).clamp(0, 255).to(torch.uint8).view(h, w, 1).expand(h, w, 3).contiguous()
        img = img.convert("RGB")
    except Exception as e:
        raise ValueError("not a decodable image (%s)" % e) from None
    w, h = img.size
    return torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(h, w, 3)


def _f32(v):
    """v rounded to the nearest float32, as a C++ float conversion rounds."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _area_taps(ssize, dsize, scale):
    """OpenCV's computeResizeAreaTab: for each destination pixel, its source pixels and float32 overlaps."""
    index, weight = [], []
    for d in range(dsize):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, ssize - f1)
        s1, s2 = math.ceil(f1), math.floor(f2)
        s2 = min(s2, ssize - 1)
        s1 = min(s1, s2)
        taps = []
        if s1 - f1 > 1e-3:
            taps.append((s1 - 1, _f32((s1 - f1) / cell)))
        for s in range(s1, s2):
            taps.append((s, _f32(1.0 / cell)))
        if f2 - s2 > 1e-3:
            taps.append((s2, _f32(min(min(f2 - s2, 1.0), cell) / cell)))
        index.append([s for s, _ in taps])
        weight.append([w for _, w in taps])
    width = max(len(t) for t in index)
    # Padding taps add 0 * pixel 0: exact, and the real taps keep OpenCV's summation order.
    idx = torch.tensor([t + [0] * (width - len(t)) for t in index], dtype=torch.long)
    wts = torch.tensor([t + [0.0] * (width - len(t)) for t in weight], dtype=torch.float32)
    return idx, wts


def _resize_area(img, dw, dh, scale_x, scale_y):
    """INTER_AREA for a non-integer shrink: area-weighted averages, in OpenCV's float32 order, rounded."""
    xi, xw = _area_taps(img.shape[1], dw, scale_x)
    yi, yw = _area_taps(img.shape[0], dh, scale_y)
    src = img.to(torch.float32)
    rows = torch.zeros(src.shape[0], dw, src.shape[2], dtype=torch.float32)
    for k in range(xi.shape[1]):
        rows = rows + src[:, xi[:, k], :] * xw[:, k].view(1, dw, 1)
    out = torch.zeros(dh, dw, src.shape[2], dtype=torch.float32)
    for k in range(yi.shape[1]):
        out = out + rows[yi[:, k]] * yw[:, k].view(dh, 1, 1)
    return out.round().clamp_(0, 255).to(torch.uint8)  # round: half to even, as cvRound


def _resize_area_fast(img, dw, dh, kx, ky):
    """INTER_AREA for an integer shrink: box sums; 2x2 rounds half up, others multiply by float 1/area."""
    c = img.shape[2]
    sums = img.to(torch.int32)[: dh * ky, : dw * kx].reshape(dh, ky, dw, kx, c).sum(dim=(1, 3))
    if kx == 2 and ky == 2:
        return ((sums + 2) >> 2).clamp_(0, 255).to(torch.uint8)
    scale = torch.tensor(_f32(1.0 / (kx * ky)), dtype=torch.float32)
    return (sums.to(torch.float32) * scale).round().clamp_(0, 255).to(torch.uint8)


def _linear_table(ssize, dsize, scale, inv_scale, area_mode):
    """OpenCV's INTER_LINEAR table for 8-bit images: source index and weights in 1/2048 (rounded, ties even)."""
    index, w0, w1 = [], [], []
    for d in range(dsize):
        if area_mode:
            s = math.floor(d * scale)
            f = _f32((d + 1) - (s + 1) * inv_scale)
            f = 0.0 if f <= 0 else f - math.floor(f)
        else:
            f = _f32((d + 0.5) * scale - 0.5)
            s = math.floor(f)
            f = f - s
        index.append(s)
        w0.append(int(round(_f32(1.0 - f) * 2048)))
        w1.append(int(round(f * 2048)))
    return index, w0, w1


def _resize_linear(img, dw, dh, scale_x, scale_y, inv_x, inv_y, area_mode=False):
    """INTER_LINEAR for 8-bit images as OpenCV computes it: fixed-point weights, integer sums, and its SIMD
    rounding ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16), then (v + 2) >> 2."""
    h, w, c = img.shape
    xs, a0, a1 = _linear_table(w, dw, scale_x, inv_x, area_mode)
    for i, s in enumerate(xs):  # borders: the edge pixel, weight 1
        if s < 0 or s >= w - 1:
            xs[i] = 0 if s < 0 else w - 1
            a0[i], a1[i] = 2048, 0
    x0 = torch.tensor(xs)
    x1 = (x0 + 1).clamp(max=w - 1)
    src = img.to(torch.int32)
    rows = (src[:, x0, :] * torch.tensor(a0, dtype=torch.int32).view(1, dw, 1)
            + src[:, x1, :] * torch.tensor(a1, dtype=torch.int32).view(1, dw, 1))
    ys, b0, b1 = _linear_table(h, dh, scale_y, inv_y, area_mode)
    y0 = torch.tensor(ys)
    s0 = rows[y0.clamp(0, h - 1)]
    s1 = rows[(y0 + 1).clamp(0, h - 1)]
    b0 = torch.tensor(b0, dtype=torch.int32).view(dh, 1, 1)
    b1 = torch.tensor(b1, dtype=torch.int32).view(dh, 1, 1)
    out = ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2
    return out.clamp_(0, 255).to(torch.uint8)


def cv_resize(img, dw, dh):
    """cv::resize of an H x W x C uint8 image to dw x dh as Spool calls it: INTER_AREA when shrinking,
    INTER_LINEAR otherwise; bit-exact with OpenCV 4.6 on x86-64."""
    h, w = img.shape[0], img.shape[1]
    if dw == w and dh == h:
        return img
    inv_x, inv_y = dw / w, dh / h
    scale_x, scale_y = 1.0 / inv_x, 1.0 / inv_y
    area = dw < w or dh < h
    if area and scale_x >= 1 and scale_y >= 1:
        kx, ky = int(round(scale_x)), int(round(scale_y))
        if abs(scale_x - kx) < 2.220446049250313e-16 and abs(scale_y - ky) < 2.220446049250313e-16:
            return _resize_area_fast(img, dw, dh, kx, ky)
        return _resize_area(img, dw, dh, scale_x, scale_y)
    return _resize_linear(img, dw, dh, scale_x, scale_y, inv_x, inv_y, area_mode=area)


def preprocess(rgb, resize_size, crop_size, mean, std):
    """Spool's validation transform: shorter side to resize_size, centre crop (zero padding when smaller),
    /255, normalised by mean/std; H x W x 3 uint8 -> 3 x crop x crop float32."""
    h, w = rgb.shape[0], rgb.shape[1]
    short = min(w, h)
    if w <= h:
        nw, nh = resize_size, resize_size * h // short
    else:
        nw, nh = resize_size * w // short, resize_size
    img = cv_resize(rgb, nw, nh)
    if crop_size > nw or crop_size > nh:
        pw, ph = max(0, crop_size - nw), max(0, crop_size - nh)
        padded = torch.zeros(nh + ph, nw + pw, 3, dtype=torch.uint8)
        padded[ph // 2: ph // 2 + nh, pw // 2: pw // 2 + nw] = img
        img = padded
    top = (img.shape[0] - crop_size + 1) // 2  # lround((rows - crop) / 2.0)
    left = (img.shape[1] - crop_size + 1) // 2
    img = img[top: top + crop_size, left: left + crop_size]
    x = img.permute(2, 0, 1).to(torch.float32) * torch.tensor(_f32(1.0 / 255.0), dtype=torch.float32)
    m = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (x - m) / s


def predict_probabilities(images):
    """Probabilities (N x classes) for a list of H x W x 3 uint8 RGB images."""
    pre = manifest["preprocessing"]
    resize = int(model_settings.get("valid_resize_size") or pre["valid_resize_size"])
    crop = int(model_settings.get("valid_crop_size") or pre["valid_crop_size"])
    multilabel = manifest.get("task") == "image_classification_multilabel"
    batch = max(1, int(model_settings.get("batch_size") or 1))
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.stack([preprocess(img, resize, crop, pre["mean"], pre["std"])
                             for img in images[start:start + batch]]).to(_device)
            logits = model(x).float()
            out.append((torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=1)).cpu())
    return torch.cat(out) if out else torch.zeros(0, len(manifest["classes"]))


def run(data):
    """Scores images; returns JSON text: [{"probs": [...], "labels": [...]}, ...], one object per image."""
    if model is None:
        init()
    items = _items(data)
    images = []
    for n, (raw, filename) in enumerate(items):
        try:
            images.append(decode_image(raw))
        except ValueError as e:
            raise ValueError("image %d%s: %s" % (n, " (%s)" % filename if filename else "", e)) from None
    probs = predict_probabilities(images)
    classes = manifest["classes"]
    top_k = model_settings.get("top_k")
    multilabel = manifest.get("task") == "image_classification_multilabel"
    threshold = model_settings.get("multilabel_threshold")
    if threshold is None:
        threshold = manifest.get("multilabel_threshold") or 0.5
    results = []
    for (raw, filename), row in zip(items, probs.tolist()):
        order = list(range(len(classes)))
        if top_k is not None:
            order = sorted(order, key=lambda i: (-row[i], i))[: max(0, int(top_k))]
        result = {"filename": filename} if filename is not None else {}
        result["probs"] = [row[i] for i in order]
        result["labels"] = [classes[i] for i in order]
        if model_settings.get("predicted_labels"):
            if multilabel:
                result["predicted"] = [classes[i] for i in range(len(classes)) if row[i] >= threshold]
            else:
                result["predicted"] = [classes[max(range(len(classes)), key=lambda i: (row[i], -i))]]
        results.append(result)
    return json.dumps(results)


# --------------------------------------------------------------------------------------------------------
# timm's architectures, for when timm is not installed: the same modules under timm's names, so timm's (and
# Spool's) state dicts load as they are. Inference only (no dropout, drop-path or training-time options).


def _make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class _SEModule(nn.Module):
    def __init__(self, channels):
        super().__init__()
        rd = _make_divisible(channels / 16, 8, round_limit=0.0)
        self.fc1 = nn.Conv2d(channels, rd, 1, bias=True)
        self.fc2 = nn.Conv2d(rd, channels, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class _Bottleneck(nn.Module):
    """timm's ResNet Bottleneck (with a squeeze-excite module for SE-ResNeXt)."""

    def __init__(self, inplanes, planes, stride, downsample, groups, base_width, se):
        super().__init__()
        width = int(planes * (base_width / 64)) * groups
        out = planes * 4
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = _SEModule(out) if se else None
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class _SplitAttn(nn.Module):
    """timm's SplitAttn (radix 2, cardinality 1)."""

    def __init__(self, channels, radix=2):
        super().__init__()
        self.radix = radix
        attn = _make_divisible(channels * radix * 0.25, 8, min_value=32)
        self.conv = nn.Conv2d(channels, channels * radix, 3, 1, 1, groups=radix, bias=False)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.fc1 = nn.Conv2d(channels, attn, 1)
        self.bn1 = nn.BatchNorm2d(attn)
        self.fc2 = nn.Conv2d(attn, channels * radix, 1)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv(x)))
        b, rc, h, w = x.shape
        x = x.reshape(b, self.radix, rc // self.radix, h, w)
        gap = x.sum(dim=1).mean((2, 3), keepdim=True)
        gap = F.relu(self.bn1(self.fc1(gap)))
        attn = self.fc2(gap).view(b, 1, self.radix, -1).transpose(1, 2)
        attn = torch.softmax(attn, dim=1).reshape(b, self.radix, rc // self.radix, 1, 1)
        return (x * attn).sum(dim=1)


class _ResNestBottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _SplitAttn(planes)
        self.avd_last = nn.AvgPool2d(3, stride, padding=1) if stride > 1 else None
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        y = self.conv2(F.relu(self.bn1(self.conv1(x))))
        if self.avd_last is not None:
            y = self.avd_last(y)
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class _TimmResNet(nn.Module):
    """timm's ResNet: seresnext50_32x4d (plain stem), resnest50d / resnest101e (deep stem, average-pool
    shortcuts, split-attention blocks)."""

    def __init__(self, layers, num_classes, resnest=False, stem_width=64, groups=1, base_width=64, se=False):
        super().__init__()
        if resnest:
            inplanes = stem_width * 2
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, stem_width, 3, 2, 1, bias=False), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, stem_width, 3, 1, 1, bias=False), nn.BatchNorm2d(stem_width),
                nn.ReLU(inplace=True), nn.Conv2d(stem_width, inplanes, 3, 1, 1, bias=False))
        else:
            inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if stage == 0 else 2
            seq = []
            for i in range(blocks):
                s = stride if i == 0 else 1
                down = None
                if i == 0 and (s != 1 or inplanes != planes * 4):
                    if resnest:
                        pool = (nn.Identity() if s == 1 else
                                nn.AvgPool2d(2, s, ceil_mode=True, count_include_pad=False))
                        down = nn.Sequential(pool, nn.Conv2d(inplanes, planes * 4, 1, bias=False),
                                             nn.BatchNorm2d(planes * 4))
                    else:
                        down = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, s, bias=False),
                                             nn.BatchNorm2d(planes * 4))
                if resnest:
                    seq.append(_ResNestBottleneck(inplanes, planes, s, down))
                else:
                    seq.append(_Bottleneck(inplanes, planes, s, down, groups, base_width, se))
                inplanes = planes * 4
            setattr(self, "layer%d" % (stage + 1), nn.Sequential(*seq))
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean((2, 3)))


class _Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * (d // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class _Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _PatchEmbed(nn.Module):
    def __init__(self, dim, patch=16):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)


class _TimmViT(nn.Module):
    """timm's VisionTransformer (class token, learned position embedding, pre-norm blocks, token head)."""

    def __init__(self, num_classes, image_size=224, dim=384, depth=12, heads=6, hidden=1536):
        super().__init__()
        self.patch_embed = _PatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // 16) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*[_Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


_TIMM_FALLBACKS = {
    "seresnext50_32x4d": lambda n, size: _TimmResNet([3, 4, 6, 3], n, groups=32, base_width=4, se=True),
    "resnest50d": lambda n, size: _TimmResNet([3, 4, 6, 3], n, resnest=True, stem_width=32),
    "resnest101e": lambda n, size: _TimmResNet([3, 4, 23, 3], n, resnest=True, stem_width=64),
    "vit_small_patch16_224": lambda n, size: _TimmViT(n, size),
}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: python3 score.py IMAGE...   (scores images with the model beside this file; prints JSON)")
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    init()
    print(json.dumps(json.loads(run([pathlib.Path(p) for p in sys.argv[1:]])), indent=2))

"""##
}
