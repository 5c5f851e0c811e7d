"""run()'s input: image bytes, lists of them, base64, paths, JSON texts or Azure's v2 request, flattened
into (bytes, filename) pairs; and decoding images as OpenCV does."""
import base64
import io
import json
import os
import pathlib

import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")  # a text ending so names a file


def items(data):
    """Flattens run()'s input into (bytes, filename or None) pairs; a file that cannot be read is an
    exception in place of its bytes."""
    if hasattr(data, "get_data") and callable(data.get_data):  # an HTTP request (Azure's AMLRequest, Flask)
        data = data.get_data()
    if isinstance(data, os.PathLike):
        path = os.fspath(data)
        try:
            with open(path, "rb") as f:
                return [(f.read(), path)]
        except OSError as e:  # one unreadable file of a batch: an error result, not a lost batch
            return [(ValueError("cannot read it (%s)" % (e.strerror or e)), path)]
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data.lstrip()[:1] in (b"{", b"["):
            return items(json.loads(data.decode("utf-8")))
        return [(data, None)]
    if isinstance(data, str):
        text = data.strip()
        if text[:1] in ("{", "["):
            return items(json.loads(text))
        if len(text) < 4096 and (os.path.isfile(text) or text.lower().endswith(IMAGE_SUFFIXES)):
            return items(pathlib.Path(text))
        return [(b64(text), None)]
    if isinstance(data, dict):
        if "input_data" in data:
            block = data["input_data"]
            if isinstance(block, dict):
                rows = block.get("data", [])
                columns = block.get("columns") or ["image"]
                column = columns.index("image") if "image" in columns else 0
                return [x for row in rows for x in items(row[column] if isinstance(row, (list, tuple)) else row)]
            return items(block)
        for key in ("image", "data", "images"):
            if key in data:
                return items(data[key])
        raise ValueError("no image in the request: expected {\"input_data\": {\"columns\": [\"image\"], "
                         "\"data\": [BASE64, ...]}}")
    if isinstance(data, (list, tuple)):
        return [x for item in data for x in items(item)]
    raise TypeError("run() takes image bytes, a list of them, base64 text, a path or a JSON request, not %s"
                    % type(data).__name__)


def b64(text):
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
