"""Committed notebooks are exactly what tools/notebooks.py defines, with outputs stripped."""

from __future__ import annotations

import sys

import nbformat
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from make_notebook import build

from notebooks import NOTEBOOKS


@pytest.mark.parametrize("rel", sorted(NOTEBOOKS))
def test_notebook_matches_its_source(rel: str) -> None:
    on_disk = nbformat.read(ROOT / rel, as_version=4)
    expected = build(NOTEBOOKS[rel])
    assert [(c.cell_type, c.source) for c in on_disk.cells] == [
        (c.cell_type, c.source) for c in expected.cells
    ], f"{rel} differs from tools/notebooks.py: run `python tools/make_notebook.py`"
    for cell in on_disk.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_parameterised_notebooks_tag_their_parameters_cell() -> None:
    for rel in NOTEBOOKS:
        nb = nbformat.read(ROOT / rel, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, rel
