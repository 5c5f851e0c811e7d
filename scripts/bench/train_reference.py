#!/usr/bin/env python3
"""The torchvision side of scripts/bench-train.sh: a plain torchvision training loop on a Spool bundle.

What it does is what torchvision's classification reference (references/classification/train.py) does on
CPU, sized to match Spool's run of the same bundle:
  * images and labels from the bundle's training JSONL (the same files Spool trains on), read with PIL
    (torchvision's default loader: Image.open(...).convert("RGB"));
  * RandomResizedCrop(crop, scale=(0.08, 1), ratio=(3/4, 4/3)), RandomHorizontalFlip(0.5),
    ColorJitter(0.4, 0.4, 0.4), ToTensor(), Normalize(ImageNet mean, std);
  * DataLoader(batch_size, shuffle=True, num_workers=2) with its defaults otherwise (workers restart
    every epoch, prefetch_factor 2, no pinned memory on CPU);
  * torchvision's model with num_classes = the bundle's class count, from scratch;
  * CrossEntropyLoss, SGD(lr, momentum 0.9, nesterov, weight_decay 1e-4), one loss.item() per step
    (Spool reads the loss every step too);
  * torch.set_num_threads(--threads); OPENBLAS_NUM_THREADS comes from the environment (the caller sets 1).

Throughput is timed per epoch, like Spool's metrics.json "images_per_second": from the start of the epoch
(the DataLoader iterator, so worker start-up and the first batch's decode count) to the last optimiser step.
The first --warmup-epochs epochs are reported but not measured. Writes one JSON object to --out.
"""
import argparse
import json
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True, help="bundle folder (paths in the JSONL are relative to it)")
    ap.add_argument("--jsonl", default="train.jsonl", help="training JSONL inside the bundle")
    ap.add_argument("--model", required=True, choices=["resnet18", "resnet34", "resnet50", "mobilenetv2"])
    ap.add_argument("--crop", type=int, required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--epochs", type=int, required=True, help="epochs in all, warm-up included")
    ap.add_argument("--warmup-epochs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--persistent-workers", action="store_true",
                    help="keep DataLoader workers between epochs (torchvision's reference does not)")
    ap.add_argument("--out", required=True, help="JSON result file")
    args = ap.parse_args()

    import torch
    import torchvision
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    with open(os.path.join(args.bundle, args.jsonl)) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    classes = sorted({line["label"] for line in lines})
    index = {c: i for i, c in enumerate(classes)}
    items = [(os.path.join(args.bundle, line["image_url"]), index[line["label"]]) for line in lines]

    transform = transforms.Compose([
        transforms.RandomResizedCrop(args.crop),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])

    class JsonlImages(Dataset):
        def __len__(self):
            return len(items)

        def __getitem__(self, i):
            path, target = items[i]
            with open(path, "rb") as f:
                image = Image.open(f).convert("RGB")
            return transform(image), target

    loader = DataLoader(JsonlImages(), batch_size=args.batch, shuffle=True, num_workers=args.workers,
                        persistent_workers=args.persistent_workers and args.workers > 0)

    if args.model == "mobilenetv2":
        model = torchvision.models.mobilenet_v2(num_classes=len(classes))
    else:
        model = getattr(torchvision.models, args.model)(num_classes=len(classes))
    model.train()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=1e-4)

    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        images = 0
        loss_sum = 0.0
        for batch, target in loader:
            output = model(batch)
            loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * batch.shape[0]
            images += batch.shape[0]
        seconds = time.perf_counter() - start
        history.append({"epoch": epoch, "images": images, "seconds": seconds,
                        "images_per_second": images / seconds, "train_loss": loss_sum / max(1, images)})
        print(f"torchvision {args.model} {args.crop}px epoch {epoch}/{args.epochs}: {images / seconds:.1f} img/s, "
              f"loss {loss_sum / max(1, images):.4f}", file=sys.stderr, flush=True)

    measured = history[args.warmup_epochs:]
    images = sum(h["images"] for h in measured)
    seconds = sum(h["seconds"] for h in measured)
    result = {
        "side": "torchvision", "model": args.model, "crop": args.crop, "batch": args.batch,
        "threads": torch.get_num_threads(), "workers": args.workers,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "train_images": len(items), "epochs": args.epochs, "warmup_epochs": args.warmup_epochs,
        "measured_images": images, "measured_seconds": seconds,
        "images_per_second": images / seconds if seconds > 0 else 0.0, "history": history,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
