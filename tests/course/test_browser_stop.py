"""Stop means stop, in JupyterLab in a real browser (issue 19): Run All on a notebook whose
second cell simulates an hour, then Kernel > Interrupt while that cell runs (with an empty
numba cache, so the first compilation is under way): Run All halts at that cell, the cell
shows one line (``SimulationInterrupted: simulation stopped at t = ...``) after the one
that announced the compile, no later cell runs, and the network then continues with ``net.run``.

Needs the system's chromium, like ``test_browser.py``."""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from browser_harness import Browser, JupyterLab, chromium_path

pytestmark = pytest.mark.browser

CELLS = [
    "import neurolab as nl\n"
    "net = nl.Network(dt=0.1, seed=0)\n"
    "inp = net.add_poisson('inp', n=200, rates=20.0)\n"
    "out = net.add_lif('out', n=1, params=nl.LIFParams(synapse='conductance'))\n"
    "proj = net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))",
    "res = net.run(3_600_000.0, progress=False)     # an hour: nobody waits for this\n"
    "print('THE RUN CELL FINISHED')",
    "print('A LATER CELL RAN')",
]


def test_stop_during_a_run_halts_run_all_with_one_line(tmp_path):
    chromium_path()                                   # fails, saying so, without chromium
    folder = tmp_path / "lab"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(folder / "stop.ipynb"))
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "empty-numba-cache")}     # a first compile
    with JupyterLab(folder, env=env) as lab, Browser(lab) as browser:
        page_nb = browser.open("stop.ipynb")
        page = page_nb.page
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator('li[data-command="runmenu:run-all"]').click()
        page_nb._wait("(path) => window.__nlab.prompts(path)[1] === '[*]:'", page_nb.path,
                      120, "the run cell to start")
        time.sleep(3.0)                        # inside the first compilation (empty cache)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Kernel$")).click()
        page.locator('li[data-command="kernelmenu:interrupt"]').click()
        page_nb._wait("(path) => { const k = window.__nlab.kernel(path);"
                      " return k && k.status === 'idle'"
                      " && !window.__nlab.prompts(path).some(p => p.includes('*')); }",
                      page_nb.path, 600, "the kernel to stop and be idle")
        prompts = page.evaluate("(path) => window.__nlab.prompts(path)", page_nb.path)
        shown = page_nb.cell_locator(1).locator(".jp-OutputArea").inner_text().strip()
        later = page_nb.cell_locator(2).locator(".jp-OutputArea").inner_text().strip()
        # the first compile says so in one line (neurolab.engine.compile), then the stop
        lines = [ln for ln in shown.splitlines() if ln.strip()]     # one output area each
        assert lines[:-1] == [] or (len(lines) == 2 and lines[0].startswith(
            "neurolab: compiling the simulator for this kind of network")), shown
        assert re.fullmatch(r"SimulationInterrupted: simulation stopped at t = [\d.]+ ms of "
                            r"3600000 ms; .*", lines[-1]), shown
        assert "THE RUN CELL FINISHED" not in shown
        assert later == "" and prompts[2] in ("[ ]:", "[]:"), (prompts, later)
        continued = page.evaluate("""async (path) => {
            const k = window.__nlab.kernel(path);
            const f = k.requestExecute({code: "t0 = net.t\\nr = net.run(50.0, progress=False)"
                                              + "\\nprint('CONTINUED', t0 > 0 or t0 == 0,"
                                              + " round(net.t - t0, 3))"});
            let out = '';
            f.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') out += msg.content.text;
                                   if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.ename; };
            await f.done;
            return out;
        }""", page_nb.path)
        assert continued.strip() == "CONTINUED True 50.0", continued
