#!/usr/bin/env python3
"""Runs every lesson in lessons/ (its assertions are the claims its prose makes) under several run
seeds, and exports it to HTML (every cell must run in the notebook runner too), reporting each
run's time. A lesson must pass for every --seed and run in under 30 s (lessons/README.md); a run
over 30 s is reported as a warning, not a failure: timings belong to `make bench`, which records
them in BENCHMARKS.md, and this shared machine's timings are noisy.

Usage: test_lessons.py PATH/TO/descent [--seeds 0,1,2 | --seeds 0-29] [--only 01] [--no-export]
(a release build: lessons are sized for one). The seeds default to LESSON_SEEDS or 0,1,2; the
export runs under the first seed. --seeds 0-29 is the sweep an author runs before a lesson lands."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

LESSONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lessons")
TIME_LIMIT = 30.0


def seed_list(text):
    seeds = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        if "-" in part:
            low, high = part.split("-")
            seeds += range(int(low), int(high) + 1)
        else:
            seeds.append(int(part))
    return seeds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=".build/release/descent")
    parser.add_argument("--seeds", default=os.environ.get("LESSON_SEEDS", "0,1,2"))
    parser.add_argument("--only", default="", help="run only the lessons whose file names start with this")
    parser.add_argument("--no-export", action="store_true")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    seeds = seed_list(options.seeds)
    failures = []
    slow = []
    for name in sorted(os.listdir(LESSONS)):
        if not name.endswith(".dsc") or not name.startswith(options.only):
            continue
        path = os.path.join(LESSONS, name)
        times = []
        for seed in seeds:
            started = time.monotonic()
            run = subprocess.run([binary, "run", "--seed", str(seed), path], capture_output=True, text=True,
                                 env=dict(os.environ, NO_COLOR="1"))
            seconds = time.monotonic() - started
            times.append(seconds)
            if run.returncode != 0:
                failures.append(f"lesson {name} failed with --seed {seed}:\n{run.stderr}")
            if seconds > TIME_LIMIT:
                slow.append(f"lesson {name} took {seconds:.1f} s with --seed {seed} (the limit is {TIME_LIMIT:.0f} s)")
            print(f"lesson {name} --seed {seed}: {'ok' if run.returncode == 0 else 'FAILED'} ({seconds:.1f} s)", flush=True)
        if not options.no_export:
            with tempfile.TemporaryDirectory() as directory:
                exported = subprocess.run([binary, "export", path, "--seed", str(seeds[0]), "--to", "html",
                                           "-o", os.path.join(directory, "lesson.html")], capture_output=True, text=True)
                if exported.returncode != 0:
                    failures.append(f"lesson {name} failed to export:\n{exported.stderr}")
                print(f"lesson {name} export: {'ok' if exported.returncode == 0 else 'FAILED'}", flush=True)
        print(f"lesson {name}: slowest run {max(times):.1f} s", flush=True)
    for warning in slow:
        print(f"warning: {warning}")
    print("\n".join(failures) if failures else "lessons: ok")
    print(f"lessons: {'FAILED' if failures else 'passed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
