#!/usr/bin/env python3
"""Writes python_numbers.json: how CPython prints, rounds, formats and divides a spread of doubles.
Descent's number semantics follow Python's; NumberSemanticsTests checks them against this file.
Regenerate with: python3 Tests/DescentLanguageTests/Fixtures/generate_python_numbers.py
"""
import json
import math
import os
import random

random.seed(1234)
values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 1e-5, 1.5e-7, 123456.789,
          1e15, 9007199254740993.0, 1e16, 1.5e16, 1e22, 1e300, 5e-324, 2.5, 3.5, -2.5, 0.5, 1.005, 2.675,
          1234.5678, -0.000123, math.pi, math.e, 1e-300]
values += [random.uniform(-1000, 1000) for _ in range(40)]
values += [10 ** random.uniform(-12, 12) * random.choice([-1, 1]) for _ in range(40)]


def integral_form(x):
    # Descent prints integral values below 1e16 without ".0"; Python prints "3.0".
    if x == int(x) and abs(x) < 1e16:
        return "-0" if (x == 0 and math.copysign(1, x) < 0) else str(int(x))
    return repr(x)


cases = []
for x in values:
    # Numbers are written as repr strings: some JSON readers do not round decimal text correctly.
    cases.append({
        "x": repr(x),
        "repr": integral_form(x),
        "round0": repr(float(round(x))),
        "round2": repr(round(x, 2)),
        "round_neg1": repr(round(x, -1)),
        "format_3f": format(x, ".3f"),
        "format_2e": format(x, ".2e"),
        "format_g": format(x, ".4g"),
        "format_pct": format(x, ".1%"),
        "format_width": format(x, ">12.2f"),
    })

pairs = []
for a, b in [(5, 3), (-5, 3), (5, -3), (-5, -3), (5.5, 2), (-7.25, 2), (7, 0.5), (1e10, 7), (-1e-3, 1), (0.0, 3), (-6, 3), (6, -3), (-0.0, 5), (7.5, -2.5), (1e17, 3), (-2 ** 60, 7)]:
    a, b = float(a), float(b)  # Descent's numbers are doubles: compare with float arithmetic
    pairs.append({"a": repr(float(a)), "b": repr(float(b)), "mod": repr(float(a % b)),
                  "floordiv": repr(float(a // b)), "pow": repr(float(a ** 2))})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "python_numbers.json"), "w") as out:
    json.dump({"generator": "CPython " + ".".join(map(str, __import__("sys").version_info[:3])),
               "cases": cases, "pairs": pairs}, out, indent=1)
    out.write("\n")
