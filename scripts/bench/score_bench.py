"""`spoolctl score` against torchvision's evaluation loop (same images, same resnet18 architecture, same
threads, both timed as whole commands), then the scoring server's requests per second at 1 and 8 concurrent clients."""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

bin_dir, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spoolctl = os.path.join(bin_dir, "spoolctl")
threads = os.cpu_count() or 2

with tempfile.TemporaryDirectory(prefix="spool-score-bench-") as work:
    bundle = os.path.join(work, "shapes")
    subprocess.run([spoolctl, "example", "--out", bundle, "--per-class", str(max(4, count // 3 + 1)), "--size", str(size)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    images = sorted(os.path.join(bundle, "images", f) for f in os.listdir(os.path.join(bundle, "images")))[:count]
    run = os.path.join(work, "run")
    subprocess.run([spoolctl, "train", bundle, "--out", run, "--quiet", "--set", "number_of_epochs=1",
                    "--set", "model_name=resnet18", "--set", "training_batch_size=8"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    model = os.path.join(run, "model")
    manifest = json.load(open(os.path.join(model, "model.json")))

    # Spool: the whole command, process start and model load included.
    started = time.monotonic()
    subprocess.run([spoolctl, "score", "--model", model, *images, "--jsonl", os.path.join(work, "s.jsonl"),
                    "--threads", str(threads), "--batch-size", "32", "--quiet"], check=True)
    spool_seconds = time.monotonic() - started

    # torchvision: the usual evaluation loop as a whole command too (interpreter, imports, model, images).
    reference = f"""
import json, sys, torch, torchvision
from PIL import Image
torch.set_num_threads({threads})
images = json.load(open(sys.argv[1]))
manifest = json.load(open(sys.argv[2]))
net = torchvision.models.resnet18(num_classes=len(manifest["classes"])).eval()
pre = manifest["preprocessing"]
transform = torchvision.transforms.Compose([
    torchvision.transforms.Resize(pre["valid_resize_size"]),
    torchvision.transforms.CenterCrop(pre["valid_crop_size"]),
    torchvision.transforms.ToTensor(),
    torchvision.transforms.Normalize(pre["mean"], pre["std"]),
])
class Folder(torch.utils.data.Dataset):
    def __len__(self):
        return len(images)
    def __getitem__(self, i):
        return transform(Image.open(images[i]).convert("RGB"))
out = open(sys.argv[3], "w")
with torch.no_grad():
    for batch in torch.utils.data.DataLoader(Folder(), batch_size=32, num_workers=2):
        for row in torch.softmax(net(batch), dim=1).tolist():
            out.write(json.dumps(row) + "\\n")
"""
    listing = os.path.join(work, "images.json")
    json.dump(images, open(listing, "w"))
    started = time.monotonic()
    subprocess.run(["/usr/bin/python3", "-c", reference, listing, os.path.join(model, "model.json"),
                    os.path.join(work, "t.jsonl")], check=True)
    torch_seconds = time.monotonic() - started

    print(f"batch scoring: {len(images)} images of {size} px, resnet18, {threads} threads")
    print(f"  spoolctl score      {len(images) / spool_seconds:8.1f} img/s ({spool_seconds:.2f} s)")
    print(f"  torchvision loop    {len(images) / torch_seconds:8.1f} img/s ({torch_seconds:.2f} s)")
    print(f"  ratio               {torch_seconds / spool_seconds:8.2f}x")

    # The server.
    server = subprocess.Popen([spoolctl, "serve-model", "--model", model, "--port", "0", "--threads", str(threads)],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = server.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
        elif not line:
            sys.exit("serve-model did not start")
    body = open(images[0], "rb").read()

    def post(_):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/score", data=body, method="POST")
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
            response.read()

    for clients in (1, 8):
        total = 32 * clients
        post(0)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, range(total)))
        seconds = time.monotonic() - started
        print(f"server: {clients} client(s)   {total / seconds:8.1f} requests/s ({total} requests, one image each)")
    server.terminate()
    server.wait()
