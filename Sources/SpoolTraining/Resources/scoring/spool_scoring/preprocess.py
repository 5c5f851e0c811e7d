"""Spool's preprocessing in torch: OpenCV's resize bit for bit (INTER_AREA and INTER_LINEAR on 8-bit images),
the classification validation transform, and the detectors' float RGB input."""
import math
import struct

import torch


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


def cv_resize_linear(img, dw, dh):
    """cv2.resize(img, (dw, dh), interpolation=cv2.INTER_LINEAR) of an H x W x C uint8 image, as YOLOv5's
    letterbox calls it: bilinear both ways, except an exact halving, which OpenCV takes as a 2 x 2 mean."""
    h, w = img.shape[0], img.shape[1]
    if dw == w and dh == h:
        return img
    inv_x, inv_y = dw / w, dh / h
    scale_x, scale_y = 1.0 / inv_x, 1.0 / inv_y
    if abs(scale_x - 2) < 2.220446049250313e-16 and abs(scale_y - 2) < 2.220446049250313e-16:
        return _resize_area_fast(img, dw, dh, 2, 2)
    return _resize_linear(img, dw, dh, scale_x, scale_y, inv_x, inv_y)


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


def to_unit_float(rgb):
    """H x W x 3 uint8 -> 3 x H x W float32 in [0, 1] (each value divided by 255 once, as the engine does)."""
    return rgb.permute(2, 0, 1).to(torch.float32) / 255
