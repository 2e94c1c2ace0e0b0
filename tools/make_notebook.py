"""Write a notebook from a list of (kind, source) cells, outputs empty.

Used to keep notebooks reviewable as code: ``python tools/make_notebook.py``
regenerates them from the definitions in ``tools/notebooks.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from notebooks import NOTEBOOKS  # noqa: E402


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Build a notebook; a code cell whose source starts with ``# parameters`` is tagged."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        text = source.strip("\n")
        if kind == "md":
            nb.cells.append(new_markdown_cell(text))
        else:
            cell = new_code_cell(text)
            if text.startswith("# parameters"):
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: regenerating gives an identical file
    return nb


def main() -> None:
    """Write every notebook defined in tools/notebooks.py."""
    for rel, cells in NOTEBOOKS.items():
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build(cells), path)
        print(f"wrote {rel}")


if __name__ == "__main__":
    main()
