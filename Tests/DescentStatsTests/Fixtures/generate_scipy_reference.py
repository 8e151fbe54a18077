#!/usr/bin/env python3
"""Writes scipy_reference.json: Student's t (cdf, sf, ppf) and the paired and Welch t-tests with
their confidence intervals, as SciPy computes them. SciPy is used here only; the tests read the JSON.
Run: python3 generate_scipy_reference.py (SciPy >= 1.11, for confidence_interval on test results)."""
import json
import os

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261204)

distribution = []
# (SciPy's Cauchy cdf is off by 3e-9 relative at t = 1e-8, checked with mpmath, so the smallest
# nonzero t is 1e-4.)
degrees = [1, 1.5, 2, 3, 4, 4.7, 5, 9, 10, 19.3, 29, 30, 57.25, 100, 1e3, 1e5, 1e7]
points = [0, 1e-4, 0.01, 0.3, 1, 1.96, 2.5, 3.7, 8, 40, 1e3, 1e6, -0.5, -2.2, -12]
for v in degrees:
    for t in points:
        distribution.append({"df": v, "t": t, "cdf": float(stats.t.cdf(t, v)), "sf": float(stats.t.sf(t, v)),
                             "pdf": float(stats.t.pdf(t, v))})
quantiles = []
for v in degrees:
    for p in [1e-12, 1e-6, 0.001, 0.025, 0.05, 0.2, 0.5, 0.6, 0.9, 0.95, 0.975, 0.995, 0.999999]:
        quantiles.append({"df": v, "p": p, "t": float(stats.t.ppf(p, v))})


def interval(result):
    ci = result.confidence_interval(0.95)
    return [float(ci.low), float(ci.high)]


tests = []
for case in range(60):
    n = int(rng.choice([2, 3, 5, 8, 10, 20, 50]))
    m = int(rng.choice([2, 3, 5, 8, 10, 20, 50]))
    scale = float(10 ** rng.uniform(-6, 3))
    a = (rng.normal(0, 1, n) * scale + rng.normal(0, 2) * scale).tolist()
    b = (rng.normal(0, 1, n) * scale * rng.uniform(0.3, 3)).tolist()
    c = (rng.normal(0, 1, m) * scale * rng.uniform(0.3, 3) + rng.normal(0, 2) * scale).tolist()
    paired = stats.ttest_rel(a, b)
    welch = stats.ttest_ind(a, c, equal_var=False)
    tests.append({
        "a": a, "b": b, "c": c,
        "paired": {"statistic": float(paired.statistic), "p": float(paired.pvalue), "df": float(paired.df), "ci": interval(paired)},
        "welch": {"statistic": float(welch.statistic), "p": float(welch.pvalue), "df": float(welch.df), "ci": interval(welch)},
    })

summaries = []
for case in range(30):
    n = int(rng.choice([2, 3, 4, 5, 7, 10, 30]))
    values = (rng.normal(0, 1, n) * 10 ** rng.uniform(-4, 2)).tolist()
    mean = float(np.mean(values))
    sem = float(stats.sem(values))
    low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=sem)
    summaries.append({"values": values, "mean": mean, "std": float(np.std(values, ddof=1)), "stderr": sem,
                      "ci": [float(low), float(high)]})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "scipy_reference.json"), "w") as out:
    json.dump({"scipy": scipy.__version__, "distribution": distribution, "quantiles": quantiles, "tests": tests,
               "summaries": summaries}, out, indent=1)
    out.write("\n")
