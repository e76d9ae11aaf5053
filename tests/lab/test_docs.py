"""``neurolab docs`` without Sphinx: which executed copies it accepts, how a slider
explorer's output becomes static, and the command's refusal when nothing was run.

The site itself is built and opened in Chromium by ``tests/course/test_docs_site.py``
(mark ``browser``).
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

from neurolab.cli import EXIT_USAGE, main
from neurolab.lab.docs import WIDGET_STATE, WIDGET_VIEW, check_executed, static_widgets

ROOT = Path(__file__).resolve().parents[2]


def _png() -> str:
    """A 1x1 PNG, base64: what an ipympl canvas keeps as ``_data_url``."""
    def chunk(kind, data):
        body = kind + data
        return (len(data).to_bytes(4, "big") + body
                + zlib.crc32(body).to_bytes(4, "big"))

    raw = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]))
           + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return base64.b64encode(raw).decode()


def _notebook(code: list[str], outputs=None, widgets=None) -> dict:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
    for k, src in enumerate(code):
        cells.append({"cell_type": "code", "metadata": {}, "source": src,
                      "execution_count": None,
                      "outputs": (outputs or {}).get(k, [])})
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                           "language": "python"}}
    if widgets is not None:
        meta["widgets"] = {WIDGET_STATE: {"state": widgets, "version_major": 2,
                                          "version_minor": 0}}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def test_check_executed_missing_stale_and_current(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    results = tmp_path / "results" / "notebooks"
    results.mkdir(parents=True)
    current, stale, missing = (notebooks / f"{n}.ipynb" for n in ("a", "b", "c"))
    for nb in (current, stale, missing):
        nb.write_text(json.dumps(_notebook(["x = 1", "print(x)"])))
    ran = _notebook(["x = 1", "print(x)"], outputs={1: [{"output_type": "stream",
                                                        "name": "stdout", "text": "1\n"}]})
    ran["cells"].insert(1, {"cell_type": "code", "source": "x = 2", "outputs": [],
                            "metadata": {"tags": ["injected-parameters"]}})
    (results / "a.ipynb").write_text(json.dumps(ran))           # outputs, injected cell: ok
    (results / "b.ipynb").write_text(json.dumps(_notebook(["x = 1", "print(x + 1)"])))
    problems = check_executed([current, stale, missing], tmp_path / "results")
    assert len(problems) == 2
    assert problems[0].startswith("b:") and "code cells differ" in problems[0]
    assert problems[1].startswith("c:") and "no executed copy" in problems[1]


def test_static_widgets_keep_what_the_explorer_showed():
    png = _png()
    figure_output = {"output_type": "display_data", "metadata": {},
                     "data": {"image/png": png, "text/plain": "<Figure>"}}
    state = {
        "box": {"model_name": "VBoxModel", "state": {
            "children": ["IPY_MODEL_slider", "IPY_MODEL_label", "IPY_MODEL_canvas",
                         "IPY_MODEL_out", "IPY_MODEL_missing"]}},
        "slider": {"model_name": "FloatSliderModel",
                   "state": {"description": "A_plus", "value": 0.01}},
        "label": {"model_name": "HTMLModel", "state": {"value": "rate <b>5 Hz</b>"}},
        "canvas": {"model_name": "MPLCanvasModel", "state": {"_data_url": png}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [figure_output]}},
    }
    view = {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": "box", "version_major": 2,
                                   "version_minor": 0},
                     "text/plain": "VBox(...)"}}
    nb = _notebook(["ex = explorer()\nex"], outputs={0: [view]}, widgets=state)
    assert static_widgets(nb) == 1
    assert "widgets" not in nb["metadata"]
    outputs = nb["cells"][1]["outputs"]
    assert [list(o["data"]) for o in outputs] == [["text/html", "text/plain"],
                                                  ["image/png", "text/plain"],
                                                  ["image/png", "text/plain"]]
    note = outputs[0]["data"]["text/html"]
    assert "A_plus = <code>0.01</code>" in note and "rate <b>5 Hz</b>" in note
    assert outputs[1]["data"]["image/png"] == png          # the canvas's last picture
    assert outputs[2] == figure_output                      # the Output widget's figure


def test_static_widgets_leave_other_outputs_alone():
    nb = _notebook(["print(1)"], outputs={0: [{"output_type": "stream", "name": "stdout",
                                              "text": "1\n"}]})
    before = json.dumps(nb)
    assert static_widgets(nb) == 0
    assert json.dumps(nb) == before


def test_docs_command_refuses_without_executed_notebooks(tmp_path, capsys):
    status = main(["docs", "--root", str(ROOT), "--results", str(tmp_path),
                   "--out", str(tmp_path / "build"), "lesson1_lif_neuron"])
    err = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "lesson1_lif_neuron: no executed copy" in err
    assert "neurolab reproduce lesson1_lif_neuron" in err
    assert not (tmp_path / "build").exists()


def test_assemble_never_deletes_a_folder_it_did_not_make(tmp_path):
    from neurolab.lab.docs import assemble
    from neurolab.lab.errors import PipelineError

    src = tmp_path / "src"
    src.mkdir()
    (src / "precious.txt").write_text("keep me")
    try:
        assemble(ROOT, src, [], tmp_path / "results")
    except PipelineError as exc:
        assert "was not assembled by neurolab docs" in str(exc)
    else:
        raise AssertionError("assemble emptied a folder it had not made")
    assert (src / "precious.txt").read_text() == "keep me"
