#!/usr/bin/env bash
# Runs every benchmark side by side with its reference programs in one hyperfine run each and
# prints a Markdown table of medians and ratios to CPython (copied into BENCHMARKS.md).
# Usage: bench/run.sh PATH/TO/descent   (make bench builds the release binary and calls this)
set -euo pipefail
descent=${1:-.build/release/descent}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/results
mkdir -p "$out"
# The real CPython binary, not a version-manager shim, and -S (no site-packages scan): the
# strictest comparison, CPython with nothing but its own startup.
python="$(python3 -c 'import sys; print(sys.executable)') -S"
# NumPy needs site-packages, so the NumPy programs run with the same binary without -S.
numpy_python=$(python3 -c 'import sys; print(sys.executable)')
lua=$(command -v lua5.4)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "descent: $($descent --version); $($python --version) (as '$python'); $($lua -v | cut -d' ' -f1-2)"
echo

for name in fib loop closures; do
    hyperfine -N --warmup 2 --runs 15 --export-json "$out/$name.json" \
        -n descent "$descent run $here/$name.dsc" \
        -n python "$python $here/$name.py" \
        -n lua "$lua $here/$name.lua" >/dev/null
done
hyperfine -N --warmup 5 --runs 40 --export-json "$out/startup.json" \
    -n descent "$descent -e 1+1" -n python "$python -c 1+1" -n lua "$lua -e x=1+1" >/dev/null

# The training loop: whole programs (start-up, NumPy's import and data included) side by side, and
# the loop alone as each program times it, Descent and NumPy alternating five times.
hyperfine -N --warmup 2 --runs 15 --export-json "$out/train.json" \
    -n descent "$descent run $here/train.dsc" -n numpy "$numpy_python $here/train.py" >/dev/null
for round in 1 2 3 4 5; do
    "$descent" run "$here/train.dsc" > "$out/train-descent-$round.json"
    "$numpy_python" "$here/train.py" > "$out/train-numpy-$round.json"
done

# Tensor kernels and a training step: timed inside each program (start-up excluded), Descent
# and NumPy alternating three times; the table takes each kernel's median over the three runs.
for round in 1 2 3; do
    "$descent" run "$here/tensor.dsc" > "$out/tensor-descent-$round.json"
    python3 "$here/tensor.py" > "$out/tensor-numpy-$round.json"
done

echo "overhead: $("$descent" run "$here/overhead.dsc" | tr '\n' ' ')"
echo "plots (seconds per drawing): $("$descent" run "$here/plots.dsc")"
echo "search (64 random-search trials, 1 worker and $(nproc)): $("$descent" run "$here/search.dsc" "$(nproc)")"
echo "replicate (10 seeds of a digits training, 1 worker and $(nproc)): $("$descent" run "$here/replicate.dsc" "$(nproc)")"
echo "lesson 1's first cell in a terminal: $(python3 "$here/first_cell.py" "$descent" 1 "Learning-rate decay")"
# Lessons have no reference program: their budget is 30 s each with a release build, for every
# run seed (the lesson tests run seeds 0, 1 and 2; replicates use every core).
for lesson in "$here"/../lessons/*.dsc; do
    times=""
    for seed in 0 1 2; do
        hyperfine -N --runs 1 --export-json "$out/lesson.json" "$descent run --seed $seed $lesson" > /dev/null
        times="$times $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.2f/%.2f" % (r["median"], r["user"]))' "$out/lesson.json")"
    done
    echo "lesson $(basename "$lesson") (wall/user seconds, --seed 0 1 2):$times"
done
echo

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
titles = {"fib": "recursive fib(27)", "loop": "3M-iteration numeric while loop",
          "closures": "map/filter closures over 100k-element lists", "startup": "startup: `-e '1+1'`"}
print("| benchmark | Descent | CPython | Lua 5.4 | Descent / CPython | Descent / Lua |")
print("|---|---:|---:|---:|---:|---:|")
for name in ["fib", "loop", "closures", "startup"]:
    results = {r["command"]: r["median"] for r in json.load(open(os.path.join(out, name + ".json")))["results"]}
    d, p, l = results["descent"], results["python"], results["lua"]
    print(f"| {titles[name]} | {d*1000:.1f} ms | {p*1000:.1f} ms | {l*1000:.1f} ms | {d/p:.2f}x | {d/l:.2f}x |")

from statistics import median
train = {r["command"]: r["median"] for r in json.load(open(os.path.join(out, "train.json")))["results"]}
loops = {name: median(json.load(open(os.path.join(out, f"train-{name}-{r}.json")))["loop_seconds"] for r in range(1, 6))
         for name in ["descent", "numpy"]}
print()
print("| training loop (2-32-32-1 tanh MLP, 800 Adam steps) | Descent | NumPy | Descent / NumPy |")
print("|---|---:|---:|---:|")
print(f"| whole program | {train['descent']*1000:.1f} ms | {train['numpy']*1000:.1f} ms | {train['descent']/train['numpy']:.2f}x |")
print(f"| the loop alone | {loops['descent']*1000:.1f} ms | {loops['numpy']*1000:.1f} ms | {loops['descent']/loops['numpy']:.2f}x |")

runs = range(1, 4)
descent = [json.load(open(os.path.join(out, f"tensor-descent-{r}.json"))) for r in runs]
reference = [json.load(open(os.path.join(out, f"tensor-numpy-{r}.json"))) for r in runs]
kernels = {"matmul_512": "512x512 @ 512x512", "add_1e6": "x + y, 1e6 elements", "multiply_add_1e6": "x * y + z, 1e6 elements",
           "tanh_1e6": "tanh(x), 1e6 elements", "exp_1e6": "exp(x), 1e6 elements", "sum_1e6": "sum(x), 1e6 elements",
           "max_1e6": "max(x), 1e6 elements", "add_32x32": "a + b, 32x32", "matmul_32x32": "a @ b, 32x32",
           "mlp_step": "2-32-32-1 tanh MLP, batch 32: loss + gradient",
           "adam_update": "Adam update of that MLP's 1,185 parameters",
           "training_step": "training step: loss + gradient + Adam update"}
has_torch = all("pytorch" in r for r in reference)
print()
print("| kernel | Descent | NumPy | Descent / NumPy |" + (" PyTorch |" if has_torch else ""))
print("|---|---:|---:|---:|" + ("---:|" if has_torch else ""))
for key, title in kernels.items():
    d = median(r[key] for r in descent)
    n = median(r["numpy"][key] for r in reference)
    torch = ""
    if has_torch:
        torch = f" {median(r['pytorch'][key] for r in reference)*1e6:.1f} us |" if key in reference[0]["pytorch"] else " |"
    print(f"| {title} | {d*1e6:.1f} us | {n*1e6:.1f} us | {d/n:.2f}x |" + torch)
PY
