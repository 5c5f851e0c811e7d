"""Runs one seeded random sweep under each early-termination policy and without one, through
`spoolctl serve --once`, and compares the compute used and the best metric reached.

The random sampler's configurations depend only on the seed and the trial's index, so every policy sees
the same configurations; only what the policy stops differs.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime

bin_dir, trials, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spoolctl = os.path.join(bin_dir, "spoolctl")

POLICIES = {
    "none": None,
    "bandit": "{type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2}",
    "median_stopping": "{type: median_stopping, evaluation_interval: 1, delay_evaluation: 2}",
    "truncation_selection": "{type: truncation_selection, truncation_percentage: 25, evaluation_interval: 1, delay_evaluation: 2}",
    "successive_halving": "{type: successive_halving, min_resource: 2, reduction_factor: 2}",
}


def settings(policy):
    text = f"""task: image_classification
training_data: {{path: train.jsonl}}
limits: {{timeout_minutes: 120, max_trials: {trials}, max_concurrent_trials: 2}}
training_parameters:
  model_name: resnet18
  number_of_epochs: {epochs}
  training_batch_size: 16
  validation_batch_size: 16
  train_crop_size: 32
  valid_resize_size: 32
  valid_crop_size: 32
  early_stopping: 0
  seed: 7
sweep:
  sampling_algorithm: random
"""
    if policy:
        text += f"  early_termination: {policy}\n"
    text += """search_space:
  - learning_rate: {type: loguniform, min_value: -9.2, max_value: -1.2}
    momentum: {type: uniform, min_value: 0.5, max_value: 0.95}
"""
    return text


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(name, policy, work):
    bundle = os.path.join(work, f"bundle-{name}")
    subprocess.run([spoolctl, "example", "--out", bundle, "--per-class", "30", "--size", "32"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(bundle, "settings.yaml"), "w") as f:
        f.write(settings(policy))
    spool = os.path.join(work, f"spool-{name}")
    subprocess.run([spoolctl, "submit", "--spool", spool, bundle], check=True, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    subprocess.run([spoolctl, "serve", "--once", "--spool", spool], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.monotonic() - started
    status = json.loads(subprocess.run([spoolctl, "status", "--json", "--spool", spool], check=True,
                                       capture_output=True, text=True).stdout)
    job = status["jobs"][0]
    with open(os.path.join(job["outbox"], "trials.json")) as f:
        report = json.load(f)
    rows = report["trials"]
    return {
        "state": job["state"],
        "epochs": sum(t["epochs_done"] for t in rows),
        "seconds": sum(stamp(t["finished_at"]) - stamp(t["started_at"]) for t in rows if t["finished_at"]),
        "stopped": sum(1 for t in rows if t["reason"].startswith("early termination")),
        "best": max(t["best_metric"] or 0 for t in rows),
        "wall": wall,
    }


with tempfile.TemporaryDirectory(prefix="spool-sweep-bench-") as work:
    results = {}
    for name, policy in POLICIES.items():
        results[name] = run(name, policy, work)
        r = results[name]
        print(f"# {name}: {r['state']}, {r['epochs']} epochs, {r['seconds']:.1f} trial-s, best {r['best']:.4f}",
              file=sys.stderr, flush=True)

base = results["none"]
print(f"sweep: random, {trials} trials, 2 at once, {epochs} epochs each, resnet18 at 32 px, 90 generated images")
print(f"{'policy':22} {'stopped':>7} {'epochs':>7} {'trial-s':>8} {'compute':>8} {'saved':>6} {'best acc':>8} {'vs none':>8}")
for name, r in results.items():
    ratio = r["seconds"] / base["seconds"] if base["seconds"] else float("nan")
    print(f"{name:22} {r['stopped']:7d} {r['epochs']:7d} {r['seconds']:8.1f} {ratio:7.2f}x {1 - ratio:6.0%} "
          f"{r['best']:8.4f} {r['best'] - base['best']:+8.4f}")
