#!/usr/bin/env python3
"""Runs a command and measures the memory of its whole process tree (used by scripts/bench-train.sh).

    memwatch.py --out RESULT.json [--interval 0.05] [--pss-interval 2.0] -- COMMAND [ARGS...]

Three memory numbers, because "peak memory" of several processes has no single right answer:
  * root_max_rss_mb: the kernel's peak RSS of the command's own process, from wait4() (exactly what
    `/usr/bin/time -v` prints as "Maximum resident set size"). For a command that exec()s another program
    (spoolctl execs spool-trainer) it covers both. For a command with child processes (a DataLoader's workers)
    it is the largest single process: Linux reports the maximum, not the sum, over reaped children.
  * peak_tree_rss_mb: the largest sum, at one sample, of the RSS of every live process of the tree. Pages
    shared between processes (libtorch's code, the pages a forked DataLoader worker still shares with its
    parent) count once per process, so for a multi-process tree this overstates its cost.
  * peak_tree_pss_mb: the largest sum, at one sample, of the PSS (proportional set size: a shared page is
    divided among the processes that share it) of every live process of the tree. Pages shared only within
    the tree count exactly once: this is the tree's real cost in RAM, and the number the benchmark's memory
    ratio uses.
How it samples: RSS comes from /proc/PID/statm every --interval (cheap). PSS needs /proc/PID/smaps_rollup,
which walks the page tables under the process's mmap lock (several ms for a 1 GB process, and it stalls the
process's own page faults meanwhile: reading it every 0.1 s slowed a torchvision run by 30%). So
smaps_rollup is read every --pss-interval per process, and in between a process's PSS is estimated as its
current RSS minus its last measured sharing (RSS - PSS), which changes slowly (code and fork-shared pages);
the memory a training step allocates and frees is private, where PSS = RSS. Peaks shorter than --interval
can be missed; a training step repeats its peak every step, so they are not.

Also recorded: the CPU seconds the command used (user, system), and the CPU seconds everything else on the
machine used meanwhile (other_cpu_seconds, from /proc/stat): a check that nothing else competed for the
cores during the measurement. The command's exit status is this script's exit status.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(c) for c in f.read().split())
            except (FileNotFoundError, ProcessLookupError):
                pass
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def tree(root):
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children(pid))
    return pids


def rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def rss_pss(pid):
    try:
        r = p = None
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    r = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    p = int(line.split()[1]) * 1024
                    break
        return (r, p) if r is not None and p is not None else None
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        return None


def busy_cpu_seconds():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--pss-interval", type=float, default=2.0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command")

    start = time.monotonic()
    busy0 = busy_cpu_seconds()
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    proc = subprocess.Popen(command)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda s, _f: proc.send_signal(s))
    sharing = {}  # pid -> (bytes of RSS - PSS at the last smaps_rollup, when)
    peak_rss = peak_pss = peak_procs = samples = pss_reads = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        now = time.monotonic()
        total_rss = total_pss = live = 0
        for p in tree(proc.pid):
            r = rss(p)
            if not r:
                continue
            known = sharing.get(p)
            if known is None or now - known[1] >= args.pss_interval:
                m = rss_pss(p)
                if m:
                    pss_reads += 1
                    known = (max(0, m[0] - m[1]), now)
                    sharing[p] = known
            total_rss += r
            total_pss += max(0, r - (known[0] if known else 0))
            live += 1
        samples += 1
        peak_rss, peak_pss, peak_procs = max(peak_rss, total_rss), max(peak_pss, total_pss), max(peak_procs, live)
        time.sleep(args.interval)
    wall = time.monotonic() - start
    busy = busy_cpu_seconds() - busy0
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    own = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
    code = os.waitstatus_to_exitcode(status)
    result = {
        "command": command,
        "exit_code": code,
        "wall_seconds": wall,
        "root_max_rss_mb": usage.ru_maxrss / 1024.0,  # Linux reports kilobytes
        "peak_tree_rss_mb": peak_rss / 2**20,
        "peak_tree_pss_mb": peak_pss / 2**20,
        "max_processes": peak_procs,
        "samples": samples,
        "pss_reads": pss_reads,
        "interval_s": args.interval,
        "pss_interval_s": args.pss_interval,
        "user_seconds": usage.ru_utime,
        "system_seconds": usage.ru_stime,
        "minor_page_faults": usage.ru_minflt,
        "involuntary_context_switches": usage.ru_nivcsw,
        "watcher_cpu_seconds": own,
        "other_cpu_seconds": max(0.0, busy - usage.ru_utime - usage.ru_stime - own),
        "cores": os.cpu_count(),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
