"""Refresh the stored outputs that nbval checks, after a deliberate change of results.

Run ``neurolab reproduce`` first (default parameters); this copies the outputs of the
``# NBVAL_CHECK_OUTPUT`` cells from the executed copies in ``results/notebooks/`` into
``notebooks/`` and strips every other output and execution metadata, so the committed
notebooks hold exactly the numbers the test suite checks and nothing else::

    neurolab reproduce && python tools/refresh_checked_outputs.py
"""
import sys
from pathlib import Path
import nbformat

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
for src in sorted((ROOT / "notebooks").glob("*.ipynb")):
    nb = nbformat.read(str(src), as_version=4)
    ex = nbformat.read(str(ROOT / "results" / "notebooks" / src.name), as_version=4)
    by_id = {c.id: c for c in ex.cells}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        cell.outputs = []
        for k in ("execution", "papermill"):
            cell.metadata.pop(k, None)
        if "# NBVAL_CHECK_OUTPUT" in cell.source:
            outs = by_id[cell.id].outputs
            assert by_id[cell.id].source == cell.source, src
            assert all(o.output_type == "stream" and o.name == "stdout" for o in outs), outs
            cell.execution_count = 1      # nbval compares only cells that were run
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text="".join(o.text for o in outs))]
            print(src.name, cell.id, "".join(o.text for o in outs), sep="\n")
    for k in ("papermill", "widgets"):
        nb.metadata.pop(k, None)
    nbformat.validate(nb)
    nbformat.write(nb, str(src))
