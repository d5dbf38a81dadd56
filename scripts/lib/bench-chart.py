#!/usr/bin/env python3
"""Draws an SVG chart of a benchmark's markdown report: one panel of horizontal bars per
column asked for, one bar per row of the report's table, keel's rows in their own colour.

Usage: bench-chart.py REPORT.md OUT.svg --label COL[,COL...] --value COL [--value COL...]
                      [--title TEXT]

Run by scripts/bench.sh and scripts/bench-engines.sh after they write their report, so the
chart shows exactly the report's numbers. The table is the report's first one; rows that
follow it after a blank line with the same number of cells (bench-engines.sh writes one
block per engine) belong to it. Cells are read as their first number ("1,328" -> 1328,
"0.917x" -> 0.917); a row whose cell has none gets no bar in that panel. Standard library
only: the SVG is written by hand.
"""
import argparse
import html
import re
import sys

WIDTH = 760
LABEL_W = 210
VALUE_W = 90
BAR_H = 16
GAP = 5
PANEL_GAP = 26
TITLE_H = 34
KEEL = "#c0392b"
OTHER = "#7f8c8d"


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table(text):
    """The header and rows of the first table, with the same-width blocks after it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            header = cells(line)
            rows = []
            for row in lines[i + 2:]:
                if not row.strip():
                    continue
                if not row.startswith("|"):
                    break
                row = cells(row)
                if len(row) != len(header) or re.match(r"^[-: ]+$", "".join(row)):
                    continue
                rows.append(row)
            return header, rows
    sys.exit("bench-chart.py: no markdown table in the report")


def plain(cell):
    return re.sub(r"[*`]", "", cell).strip()


def number(cell):
    match = re.search(r"-?\d[\d,]*(\.\d+)?", plain(cell))
    return float(match.group(0).replace(",", "")) if match else None


def shown(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("out")
    parser.add_argument("--label", required=True)
    parser.add_argument("--value", action="append", required=True)
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    with open(args.report) as f:
        header, rows = table(f.read())
    index = {plain(name): i for i, name in enumerate(header)}
    for name in args.label.split(",") + args.value:
        if name not in index:
            sys.exit(f"bench-chart.py: no column {name!r} in the table (it has {', '.join(index)})")
    labels = [" ".join(plain(row[index[name]]) for name in args.label.split(",")) for row in rows]

    parts = []
    y = TITLE_H
    panels = 0
    for column in args.value:
        values = [number(row[index[column]]) for row in rows]
        bars = [(label, value) for label, value in zip(labels, values) if value is not None]
        if not bars:
            continue
        panels += 1
        top = max(value for _, value in bars) or 1
        parts.append(f'<text x="10" y="{y + 14}" class="panel">{html.escape(column)}</text>')
        y += 24
        for label, value in bars:
            width = (WIDTH - LABEL_W - VALUE_W) * max(value, 0) / top
            colour = KEEL if "keel" in label else OTHER
            parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 4}" class="label">{html.escape(label)}</text>')
            parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{width:.1f}" height="{BAR_H}" fill="{colour}"/>')
            parts.append(f'<text x="{LABEL_W + width + 5:.1f}" y="{y + BAR_H - 4}" class="value">{shown(value)}</text>')
            y += BAR_H + GAP
        y += PANEL_GAP
    if not panels:
        sys.exit("bench-chart.py: no numbers in the columns asked for")
    title = html.escape(args.title or plain(header[0]))
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" viewBox="0 0 {WIDTH} {y}">',
        "<style>text { font-family: sans-serif; font-size: 12px; fill: #222; }"
        " .title { font-size: 15px; font-weight: bold; } .panel { font-weight: bold; }"
        " .label { text-anchor: end; } .value { fill: #444; }</style>",
        f'<rect width="{WIDTH}" height="{y}" fill="white"/>',
        f'<text x="10" y="22" class="title">{title}</text>',
        *parts,
        "</svg>",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(svg) + "\n")


main()
