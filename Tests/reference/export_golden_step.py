#!/usr/bin/env python3
"""The classification step's golden losses (detectron2's pattern): torchvision's resnet18 from a seed, on a fixed
batch of two 32x32 images, trained three steps with Spool's default SGD (momentum 0.9, Nesterov, weight decay
1e-4) at learning rate 0.01 and cross-entropy. Writes:

    OUT_DIR/weights.safetensors   the starting state dict
    OUT_DIR/image0.png, image1.png
    OUT_DIR/losses.json           {"labels": [...], "losses": [loss before step 1, 2, 3]}

Usage: python export_golden_step.py OUT_DIR. Used only by the tests, never by Spool.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(5)
    torch.set_num_threads(1)
    model = torchvision.models.resnet18(weights=None, num_classes=3)
    safetensors_io.save(dict(model.state_dict()), os.path.join(out, "weights.safetensors"))
    rng = np.random.default_rng(5)
    images = []
    for i in range(2):
        pixels = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(out, f"image{i}.png"))
        # Spool's conversion to [0, 1] (OpenCV's convertTo with a float scale of 1/255), then ImageNet's mean/std.
        x = torch.from_numpy(pixels).permute(2, 0, 1).float() * torch.tensor(np.float32(1 / 255))
        mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
        images.append((x - mean) / std)
    x = torch.stack(images)
    y = torch.tensor([0, 2])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    model.train()
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        losses.append(float(loss))
        loss.backward()
        optimizer.step()
    with open(os.path.join(out, "losses.json"), "w") as f:
        json.dump({"labels": y.tolist(), "losses": losses}, f)


if __name__ == "__main__":
    main()
