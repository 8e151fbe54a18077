#!/usr/bin/env python3
"""Exports Tests/Notebooks/sample.dsc to HTML, Markdown and .ipynb with the built binary and checks
each: the .ipynb against nbformat's schema, the HTML parsed for every cell and every SVG, the
Markdown with its SVG files beside it. Usage: test_export.py PATH/TO/descent"""
import html.parser
import json
import os
import subprocess
import sys
import tempfile
import xml.dom.minidom

import nbformat

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/descent")
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.dsc")
CODE_CELLS, MARKDOWN_CELLS, PLOTS = 4, 2, 1
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def export(fmt, out):
    result = subprocess.run([BINARY, "export", SAMPLE, "--to", fmt, "-o", out], capture_output=True, text=True)
    # The sample's third code cell fails on purpose: the export goes on and exits 1.
    check(result.returncode == 1, f"{fmt}: exit status {result.returncode}, expected 1 ({result.stderr})")
    check("cannot add list and number" in result.stderr, f"{fmt}: the failing cell's diagnostic is not reported")
    check(os.path.exists(out), f"{fmt}: {out} was not written")


class Sections(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes, self.svgs, self.errors, self.inside_error, self.error_text = [], 0, 0, False, ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section":
            self.classes.append(attributes.get("class"))
        if tag == "svg":
            self.svgs += 1
        if tag == "pre" and attributes.get("class") == "error":
            self.errors += 1


with tempfile.TemporaryDirectory() as directory:
    page = os.path.join(directory, "sample.html")
    export("html", page)
    parser = Sections()
    text = open(page).read()
    parser.feed(text)
    check(parser.classes.count("code") == CODE_CELLS, f"html: {parser.classes.count('code')} code sections")
    check(parser.classes.count("markdown") == MARKDOWN_CELLS, f"html: {parser.classes.count('markdown')} prose sections")
    check(parser.svgs == PLOTS, f"html: {parser.svgs} inline SVGs")
    check(parser.errors == 1, f"html: {parser.errors} error blocks")
    check("<strong>Markdown</strong>" in text and "<li>" in text, "html: the Markdown was not rendered")
    check("http://" not in text.replace("http://www.w3.org/2000/svg", ""), "html: refers to the network")

    notebook = os.path.join(directory, "sample.ipynb")
    export("ipynb", notebook)
    document = nbformat.read(notebook, as_version=4)
    nbformat.validate(document)
    cells = document["cells"]
    check([c["cell_type"] for c in cells].count("code") == CODE_CELLS, "ipynb: wrong number of code cells")
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    check(any(o["output_type"] == "stream" and "lr is 0.1" in "".join(o["text"]) for o in outputs), "ipynb: no printed output")
    check(sum("image/svg+xml" in o.get("data", {}) for o in outputs) == PLOTS, "ipynb: plots missing")
    check(any(o["output_type"] == "error" for o in outputs), "ipynb: the failing cell has no error output")

    markdown = os.path.join(directory, "sample.md")
    export("md", markdown)
    text = open(markdown).read()
    check(text.count("```descent") == CODE_CELLS, "md: wrong number of code blocks")
    svg = os.path.join(directory, "sample-plot-1.svg")
    check(os.path.exists(svg) and "](sample-plot-1.svg)" in text, "md: the plot's SVG file is missing or not linked")
    if os.path.exists(svg):
        xml.dom.minidom.parse(svg)

print("\n".join(failures) if failures else "export: ok")
print(f"export: {'FAILED' if failures else 'passed'}")
sys.exit(1 if failures else 0)
