"""Sphinx configuration of the neurolab website (course, rule catalogue, API reference,
benchmarks).

Build it with ``neurolab docs`` (``neurolab.lab.docs.build_docs``): it assembles the source
tree in ``docs/_build/src`` from these files and the executed notebooks that
``neurolab reproduce`` wrote, then runs ``sphinx-build -W --keep-going -n``. Nothing here
runs a notebook, and nothing a page loads comes from another host: MathJax is served from
``_static/mathjax`` and the theme (furo) ships its own assets.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("NEUROLAB_ROOT") or Path(__file__).resolve().parents[1])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import neurolab

project = "neurolab"
author = "neurolab contributors"
copyright = "neurolab contributors"
release = version = neurolab.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
]
exclude_patterns = ["_readme", "**.ipynb_checkpoints", "jupyter_execute"]
root_doc = "index"

# myst-nb: the notebooks were executed by the pipeline; never run them here
nb_execution_mode = "off"
nb_ipywidgets_js = {}          # widget outputs are made static before the build
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = []

# MathJax 3 from the django-static-mathjax package, copied to _static/mathjax
mathjax_path = "mathjax/tex-mml-chtml.js"

# API reference from the docstrings: reStructuredText prose, with numpydoc-style sections
# ("Parameters", "Returns", "Raises", ... underlined with dashes) where a docstring has them.
# neurolab writes their entries as "name : what it is, in which unit" (a description, not
# a type), so they are turned into bulleted lists here (see _numpydoc_sections) rather
# than read by napoleon or numpydoc, which would set the description as a type.
SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
ENTRY_NAME = re.compile(r"^[\w*][\w*, .]*$")
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
# the engine and the shared base are internals, not in the reference: a docstring that
# names one of their functions or private helpers shows the name, unlinked
nitpick_ignore_regex = [
    (r"py:.*", r"neurolab\.(engine|base)(\..*)?"),
    (r"py:.*", r"RunState"),
]

html_theme = "furo"
html_title = f"neurolab {release}"
html_static_path = ["_static"]
html_css_files = ["neurolab.css"]
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}


def _resolve_short_names(app, env, node, contnode):
    """Resolve a docstring's short Python reference (``Network.connect``,
    ``SimResult``, ``neurolab.SimResult``) to the one documented object whose full name
    ends with it; a name that matches none, or several, stays unresolved (a warning)."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    domain = env.get_domain("py")
    objtypes = {"class", "exception", "function", "method", "attribute", "property",
                "data", "module"}
    names = [name for name, obj in domain.objects.items()
             if obj.objtype in objtypes and not obj.aliased]
    # a bare name, in a docstring of class C of module M: C's own, then its bases', then M's
    module, cls = node.get("py:module"), node.get("py:class")
    if module and "." not in target:
        scopes = [f"{module}.{cls}"] if cls else []
        obj = sys.modules.get(module)
        for part in (cls or "").split("."):
            obj = getattr(obj, part, None) if part else None
        for base in getattr(obj, "__mro__", ())[1:]:
            scopes.append(f"{base.__module__}.{base.__qualname__}")
        for scope in scopes + [module]:
            if f"{scope}.{target}" in names:
                return domain.resolve_xref(env, node.get("refdoc"), app.builder, "obj",
                                           f"{scope}.{target}", node, contnode)
    parts = target.split(".")
    for k in range(len(parts)):          # neurolab.plasticity.Normalization: the package
        prefix, suffix = ".".join(parts[:k]), ".".join(parts[k:])     # re-exports it
        found = [n for n in names if (n == suffix or n.endswith("." + suffix))
                 and n.startswith(prefix)]
        if len(found) == 1:
            return domain.resolve_xref(env, node.get("refdoc"), app.builder, "obj",
                                       found[0], node, contnode)
    return None


def _section_lines(title, body, base):
    """The lines of one section: a rubric, then one bullet per entry ("name : text" and
    the lines indented under it), or the body as written for a free-text section."""
    pad = " " * base
    out = [f"{pad}.. rubric:: {title}", ""]
    if title not in ("Parameters", "Other Parameters", "Attributes", "Returns", "Yields",
                     "Raises", "Warns"):
        return out + body + [""]
    entries = []
    for line in body:
        indent = len(line) - len(line.lstrip())
        if line.strip() and indent <= base:
            entries.append([line.strip()])
        elif entries:
            entries[-1].append(line)
    for first, *rest in entries:
        name, sep, text = first.partition(" : ")
        if sep and ENTRY_NAME.match(name):
            first = f"``{name.strip()}``: {text.strip()}"
        out.append(f"{pad}- {first}")
        for line in rest:
            if not line.strip():
                out.append("")
                continue
            indent = len(line) - len(line.lstrip())
            out.append(" " * max(base + 2, indent - 2) + line.lstrip())
        out.append("")
    return out


def _numpydoc_sections(app, what, name, obj, options, lines):
    """Rewrite the numpydoc-style sections of a docstring (a title underlined with
    dashes) as rubrics followed by bulleted entries."""
    if what == "module":                # "Room: ... May import: ...": for developers
        for k, line in enumerate(lines):
            if line.startswith("Room: "):
                end = next((j for j in range(k, len(lines)) if not lines[j].strip()),
                           len(lines))
                del lines[k:end]
                break
    if not any(SECTION_RULE.match(ln) for ln in lines):
        return
    out, k = [], 0
    while k < len(lines):
        line = lines[k]
        if (k + 1 < len(lines) and line.strip() and SECTION_RULE.match(lines[k + 1])
                and len(lines[k + 1].strip()) >= len(line.strip())):
            base = len(line) - len(line.lstrip())
            body, k = [], k + 2
            while k < len(lines) and not (
                    k + 1 < len(lines) and lines[k].strip()
                    and SECTION_RULE.match(lines[k + 1])):
                body.append(lines[k])
                k += 1
            while body and not body[-1].strip():
                body.pop()
            out += _section_lines(line.strip(), body, base)
        else:
            out.append(line)
            k += 1
    lines[:] = out


def _skip_kernel_internals(app, what, name, obj, skip, options):
    """The rule modules hold their numba kernels (``@njit`` functions) beside the rule
    classes: internals of the engine, left out of the reference."""
    if type(obj).__name__.endswith("Dispatcher"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _numpydoc_sections)
    app.connect("autodoc-skip-member", _skip_kernel_internals)
    app.connect("missing-reference", _resolve_short_names)
