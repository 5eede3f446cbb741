"""Sphinx configuration of the documentation site (assembled and built by docs/build_site.py).

Sphinx + myst-nb renders the committed notebooks with their stored outputs (execution off), and
autodoc/autosummary generate the API reference from the docstrings; sphinx-book-theme gives the
book layout and search. The build runs with -W --keep-going: every warning fails it.
"""
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("AEUTILS_DOCS_ROOT", Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

project = "Everything about Autoencoders"
author = "the Everything about Autoencoders authors"
copyright = "the Everything about Autoencoders authors, MIT licence"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 from _static: no CDN, so offline pages typeset and log no errors
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["site.css"]

# ---- notebooks: the committed outputs, never re-executed
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # widget outputs are static snapshots (build_site.py); load no widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# ---- API reference
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = False  # an override without a docstring must not show Keras's (and its markup)
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# ---- theme
html_theme = "sphinx_book_theme"
html_title = project
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_download_button": True,
    "home_page_in_toc": True,
}
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"  # else browsers ask for /favicon.ico, a 404 in the console
# pydata-sphinx-theme leaves the light/dark mode empty on a first visit and logs a console error.
html_context = {"default_mode": "auto"}

# ---- strictness
# An unresolved reference to one of this project's own objects (aeutils.*) is an error in the
# pages and notebooks, and listed (see below) when it sits in a docstring; unresolved references to
# other libraries' types (numpy.ndarray, keras.Model, ...) are not checked: no network for intersphinx.
from sphinx.util import logging as _logging  # noqa: E402

_logger = _logging.getLogger(__name__)
_STRICT_DOCSTRINGS = os.environ.get("DOCS_STRICT_DOCSTRINGS", "") in {"1", "true", "yes"}


def _own_reference_missing(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") == "py" and (target == "aeutils" or target.startswith("aeutils.")):
        source = f"{node.source or ''}:{node.line or ''}"
        if ":docstring of aeutils" in source and not _STRICT_DOCSTRINGS:
            _docstring_problems.append(f"{source}: unresolved reference to {target}")
        else:
            _logger.warning("unresolved reference to %s", target, location=node, type="ref", subtype="aeutils")
    return None


# Problems inside aeutils docstrings (reStructuredText markup such as an unclosed ``literal``, a
# reference to an aeutils name that does not exist) are owned by the package, which is edited
# elsewhere: they are listed at the end of the build, not fatal, so the site still builds.
# DOCS_STRICT_DOCSTRINGS=1 makes them fatal. Everything else (broken references, missing images or
# files, markup errors in the pages and notebooks) fails the build.
_docstring_problems = []


class _DocstringMarkupFilter:
    def filter(self, record):
        location = str(getattr(record, "location", "") or "")
        if getattr(record, "type", "") == "docutils" and ":docstring of aeutils" in location:
            _docstring_problems.append(f"{location}: {record.getMessage()}")
            return False
        return True


def _report_docstring_problems(app, exc):
    if _docstring_problems:
        print(f"docs: {len(set(_docstring_problems))} docstring problem(s) in aeutils (not fatal; "
              "DOCS_STRICT_DOCSTRINGS=1 makes them fatal):")
        for line in dict.fromkeys(_docstring_problems):
            print(f"docs:   {line}")


def setup(app):
    app.connect("missing-reference", _own_reference_missing)
    if not _STRICT_DOCSTRINGS:
        import logging

        for handler in logging.getLogger("sphinx").handlers:
            if type(handler).__name__ == "WarningStreamHandler":
                handler.filters.insert(0, _DocstringMarkupFilter())
        app.connect("build-finished", _report_docstring_problems)
