#!/usr/bin/env python3
"""Builds a reference model (torchvision or timm), with random weights, and writes what the engine's parity
tests compare against:

    OUT_DIR/weights.safetensors   the state dict (parameters and buffers, reference names)
    OUT_DIR/input.safetensors     "input": a batch of 2 images, 3 x SIZE x SIZE, N(0, 1)
    OUT_DIR/logits.safetensors    "logits": the eval-mode output for that input

Usage: python export_reference.py MODEL OUT_DIR [--size N] [--classes N] [--seed N]

Batch-norm layers get random affine parameters and running statistics (measured on random data, then
perturbed), so an eval-mode comparison really exercises the running statistics; timm's zero-initialised last
BN of each residual branch is randomised too, so the residual branches are not silent.
Models with LayerNorm (the ViTs) get random LayerNorm affine parameters, and every all-zero parameter
(torchvision's zero-initialised head, class token and attention biases) gets random values.

timm is imported only for timm models (run those with the test venv: .venv-test/bin/python, HF_HUB_OFFLINE=1).
Used only by the tests, never by Spool.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def _torchvision(name, **extra):
    def build(classes, size):
        import torchvision

        kwargs = {key: (size if value == "SIZE" else value) for key, value in extra.items()}
        return getattr(torchvision.models, name)(weights=None, num_classes=classes, **kwargs)

    return build


def _timm(name, **extra):
    def build(classes, size):
        import timm

        kwargs = {key: (size if value == "SIZE" else value) for key, value in extra.items()}
        return timm.create_model(name, pretrained=False, num_classes=classes, **kwargs)

    return build


# Reference model name -> builder(classes, size). Extra keyword arguments are passed to the constructor; the
# string "SIZE" stands for --size (for models that build position embeddings for one image side).
MODELS = {
    "resnet18": _torchvision("resnet18"),
    "resnet34": _torchvision("resnet34"),
    "resnet50": _torchvision("resnet50"),
    "resnet101": _torchvision("resnet101"),
    "resnet152": _torchvision("resnet152"),
    "mobilenet_v2": _torchvision("mobilenet_v2"),
    "seresnext50_32x4d": _timm("seresnext50_32x4d"),
    "resnest50d": _timm("resnest50d"),
    "resnest101e": _timm("resnest101e"),
    "vit_b_16": _torchvision("vit_b_16", image_size="SIZE"),
    "vit_l_16": _torchvision("vit_l_16", image_size="SIZE"),
    "vit_small_patch16_224": _timm("vit_small_patch16_224", img_size="SIZE"),
}


def randomise_batch_norm(model, size, generator):
    """Random BN affine parameters, then running statistics measured on random data and perturbed."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    with torch.no_grad():
        for m in norms:
            if m.affine:
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.normal_(0.0, 0.2, generator=generator)
        # Cumulative averages over a few batches of random images give statistics of a sensible scale.
        saved = [(m, m.momentum) for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        model.train()
        for _ in range(2):
            model(torch.randn(4, 3, size, size, generator=generator))
        for m, momentum in saved:
            m.momentum = momentum
            std = m.running_var.sqrt()
            m.running_mean.add_(0.1 * std * torch.randn(m.running_mean.shape, generator=generator))
            m.running_var.mul_(torch.empty(m.running_var.shape).uniform_(0.8, 1.25, generator=generator))
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))
    model.eval()


def randomise_transformer(model, generator):
    """For models with LayerNorm (the ViTs): random LayerNorm affine parameters, and random values for every
    parameter that is initialised to all zeros (torchvision's head, class token and attention biases), so that
    no term of the forward pass is silent and swapped names cannot go unnoticed."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    if not norms:
        return
    with torch.no_grad():
        for m in norms:
            m.weight.uniform_(0.5, 1.5, generator=generator)
            m.bias.normal_(0.0, 0.2, generator=generator)
        for p in model.parameters():
            if not p.any():
                p.normal_(0.0, 0.02, generator=generator)


def export(model_name, out_dir, size=64, classes=7, seed=0):
    if model_name not in MODELS:
        raise SystemExit(f"unknown model {model_name!r}; known: {', '.join(MODELS)}")
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    model = MODELS[model_name](classes, size)
    randomise_batch_norm(model, size, generator)
    randomise_transformer(model, generator)
    model.eval()
    x = torch.randn(2, 3, size, size, generator=generator)
    with torch.no_grad():
        logits = model(x)
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items()}
    safetensors_io.save(state, os.path.join(out_dir, "weights.safetensors"), {"model": model_name})
    safetensors_io.save({"input": x}, os.path.join(out_dir, "input.safetensors"))
    safetensors_io.save({"logits": logits}, os.path.join(out_dir, "logits.safetensors"))
    return logits


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="reference model: " + ", ".join(MODELS))
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, default=64, help="image side (default 64)")
    parser.add_argument("--classes", type=int, default=7, help="number of classes (default 7)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    logits = export(args.model, args.out_dir, args.size, args.classes, args.seed)
    print(f"{args.model}: logits {tuple(logits.shape)}, max |logit| {logits.abs().max().item():.4g} -> {args.out_dir}")


if __name__ == "__main__":
    main()
