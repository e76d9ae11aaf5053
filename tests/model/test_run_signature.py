"""``Network.run``'s signature and docstring, and what a misspelt keyword says (issue 23).

The expected keywords, defaults and message are written here by hand from the documented
API, not read from the code under test.
"""

from __future__ import annotations

import doctest
import inspect
import pydoc
import re

import pytest

import neurolab as nl

#: (keyword, default) of net.run / nl.simulate after ``duration``, in order
KEYWORDS = [("record_spikes", None), ("record_weights", None), ("weight_dt", None),
            ("weight_window", None), ("record_state", None), ("state_vars", ("v",)),
            ("state_dt", None), ("state_window", None), ("progress", None),
            ("chunk_steps", None), ("threads", 1)]


def net1():
    net = nl.Network(dt=0.1)
    net.add_lif("L", 2)
    return net


@pytest.mark.parametrize("call,label", [
    (lambda net: net.run(1.0, recrod_state={"L": "all"}), "Network.run"),
    (lambda net: nl.simulate(net, 1.0, recrod_state={"L": "all"}), "simulate"),
])
def test_misspelt_keyword_names_the_called_function_and_lists_the_keywords(call, label):
    net = net1()
    with pytest.raises(TypeError) as err:
        call(net)
    listed = ", ".join(["duration"] + [k for k, _ in KEYWORDS])
    assert str(err.value) == (f"{label}() got an unexpected keyword argument 'recrod_state' "
                              f"(did you mean 'record_state'?); its keywords: {listed}")
    assert net.t == 0.0                            # refused before anything ran
    with pytest.raises(TypeError, match=r"^Network\.run\(\) got an unexpected keyword "
                                        r"argument 'colour'; its keywords: duration, "):
        net.run(1.0, colour="red")                 # nothing close: no suggestion
    with pytest.raises(TypeError, match=r"Network\.run\(\) takes 2 positional arguments"):
        net.run(1.0, {"L": "all"})                 # options are keyword-only


def test_run_signature_is_explicit_and_mirrors_simulate():
    for fn, first in ((nl.Network.run, "self"), (nl.simulate, "net")):
        params = list(inspect.signature(fn).parameters.values())
        assert [p.name for p in params[:2]] == [first, "duration"]
        assert params[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        rest = [(p.name, p.default) for p in params[2:]]
        assert rest == KEYWORDS, fn
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:])
    text = pydoc.render_doc(nl.Network.run, renderer=pydoc.plaintext)
    assert "run(self, duration: 'float', *, record_spikes=None" in text
    assert "state_vars=('v',)" in text and "threads: 'int' = 1" in text


def test_run_docstring_documents_every_keyword_and_its_example_runs():
    doc = inspect.getdoc(nl.Network.run)
    sections = re.findall(r"^(\w[\w ]*)\n-+$", doc, flags=re.MULTILINE)
    assert sections == ["Parameters", "Returns", "Raises", "Notes", "Examples"]
    params = doc.split("Parameters\n----------\n")[1].split("\n\nReturns")[0]
    documented = re.findall(r"^(\w+) : ", params, flags=re.MULTILINE)
    assert documented == ["duration"] + [k for k, _ in KEYWORDS]
    for error in ("TypeError", "ValueError", "MemoryError", "NonFiniteStateError",
                  "SimulationInterrupted"):
        assert re.search(rf"^{error}$", doc, flags=re.MULTILINE), error
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(nl.Network.run, "Network.run",
                                             globs={"nl": nl}):
        runner.run(test)
    assert runner.summarize(verbose=False) == doctest.TestResults(failed=0, attempted=6)
    # nl.simulate points at it and names its own first argument
    assert "Network.run" in nl.simulate.__doc__ and "net : Network" in nl.simulate.__doc__
