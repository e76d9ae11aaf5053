"""The module paths that moved in 0.6, kept working for one version (removed in 0.7).

0.6 gave the package rooms (``base``, ``model``, ``plasticity``, ``engine``, ``results``,
``lab``, ``course``, ``papers``). Importing a module by its 0.5 path still works and gives a
``DeprecationWarning`` naming the new path: a module that moved whole is the new module
itself (``neurolab.explorer is neurolab.course.explorer``); a module split into several
rooms is a read-only view of the names it held, looked up in the new modules in order
(``neurolab.network.Projection is neurolab.model.projections.Projection``). The 0.5 path
``neurolab.simulate`` stays callable, so ``nl.simulate(net, ...)`` keeps working after it
was imported as a module.

Nothing here is imported until an old path is: a finder on ``sys.meta_path`` answers only
for the names in ``MOVED``.

Room: the package's top floor (installed by ``neurolab/__init__``). May import: the
standard library; the new modules are imported when an old path is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: 0.5 path -> the 0.6 modules that hold its names (the first one is named in the warning)
MOVED = {
    "neurolab.network": ("neurolab.model.network", "neurolab.model.populations",
                         "neurolab.model.projections", "neurolab.model.connectivity",
                         "neurolab.model.sources", "neurolab.base.streams"),
    "neurolab.simulate": ("neurolab.engine.run", "neurolab.engine.tables",
                          "neurolab.engine.selection", "neurolab.engine.dispatch",
                          "neurolab.base.errors"),
    "neurolab.pipeline": ("neurolab.lab.runner", "neurolab.lab.notebooks",
                          "neurolab.lab.manifest", "neurolab.lab.verify", "neurolab.lab.errors"),
    "neurolab.sweep": ("neurolab.lab.sweep", "neurolab.lab.sweep_records"),
    "neurolab.inputs": ("neurolab.stimuli", "neurolab.base.poisson"),
    "neurolab.monitors": ("neurolab.results.records",),
    "neurolab.params": ("neurolab.model.params",),
    "neurolab.distributions": ("neurolab.model.distributions",),
    "neurolab.io": ("neurolab.base.io",),
    "neurolab.paths": ("neurolab.base.paths",),
    "neurolab.marks": ("neurolab.lab.marks",),
    "neurolab.explorer": ("neurolab.course.explorer",),
    "neurolab.exercises": ("neurolab.course.exercises",),
    "neurolab.widgets": ("neurolab.course.widgets",),
    "neurolab.masquelier": ("neurolab.papers.masquelier",),
    "neurolab.protocols": ("neurolab.papers.protocols",),
}


class _SplitModule(types.ModuleType):
    """A 0.5 module whose names now live in several modules: attribute reads are looked up
    in those modules, in order."""

    def __init__(self, name, targets):
        super().__init__(name, f"Moved in neurolab 0.6 to {', '.join(targets)}.")
        self.__dict__["_targets"] = targets

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (moved to {self._targets[0]}) has "
                             f"no attribute {attr!r}")

    def __dir__(self):
        names = set()
        for target in self._targets:
            names.update(dir(importlib.import_module(target)))
        return sorted(names)


class _CallableSplitModule(_SplitModule):
    """``neurolab.simulate``: a module path in 0.5 and the package's ``simulate`` function;
    calling it calls :func:`neurolab.engine.run.simulate`."""

    def __call__(self, *args, **kwargs):
        return importlib.import_module("neurolab.engine.run").simulate(*args, **kwargs)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return types.ModuleType(spec.name)          # replaced in exec_module

    def exec_module(self, module):
        name = module.__name__
        targets = MOVED[name]
        where = (f"moved to {targets[0]}" if len(targets) == 1 else
                 f"was split into {', '.join(targets)}")
        warnings.warn(f"{name} {where} in neurolab 0.6; the old path will be removed in 0.7",
                      DeprecationWarning, stacklevel=2)
        if len(targets) == 1:
            new = importlib.import_module(targets[0])
        else:
            cls = _CallableSplitModule if name == "neurolab.simulate" else _SplitModule
            new = cls(name, targets)
        # the import system returns what sys.modules holds under the name after this call
        sys.modules[name] = new


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _Loader())
        return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
