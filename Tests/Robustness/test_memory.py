#!/usr/bin/env python3
"""Runs one million optimizer steps with autodiff (million_steps.dsc) and samples the process's
resident memory from /proc while it runs: after warm-up it must stay flat, or a tape, closure or
tensor is leaking. Usage: test_memory.py PATH/TO/descent (a release build)."""
import os
import subprocess
import sys

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/descent")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "million_steps.dsc")


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


# The script prints a line every 100,000 steps; memory is sampled as each arrives.
process = subprocess.Popen([BINARY, "run", SCRIPT], stdout=subprocess.PIPE, text=True)
samples = []  # (step reached, resident KiB)
finished = False
for line in process.stdout:
    rss = resident_kib(process.pid)
    if line.startswith("step ") and rss is not None:  # None: the process has already exited
        samples.append((int(line.split()[1]), rss))
    finished = finished or line.startswith("done")
process.wait()
failures = []
if process.returncode != 0 or not finished:
    failures.append(f"the script failed (status {process.returncode})")
warm = [rss for reached, rss in samples if 100_000 <= reached < 300_000]
late = [rss for reached, rss in samples if reached >= 800_000]
if not warm or not late:
    failures.append(f"too few samples: {len(samples)}")
else:
    growth = max(late) - max(warm)
    print(f"resident memory: {max(warm) / 1024:.1f} MiB after 100k-300k steps, {max(late) / 1024:.1f} MiB after 800k+ "
          f"(growth {growth / 1024:+.2f} MiB; samples every 100k steps: {[round(rss / 1024, 1) for _, rss in samples]})")
    # A leaked tape per step (tens of tensors) would add hundreds of MiB; allow allocator noise.
    if growth > 8 * 1024:
        failures.append(f"resident memory grew by {growth / 1024:.1f} MiB between 300k and 1M steps")
print("\n".join(failures) if failures else "memory: ok")
print(f"memory: {'FAILED' if failures else 'passed'}")
sys.exit(1 if failures else 0)
