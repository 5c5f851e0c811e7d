"""Finding and reading a Spool model folder (model.json beside weights.safetensors)."""
import json
import os

from .architectures import CLASSIFIERS


def find_model_dir(root):
    candidates = [root]
    for _ in range(2):
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


def read_manifest(folder):
    """model.json as a dict; a format 1 manifest (classification, before the architecture was recorded) gets
    its architecture from the model name."""
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if "architecture" not in manifest:
        # Format 1 manifests (Spool 0.1) were classifiers'; the model name picks the reference architecture.
        library, name = CLASSIFIERS.get(manifest.get("model_name"), (None, None))
        if library is None:
            raise ValueError("%s: model.json names no architecture and model_name %r is unknown"
                             % (folder, manifest.get("model_name")))
        manifest["architecture"] = {"library": library, "name": name}
    return manifest

