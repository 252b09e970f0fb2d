"""The confusion matrix as an SVG drawn on the server (no chart library, no JS): rows are the
intent a message had, columns the intent the model predicted, each cell's shade its share of the
row (green: right, red: confused with another), its count written in it. Every label is escaped: intent names come from trainers' files."""

from __future__ import annotations

from markupsafe import Markup, escape

CELL = 22
LABEL_WIDTH = 170
TOP = 170  # room for the column labels, written upwards


def _short(label: str, length: int = 26) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def confusion_matrix(labels: list[str], matrix: list[list[int]], *, title: str = "") -> Markup:
    size = len(labels)
    # the column labels lean right (rotated -60°): room for the last one beyond the grid
    width, height = LABEL_WIDTH + size * CELL + 100, TOP + size * CELL + 10
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="confusion" role="img" '
              f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'),
             f"<title>{escape(title or 'Confusion matrix')}</title>"]
    for number, label in enumerate(labels):
        y = TOP + number * CELL + CELL * 0.7
        parts.append(f'<text class="row-label" x="{LABEL_WIDTH - 6}" y="{y:.0f}" '
                     f'text-anchor="end">{escape(_short(label))}</text>')
        x = LABEL_WIDTH + number * CELL + CELL * 0.7
        parts.append(f'<text class="column-label" x="{x:.0f}" y="{TOP - 6}" '
                     f'transform="rotate(-60 {x:.0f} {TOP - 6})">{escape(_short(label))}</text>')
    for row, counts in enumerate(matrix):
        total = sum(counts) or 1
        for column, count in enumerate(counts):
            x, y = LABEL_WIDTH + column * CELL, TOP + row * CELL
            kind = "hit" if row == column else "miss" if count else "empty"
            share = count / total
            if kind == "miss":  # even one confusion should catch the eye
                share = 0.3 + 0.7 * share
            parts.append(
                f'<rect class="cell {kind}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
                f'fill-opacity="{0.08 + 0.92 * share:.2f}" data-count="{count}">'
                f"<title>{escape(labels[row])} → {escape(labels[column])}: {count}</title></rect>")
            if count:
                parts.append(f'<text class="count {kind}" x="{x + CELL / 2:.0f}" '
                             f'y="{y + CELL * 0.7:.0f}" text-anchor="middle">{count}</text>')
    parts.append("</svg>")
    return Markup("\n".join(parts))
