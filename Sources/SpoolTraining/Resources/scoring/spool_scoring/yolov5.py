"""YOLOv5 (Ultralytics' v6.0/v7.0 architecture) in plain torch, so that score.py needs no Ultralytics package:
the modules are registered as Ultralytics' DetectionModel registers them, so the state-dict names are theirs
(model.0.conv.weight, ..., model.24.anchors in grid units, model.24.m.0.weight), and detect() is Spool's
evaluation: Ultralytics' letterbox (detect.py's), the network, Ultralytics' single-label non-max suppression,
boxes back in the image as scale_boxes() maps them.
Inference only."""
import math

import torch
from torch import nn

from .preprocess import cv_resize_linear, to_unit_float

# (depth multiple, width multiple) per model size.
SCALES = {"s": (0.33, 0.50), "m": (0.67, 0.75), "l": (1.0, 1.0), "x": (1.33, 1.25)}
# Anchors in pixels (width, height) of the P3/8, P4/16 and P5/32 outputs.
ANCHORS = (((10, 13), (16, 30), (33, 23)), ((30, 61), (62, 45), (59, 119)), ((116, 90), (156, 198), (373, 326)))
STRIDES = (8, 16, 32)
# The yolov5{s,m,l,x}.yaml table, backbone then head: (input layer(s), repeats, module, arguments), channels before
# the width multiple. -1 is the previous layer.
LAYERS = (
    (-1, 1, "Conv", (64, 6, 2, 2)),  # 0: P1/2
    (-1, 1, "Conv", (128, 3, 2)),  # 1: P2/4
    (-1, 3, "C3", (128,)),
    (-1, 1, "Conv", (256, 3, 2)),  # 3: P3/8
    (-1, 6, "C3", (256,)),
    (-1, 1, "Conv", (512, 3, 2)),  # 5: P4/16
    (-1, 9, "C3", (512,)),
    (-1, 1, "Conv", (1024, 3, 2)),  # 7: P5/32
    (-1, 3, "C3", (1024,)),
    (-1, 1, "SPPF", (1024, 5)),  # 9
    (-1, 1, "Conv", (512, 1, 1)),  # 10
    (-1, 1, "Upsample", ()),
    ((-1, 6), 1, "Concat", ()),
    (-1, 3, "C3", (512, False)),  # 13
    (-1, 1, "Conv", (256, 1, 1)),  # 14
    (-1, 1, "Upsample", ()),
    ((-1, 4), 1, "Concat", ()),
    (-1, 3, "C3", (256, False)),  # 17: P3 output
    (-1, 1, "Conv", (256, 3, 2)),
    ((-1, 14), 1, "Concat", ()),
    (-1, 3, "C3", (512, False)),  # 20: P4 output
    (-1, 1, "Conv", (512, 3, 2)),
    ((-1, 10), 1, "Concat", ()),
    (-1, 3, "C3", (1024, False)),  # 23: P5 output
    ((17, 20, 23), 1, "Detect", ()),  # 24
)
MAX_WH = 7680  # NMS offsets each class's boxes by this many pixels, so one NMS call keeps classes apart
MAX_NMS = 30000  # candidates into NMS, at most


class Conv(nn.Module):
    """Convolution (no bias, 'same' padding unless given) + BatchNorm + SiLU."""

    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """1x1 then 3x3 convolution, with a residual connection when `shortcut`."""

    def __init__(self, c, shortcut):
        super().__init__()
        self.cv1 = Conv(c, c, 1)
        self.cv2 = Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    """CSP bottleneck: n bottlenecks on half the channels, concatenated with a 1x1 bypass, then a 1x1 convolution."""

    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c = c2 // 2
        self.cv1 = Conv(c1, c, 1)
        self.cv2 = Conv(c1, c, 1)
        self.cv3 = Conv(2 * c, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c, shortcut) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained k x k max-pools, concatenated with their input."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        c = c1 // 2
        self.cv1 = Conv(c1, c, 1)
        self.cv2 = Conv(c * 4, c2, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class Detect(nn.Module):
    """A 1x1 convolution per level to anchors x (x, y, w, h, objectness, classes), decoded as Ultralytics'
    Detect decodes in evaluation: xy = (2 sigmoid + cell - 0.5) * stride, wh = (2 sigmoid)^2 * anchor (pixels),
    objectness and class scores sigmoid. Output: N x anchors x (5 + classes), levels and anchors in order."""

    def __init__(self, num_classes, channels):
        super().__init__()
        self.na, self.no = len(ANCHORS[0]), num_classes + 5
        self.register_buffer("anchors", torch.tensor(ANCHORS, dtype=torch.float32)
                             / torch.tensor(STRIDES, dtype=torch.float32).view(-1, 1, 1))  # grid units
        self.m = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in channels)

    def forward(self, xs):
        out = []
        for i, x in enumerate(xs):
            n, _, ny, nx = x.shape
            y = self.m[i](x).view(n, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            gy, gx = torch.meshgrid(torch.arange(ny, device=x.device, dtype=y.dtype),
                                    torch.arange(nx, device=x.device, dtype=y.dtype), indexing="ij")
            grid = torch.stack((gx, gy), 2).view(1, 1, ny, nx, 2) - 0.5
            anchor = (self.anchors[i] * STRIDES[i]).view(1, self.na, 1, 1, 2)
            xy = (y[..., :2] * 2 + grid) * STRIDES[i]  # the order of Ultralytics' operations, for equal rounding
            wh = (y[..., 2:4] * 2) ** 2 * anchor
            out.append(torch.cat((xy, wh, y[..., 4:]), 4).view(n, -1, self.no))
        return torch.cat(out, 1)


class YOLOv5(nn.Module):
    """The network: `model` holds the 25 layers of LAYERS (Ultralytics' indices and names)."""

    def __init__(self, size, num_classes):
        super().__init__()
        gd, gw = SCALES[size]
        channels, layers, self.sources = [], [], []  # channels[j]: layer j's output channels
        for source, n, kind, args in LAYERS:
            n = max(round(n * gd), 1) if n > 1 else n
            c1 = (channels[source] if channels else 3) if isinstance(source, int) else None
            if kind in ("Conv", "C3", "SPPF"):
                c2 = math.ceil(args[0] * gw / 8) * 8
                if kind == "Conv":
                    layer = Conv(c1, c2, *args[1:])
                elif kind == "C3":
                    layer = C3(c1, c2, n, *args[1:])
                else:
                    layer = SPPF(c1, c2, *args[1:])
            elif kind == "Upsample":
                layer, c2 = nn.Upsample(scale_factor=2, mode="nearest"), c1
            elif kind == "Concat":
                layer, c2 = Concat(), sum(channels[j] for j in source)
            else:
                layer, c2 = Detect(num_classes, [channels[j] for j in source]), None
            layers.append(layer)
            self.sources.append(source)
            channels.append(c2)
        self.model = nn.ModuleList(layers)

    def forward(self, x):
        outputs = []
        for layer, source in zip(self.model, self.sources):
            if source != -1:
                x = outputs[source] if isinstance(source, int) else [x if j == -1 else outputs[j] for j in source]
            x = layer(x)
            outputs.append(x)
        return x


def build(name, num_classes):
    """yolov5s/m/l/x (or s/m/l/x) with random weights and `num_classes` classes."""
    size = name[len("yolov5"):] if name.startswith("yolov5") else name
    if size not in SCALES:
        raise ValueError("YOLOv5 size %r is not one score.py builds (s, m, l, x)" % name)
    return YOLOv5(size, num_classes)


def letterbox(rgb, img_size, stride=32):
    """Ultralytics' letterbox() as detect.py calls it (auto=True, scaleup=True), on an H x W x 3 uint8 image:
    scaled to fit img_size x img_size (sides rounded half to even, as Python's round()), its 8-bit pixels
    resized as cv2.resize's INTER_LINEAR, then padded with grey 114 to multiples of the stride, centred
    (round(d - 0.1) before, round(d + 0.1) after). Returns the 1 x 3 x H x W float image and scale_boxes'
    gain and (pad_x, pad_y)."""
    h, w = rgb.shape[0], rgb.shape[1]
    r = min(img_size / h, img_size / w)
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    rgb = cv_resize_linear(rgb, nw, nh)
    dw, dh = (img_size - nw) % stride / 2, (img_size - nh) % stride / 2
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    if top or bottom or left or right:
        padded = torch.full((nh + top + bottom, nw + left + right, 3), 114, dtype=torch.uint8)
        padded[top: top + nh, left: left + nw] = rgb
        rgb = padded
    H, W = rgb.shape[0], rgb.shape[1]
    gain = min(H / h, W / w)
    return to_unit_float(rgb).unsqueeze(0), gain, ((W - w * gain) / 2, (H - h * gain) / 2)


def non_max_suppression(pred, conf_thres, iou_thres, max_det):
    """Ultralytics' non_max_suppression for one image's N x (5 + classes) output, single label, per class:
    candidates with objectness > conf_thres, score = objectness x best class score, kept when > conf_thres,
    sorted (at most MAX_NMS), NMS with class-offset boxes. Returns boxes (x1, y1, x2, y2), scores, labels."""
    import torchvision

    x = pred[pred[:, 4] > conf_thres]
    scores, labels = (x[:, 5:] * x[:, 4:5]).max(1)
    boxes = torch.cat((x[:, :2] - x[:, 2:4] / 2, x[:, :2] + x[:, 2:4] / 2), 1)
    keep = scores > conf_thres
    boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    order = scores.argsort(descending=True)[:MAX_NMS]
    boxes, scores, labels = boxes[order], scores[order], labels[order]
    kept = torchvision.ops.nms(boxes + labels[:, None].to(boxes.dtype) * MAX_WH, scores, iou_thres)[:max_det]
    return boxes[kept], scores[kept], labels[kept]


def detect(model, rgb, img_size, conf_thres, iou_thres, max_det, device):
    """Boxes (pixels of the image), scores and labels (class indices from 0) of one H x W x 3 uint8 RGB image
    (numpy array or tensor), on the CPU."""
    rgb = torch.as_tensor(rgb)
    h, w = rgb.shape[0], rgb.shape[1]
    x, gain, (pad_x, pad_y) = letterbox(rgb, img_size)
    with torch.no_grad():
        pred = model(x.to(device))[0].float()
        boxes, scores, labels = non_max_suppression(pred, conf_thres, iou_thres, max_det)
    boxes = boxes.cpu()
    boxes[:, 0::2] = ((boxes[:, 0::2] - pad_x) / gain).clamp(0, w)  # Ultralytics' scale_boxes
    boxes[:, 1::2] = ((boxes[:, 1::2] - pad_y) / gain).clamp(0, h)
    return boxes, scores.cpu(), labels.cpu()
