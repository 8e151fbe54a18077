#!/usr/bin/env python3
# Rewrites the golden plot renderings from the current binary: python3 Tests/Scripts/plots/regenerate_golden.py .build/debug/descent
# (run from this folder; review the diff by eye before committing).
import subprocess, sys, os
# Appends the current output of each script body as its '# expect:' lines (golden snapshots,
# reviewed by eye before committing).
for name, body in [
    ("line_plot", 'print(plot({constant: exp(-arange(40) / 10), cosine: schedule_table(cosine_lr(1, 40), 40)}, title: "loss", xlabel: "step", ylabel: "rate"))'),
    ("scatter_plot", 'let X, y = make_blobs(40, centers: tensor([[0, 0], [4, 4]]), std: 0.5, seed: 1)\nprint(scatter(X, labels: y, title: "blobs"))'),
    ("scatter_named_plot", 'print(scatter(tensor([[0.1, 0.1], [0.5, 0.9], [0.3, 0.6], [0.8, 0.2]]), labels: ["random", "grid", "random", "grid"], title: "trials"))'),
    ("contour_plot", 'let f = fn(v) => v[0] ** 2 + 3 * v[1] ** 2\nlet r = minimize(f, tensor([1.8, 1.5]), opt: "sgd", lr: 0.1, steps: 15)\nprint(contour(f, paths: {sgd: r}, levels: 4, resolution: 30, title: "bowl"))'),
    ("heatmap_plot", 'print(heatmap(tensor([[0, 1, 2], [3, 4, 5]]), title: "matrix"))'),
    ("bar_plot", 'print(bar(["sgd", "momentum", "adam"], [0.31, 0.12, 0.08], title: "final loss"))'),
    ("hist_plot", 'seed(3)\nprint(hist(randn([300]), bins: 8, title: "normal"))'),
    ("schedule_plot", 'print(schedule_plot([step_lr(0.1, 20, gamma: 0.5), cosine_lr(0.1, 60)], steps: 60, logy: true))'),
]:
    path = f"{name}.dsc"
    with open("/tmp/golden_body.dsc", "w") as f: f.write(body + "\n")
    out = subprocess.run([sys.argv[1], "run", "/tmp/golden_body.dsc"], capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert out.returncode == 0, out.stderr
    with open(path, "w") as f:
        f.write(f"# A golden rendering (80 columns, no colour) of {name.replace('_', ' ')}.\n" + body + "\n")
        for line in out.stdout.rstrip("\n").split("\n"):
            f.write(f"# expect: {line}\n")
    print(path, len(out.stdout.splitlines()), "lines")
