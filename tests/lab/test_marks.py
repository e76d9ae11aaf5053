"""Issue 24, item 14: ``mark_result`` refuses a masked value (it stored 0.0) and prints
plain values in its messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neurolab as nl
from neurolab.lab.marks import RESULTS_FILE


@pytest.mark.parametrize("value", [np.ma.masked, np.ma.array([3.0], mask=[True]),
                                   np.ma.array(2.0, mask=True),
                                   np.ma.masked_invalid([np.nan]).mean()])
def test_a_masked_value_is_refused(tmp_path, value):
    with pytest.raises(ValueError) as info:
        nl.mark_result("x", value, folder=tmp_path)
    msg = str(info.value)
    assert msg.startswith("mark_result('x', value=masked): the value is masked (missing)")
    assert "float('nan')" in msg
    assert not (tmp_path / RESULTS_FILE).exists()


def test_an_unmasked_masked_array_is_its_number(tmp_path):
    assert nl.mark_result("x", np.ma.array([3.5], mask=[False]), folder=tmp_path) == 3.5
    assert nl.mark_result("y", np.ma.array([1.0, 2.0, 9.0], mask=[0, 0, 1]).mean(),
                          folder=tmp_path) == 1.5
    stored = json.loads((tmp_path / RESULTS_FILE).read_text())["results"]
    assert stored == {"x": {"unit": None, "value": 3.5}, "y": {"unit": None, "value": 1.5}}


def test_messages_are_plain(tmp_path):
    with pytest.raises(TypeError) as info:
        nl.mark_result("x", (np.int64(1), np.int64(2)), folder=tmp_path)
    assert str(info.value).startswith("mark_result('x', value=(1, 2)): expected a real")
    with pytest.raises(ValueError) as info:
        nl.mark_result(np.str_("1x"), 1.0, folder=tmp_path)
    assert str(info.value).startswith("mark_result(name='1x'): expected an identifier")
    with pytest.raises(TypeError) as info:
        nl.mark_result("x", 1.0, folder=tmp_path, unit=np.float64(2.0))
    assert str(info.value) == "mark_result('x', unit=2.0): expected a string or None"
