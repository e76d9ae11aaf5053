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

# API reference from the docstrings: reStructuredText prose, with numpydoc sections
# ("Parameters", "Returns", "Attributes" underlined with dashes) where a docstring has them.
# Those docstrings, and only those, go through napoleon's numpydoc parser (see setup):
# napoleon reads any docstring's first "words: more words" as "type: description".
NUMPYDOC_SECTION = re.compile(r"^\s*(Parameters|Returns|Yields|Raises|Attributes|Examples|"
                              r"Notes|See Also|References|Warns|Other Parameters)\s*\n"
                              r"\s*-{3,}\s*$", re.MULTILINE)
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}

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
    parts = target.split(".")
    for k in range(len(parts)):          # neurolab.plasticity.Normalization: the package
        prefix, suffix = ".".join(parts[:k]), ".".join(parts[k:])     # re-exports it
        found = [n for n in names if (n == suffix or n.endswith("." + suffix))
                 and n.startswith(prefix)]
        if len(found) == 1:
            return domain.resolve_xref(env, node.get("refdoc"), app.builder, "obj",
                                       found[0], node, contnode)
    return None


def _numpydoc_sections(app, what, name, obj, options, lines):
    """Turn the numpydoc sections of a docstring into Sphinx fields (napoleon's parser;
    parameter types stay text, as units are not classes)."""
    if not NUMPYDOC_SECTION.search("\n".join(lines)):
        return
    from sphinx.ext.napoleon import Config, NumpyDocstring

    config = Config(napoleon_use_param=False, napoleon_use_rtype=False,
                    napoleon_google_docstring=False,
                    # attributes listed like parameters, raised errors as written
                    napoleon_custom_sections=[("Attributes", "params_style"), "Raises"])
    lines[:] = NumpyDocstring(lines, config, app, what, name, obj, options).lines()


def setup(app):
    app.connect("autodoc-process-docstring", _numpydoc_sections)
    app.connect("missing-reference", _resolve_short_names)
