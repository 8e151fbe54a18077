#!/usr/bin/env python3
"""Runs long training loops with autodiff (one million optimizer steps with grad and adam in
million_steps.dsc, 200,000 hand-written steps with value_and_grad in mlp_steps.dsc) and samples
each process's resident memory from /proc while it runs: after warm-up it must stay flat, or a
tape, closure or tensor is leaking. Each script runs alone in its process, so nothing else moves
its resident size. Usage: test_memory.py PATH/TO/descent (a release build)."""
import os
import subprocess
import sys

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/descent")
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = {"million_steps.dsc": 1_000_000, "mlp_steps.dsc": 200_000}  # script: steps it runs


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def check(script, steps):
    """Failures of one script: its status, and its growth between the warm-up window (10-30% of
    its steps) and the end (80% on). The script prints `step N ...` ten times, sampled as each arrives."""
    process = subprocess.Popen([BINARY, "run", os.path.join(HERE, script)], stdout=subprocess.PIPE, text=True)
    samples = []  # (step reached, resident KiB)
    finished = False
    for line in process.stdout:
        rss = resident_kib(process.pid)
        if line.startswith("step ") and rss is not None:  # None: the process has already exited
            samples.append((int(line.split()[1]), rss))
        finished = finished or line.startswith("done")
    process.wait()
    if process.returncode != 0 or not finished:
        return [f"{script}: the script failed (status {process.returncode})"]
    warm = [rss for reached, rss in samples if steps // 10 <= reached < steps * 3 // 10]
    late = [rss for reached, rss in samples if reached >= steps * 8 // 10]
    if not warm or not late:
        return [f"{script}: too few samples: {len(samples)}"]
    growth = max(late) - max(warm)
    print(f"{script}: resident memory {max(warm) / 1024:.1f} MiB after 10-30% of {steps:,} steps, "
          f"{max(late) / 1024:.1f} MiB after 80%+ (growth {growth / 1024:+.2f} MiB; "
          f"samples: {[round(rss / 1024, 1) for _, rss in samples]})")
    # A leaked tape per step (tens of tensors) would add hundreds of MiB; allow allocator noise.
    if growth > 8 * 1024:
        return [f"{script}: resident memory grew by {growth / 1024:.1f} MiB between warm-up and the end"]
    return []


failures = [failure for script, steps in SCRIPTS.items() for failure in check(script, steps)]
print("\n".join(failures) if failures else "memory: ok")
print(f"memory: {'FAILED' if failures else 'passed'}")
sys.exit(1 if failures else 0)
