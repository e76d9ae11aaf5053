"""Error types and warning helpers that several rooms share.

Room: ``neurolab.base`` (the floor below everything). May import: the standard library
only.
"""

from __future__ import annotations

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
