"""Error types and warning helpers that several rooms share.

Room: ``neurolab.base`` (the floor below everything). May import: the standard library
only.
"""

from __future__ import annotations

import importlib
import os
import sys


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _caller_level():
    """The ``stacklevel`` that points a warning of the function calling this one at the
    first frame outside neurolab: the user's line, whether it called ``net.run`` or
    ``simulate``."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


class NonFiniteStateError(FloatingPointError):
    """The simulation state became infinite or NaN (e.g. a huge weight or current)."""


class SimulationInterrupted(KeyboardInterrupt):
    """A run stopped before its end (Ctrl-C, or the stop button of a notebook).

    Raised by ``Network.run`` / :func:`neurolab.simulate` instead of returning, so that a
    notebook's Run All halts at the cell that was stopped and nothing downstream computes
    on a run that covers less than was asked. It is a ``KeyboardInterrupt``: a script
    stops as it does on Ctrl-C, and ``except Exception`` does not swallow it.

    Attributes
    ----------
    result : the partial :class:`~neurolab.SimResult`, ``[t_start, t)`` with
        ``interrupted=True``.
    t : ms, where the network stands: ``net.t``; ``net.run`` continues from there
        (bitwise as an uninterrupted run would have gone on).
    t_stop : ms, where the run was asked to end.
    """

    def __init__(self, message: str, result=None, t: float | None = None,
                 t_stop: float | None = None):
        super().__init__(message)
        self.result, self.t, self.t_stop = result, t, t_stop

    def __str__(self):
        return str(self.args[0]) if self.args else "simulation interrupted"

    def _render_traceback_(self):
        """What IPython shows for it: one line, no traceback through neurolab's frames
        (a stop is not a bug)."""
        return [f"SimulationInterrupted: {self}"]


def require(module: str, extra: str, what: str):
    """``import module``, or an ``ImportError`` that names the extra of neurolab to install
    (``pip install "neurolab[extra]"``): the student install leaves out what only the
    pipeline, sweeps or a paper notebook need."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{what} needs the package {module.split('.')[0]!r}, which is not "
                          f"installed: pip install \"neurolab[{extra}]\" (or "
                          f"\"neurolab[dev]\" for everything)") from err

