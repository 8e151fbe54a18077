"""How long `descent lesson N` takes to show its first cell in a terminal: the time from starting
the process in a pseudo-terminal to the first appearance of the lesson's title, as the median of
RUNS starts. Usage: first_cell.py PATH/TO/descent LESSON TITLE [RUNS]"""
import os
import pty
import select
import signal
import statistics
import sys
import time


def first_cell_seconds(descent, lesson, title):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(descent, [descent, "lesson", lesson])
    seen = b""
    try:
        while title not in seen:
            ready, _, _ = select.select([fd], [], [], 10)
            if not ready:
                raise SystemExit(f"no '{title.decode()}' within 10 s; saw {seen[-300:]!r}")
            seen += os.read(fd, 65536)
        return time.perf_counter() - start
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


descent, lesson, title = sys.argv[1], sys.argv[2], sys.argv[3].encode()
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 20
times = [first_cell_seconds(descent, lesson, title) for _ in range(runs)]
print(f"{statistics.median(times) * 1000:.1f} ms (median of {runs}; min {min(times) * 1000:.1f} ms)")
