"""The pipeline's error types: a refused request, a busy notebook, a failed notebook.

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; papermill, nbclient and jupyter_client are imported where used.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A refused request (unknown notebook, unknown or ill-typed parameter, bad layout)."""


class PipelineBusy(PipelineError):
    """Another process runs the same notebook (or updates the manifest): the request was
    refused, nothing ran. ``holder`` is what that process recorded about itself (pid,
    host, start time, command line; None when unknown)."""

    def __init__(self, message, holder=None):
        super().__init__(message)
        self.holder = holder


class NotebookFailed(PipelineError):
    """A notebook raised while it ran. ``cell`` is the 1-based index of the failing cell in
    the committed notebook (markdown cells counted), or None when the kernel itself died,
    the cell is unknown, or the failing cell is the one papermill injected to set the
    parameters (then ``injected`` is True)."""

    def __init__(self, name, message, cell=None, executed=None, injected=False):
        super().__init__(message)
        self.name, self.cell, self.executed = name, cell, executed
        self.injected = injected
