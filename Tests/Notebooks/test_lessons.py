#!/usr/bin/env python3
"""Runs every lesson in lessons/ as a script (its assertions are the claims its prose makes) and
exports it to HTML (every cell must run in the notebook runner too), reporting each lesson's time.
Usage: test_lessons.py PATH/TO/descent (a release build: lessons are sized for one)."""
import os
import subprocess
import sys
import tempfile
import time

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/descent")
LESSONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lessons")
failures = []

for name in sorted(os.listdir(LESSONS)):
    if not name.endswith(".dsc"):
        continue
    path = os.path.join(LESSONS, name)
    started = time.monotonic()
    run = subprocess.run([BINARY, "run", path], capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    seconds = time.monotonic() - started
    if run.returncode != 0:
        failures.append(f"lesson {name} failed when run:\n{run.stderr}")
    with tempfile.TemporaryDirectory() as directory:
        exported = subprocess.run([BINARY, "export", path, "--to", "html", "-o", os.path.join(directory, "lesson.html")],
                                  capture_output=True, text=True)
        if exported.returncode != 0:
            failures.append(f"lesson {name} failed to export:\n{exported.stderr}")
    print(f"lesson {name}: {'ok' if run.returncode == 0 and exported.returncode == 0 else 'FAILED'} (ran in {seconds:.1f} s)")

print("\n".join(failures) if failures else "lessons: ok")
print(f"lessons: {'FAILED' if failures else 'passed'}")
sys.exit(1 if failures else 0)
