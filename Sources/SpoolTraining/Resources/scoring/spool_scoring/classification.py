"""Multiclass and multilabel scoring: Azure's {"probs": [...], "labels": [...]} per image."""
import torch

from .preprocess import preprocess


def probabilities(model, manifest, settings, images, device):
    """Probabilities (N x classes) for H x W x 3 uint8 RGB images."""
    pre = manifest["preprocessing"]
    resize = int(settings.get("valid_resize_size") or pre["valid_resize_size"])
    crop = int(settings.get("valid_crop_size") or pre["valid_crop_size"])
    multilabel = manifest.get("task") == "image_classification_multilabel"
    batch = max(1, int(settings.get("batch_size") or 1))
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.stack([preprocess(img, resize, crop, pre["mean"], pre["std"])
                             for img in images[start:start + batch]]).to(device)
            logits = model(x).float()
            out.append((torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=1)).cpu())
    return torch.cat(out) if out else torch.zeros(0, len(manifest["classes"]))


def results(model, manifest, settings, images, filenames, device):
    """One result per image: every class in class order, or the top_k most probable, best first."""
    probs = probabilities(model, manifest, settings, images, device)
    classes = manifest["classes"]
    top_k = settings.get("top_k")
    multilabel = manifest.get("task") == "image_classification_multilabel"
    threshold = settings.get("multilabel_threshold")
    if threshold is None:
        threshold = manifest.get("multilabel_threshold") or 0.5
    out = []
    for filename, row in zip(filenames, probs.tolist()):
        order = list(range(len(classes)))
        if top_k is not None:
            order = sorted(order, key=lambda i: (-row[i], i))[: max(0, int(top_k))]
        result = {"filename": filename} if filename is not None else {}
        result["probs"] = [row[i] for i in order]
        result["labels"] = [classes[i] for i in order]
        if settings.get("predicted_labels"):
            if multilabel:
                result["predicted"] = [classes[i] for i in range(len(classes)) if row[i] >= threshold]
            else:
                result["predicted"] = [classes[max(range(len(classes)), key=lambda i: (row[i], -i))]]
        out.append(result)
    return out
