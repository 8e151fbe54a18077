#!/usr/bin/env python3
"""Writes digits.csv and iris.csv from the copies scikit-learn ships (run once; the CSVs are
committed). Needs `pip install scikit-learn`."""
import csv
import os

from sklearn.datasets import load_digits, load_iris

here = os.path.dirname(os.path.abspath(__file__))

digits = load_digits()
with open(os.path.join(here, "digits.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow([f"pixel{i}" for i in range(64)] + ["digit"])
    for row, label in zip(digits.data, digits.target):
        writer.writerow([int(v) for v in row] + [int(label)])

iris = load_iris()
with open(os.path.join(here, "iris.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    for row, label in zip(iris.data, iris.target):
        writer.writerow([f"{v:g}" for v in row] + [iris.target_names[label]])
print(f"wrote {len(digits.target)} digits and {len(iris.target)} irises")
