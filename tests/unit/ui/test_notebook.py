"""The Voila notebook stays a few lines over aitrader_core.ui (no card logic in it)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[3] / "dashboards" / "operator.ipynb"


def test_the_dashboard_notebook_is_thin_and_stripped() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert sum(len(c.source.splitlines()) for c in code) <= 10
    for cell in code:
        assert cell.outputs == []
        assert cell.execution_count is None
        tree = ast.parse(cell.source)
        defined = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
        assert not any(isinstance(node, defined) for node in ast.walk(tree))
    assert "Dashboard(" in code[-1].source
    assert code[-1].source.rstrip().endswith(".show()")
