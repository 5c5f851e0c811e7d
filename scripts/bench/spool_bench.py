#!/usr/bin/env python3
"""The spool's benchmark: drop-to-PENDING latency, unpack throughput against bsdtar, `spoolctl status` over
10,000 jobs, and the daemon's CPU while idle. Run through scripts/bench-spool.sh (which builds first).

Each number is printed beside its target; ratios are measured against a reference in the same run.
"""
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
SPOOLCTL = os.path.join(BIN, "spoolctl")
WORK = tempfile.mkdtemp(prefix="spool-bench-")


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def status_jobs(spool):
    out = run([SPOOLCTL, "status", "--spool", spool, "--json", "--limit", "100"]).stdout
    return json.loads(out)["jobs"]


def make_bundle(path, seed):
    # About 10 MB: 3 x 200 images of 192 px PNG (noise-heavy images compress little).
    run([SPOOLCTL, "example", "--out", path, "--per-class", "200", "--size", "192", "--seed", str(seed)])


def drop_latency():
    spool = os.path.join(WORK, "spool-latency")
    run([SPOOLCTL, "init", "--spool", spool])
    # A stand-in trainer that waits: jobs stay RUNNING, so the measurement is intake only.
    fake = os.path.join(WORK, "fake-trainer.sh")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\nif [ "$1" = "train" ]; then exec sleep 600; fi\nexec "%s" "$@"\n' % os.path.join(BIN, "spool-trainer"))
    os.chmod(fake, 0o755)
    env = dict(os.environ, SPOOL_TRAINER=fake)
    daemon = subprocess.Popen([SPOOLCTL, "serve", "--spool", spool], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        latencies, sizes = [], []
        for i in range(5):
            bundle = os.path.join(WORK, f"bundle{i}")
            make_bundle(bundle, seed=100 + i)
            archive = os.path.join(WORK, f"drop{i}.tar.gz")
            run(["tar", "-czf", archive, "-C", bundle, "."])
            sizes.append(os.path.getsize(archive))
            staged = os.path.join(spool, "tmp", f"drop{i}.tar.gz")
            shutil.copy(archive, staged)
            before = len(status_jobs(spool))
            start = time.monotonic()
            os.rename(staged, os.path.join(spool, "incoming", f"drop{i}.tar.gz"))
            while len(status_jobs(spool)) == before:
                time.sleep(0.02)
                if time.monotonic() - start > 120:
                    raise SystemExit("drop not queued within 120 s")
            latencies.append(time.monotonic() - start)
        return statistics.median(latencies), latencies, statistics.mean(sizes)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def unpack_ratio():
    bundle = os.path.join(WORK, "bundle0")
    results = {}
    for name, tar_args in [("tar.gz", ["-czf"]), ("tar", ["-cf"])]:
        archive = os.path.join(WORK, f"unpack.{name}")
        run(["tar"] + tar_args + [archive, "-C", bundle, "."])
        spool_t, bsd_t = [], []
        for i in range(5):
            d1, d2 = os.path.join(WORK, f"u-spool-{name}-{i}"), os.path.join(WORK, f"u-bsd-{name}-{i}")
            os.makedirs(d2)
            t = time.monotonic(); run([SPOOLCTL, "unpack", archive, "--into", d1]); spool_t.append(time.monotonic() - t)
            t = time.monotonic(); run(["bsdtar", "-xf", archive, "-C", d2]); bsd_t.append(time.monotonic() - t)
            shutil.rmtree(d1); shutil.rmtree(d2)
        results[name] = (statistics.median(bsd_t) / statistics.median(spool_t), statistics.median(spool_t),
                         statistics.median(bsd_t), os.path.getsize(archive))
    return results


def status_10k():
    spool = os.path.join(WORK, "spool-10k")
    run([SPOOLCTL, "init", "--spool", spool])
    db = sqlite3.connect(os.path.join(spool, "spool.sqlite"))
    cols = [r[1] for r in db.execute("PRAGMA table_info(jobs)")]
    now = time.time()
    rows = []
    states = ["COMPLETED"] * 7 + ["FAILED", "PENDING", "CANCELLED"]
    for i in range(10000):
        state = states[i % len(states)]
        row = {"id": f"j-20261129-{i:05d}", "name": f"job{i}", "task": "image_classification", "state": state,
               "reason": "finished" if state == "COMPLETED" else "queued", "priority": 0,
               "created_at": now - 10000 + i, "attempts": 1, "max_attempts": 3, "bundle_path": "x",
               "settings_json": "{}", "budget_seconds": 3600, "cancel_requested": 0}
        if state != "PENDING":
            row["started_at"] = now - 10000 + i
            row["finished_at"] = now - 9990 + i
        if state == "COMPLETED":
            row["best_metric_name"], row["best_metric_value"] = "accuracy", 0.9
        rows.append(row)
    keys = [k for k in rows[0].keys() if k in cols] + (["started_at", "finished_at"] if "started_at" in cols else [])
    keys = list(dict.fromkeys(keys + [k for k in ("best_metric_name", "best_metric_value") if k in cols]))
    # Dates as the store writes them (GRDB: "YYYY-MM-DD HH:MM:SS.SSS").
    def fmt(v, k):
        if k.endswith("_at") and isinstance(v, float):
            return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v)) + ".000"
        return v
    db.executemany(f"INSERT INTO jobs ({','.join(keys)}) VALUES ({','.join('?' * len(keys))})",
                   [[fmt(r.get(k), k) for k in keys] for r in rows])
    db.commit()
    db.close()
    times = []
    for _ in range(7):
        t = time.monotonic()
        out = run([SPOOLCTL, "status", "--spool", spool]).stdout
        times.append(time.monotonic() - t)
    assert "10000 job(s)" in out, out[-300:]
    return statistics.median(times)


def idle_cpu():
    spool = os.path.join(WORK, "spool-idle")
    daemon = subprocess.Popen([SPOOLCTL, "serve", "--spool", spool], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        def ticks():
            with open(f"/proc/{daemon.pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            return int(parts[11]) + int(parts[12])
        t0, c0 = time.monotonic(), ticks()
        time.sleep(20)
        t1, c1 = time.monotonic(), ticks()
        hz = os.sysconf("SC_CLK_TCK")
        return (c1 - c0) / hz / (t1 - t0) * 100
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


if __name__ == "__main__":
    try:
        median, all_latencies, size = drop_latency()
        print(f"drop to PENDING ({size / 1e6:.1f} MB .tar.gz bundle, 600 images): median {median:.2f} s "
              f"over {len(all_latencies)} drops {['%.2f' % x for x in all_latencies]}")
        for name, (ratio, s, b, bytes_) in unpack_ratio().items():
            ok = "meets" if ratio >= 0.9 else "MISSES"
            print(f"unpack .{name} ({bytes_ / 1e6:.1f} MB): spoolctl unpack {s * 1000:.0f} ms, bsdtar -x {b * 1000:.0f} ms: "
                  f"{ratio:.2f}x bsdtar ({ok} the 0.9x target)")
        t = status_10k()
        print(f"spoolctl status with 10,000 jobs: median {t * 1000:.0f} ms (target < 200 ms: {'meets' if t < 0.2 else 'MISSES'})")
        cpu = idle_cpu()
        print(f"daemon CPU while idle over 20 s: {cpu:.3f}% of one core (target about 0)")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
