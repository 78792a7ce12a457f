"""Sphinx configuration for the skimbtext documentation.

Build with ``make docs`` (or ``make docs-noplot`` to skip running the gallery
examples). The build is fully offline: no intersphinx, and no example downloads
a model.
"""

import os
import sys
from pathlib import Path

DOC_DIR = Path(__file__).resolve().parent
ROOT = DOC_DIR.parent
# Document the source tree even when the package is not installed.
sys.path.insert(0, str(ROOT))
# The documentation's own directives (parameter tables, benchmark results).
sys.path.insert(0, str(DOC_DIR / "sphinxext"))
# The examples never download; make that explicit for Hugging Face libraries.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The gallery examples train small models (MLP heads, MISO's generators), for
# which extra torch threads mostly wait for one another, the more so on cores
# busy with other work: one thread keeps the build time short and predictable.
# Set OMP_NUM_THREADS yourself to override (torch reads it on import).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skimbtext  # noqa: E402

# -- Project information ------------------------------------------------------

project = "skimbtext"
author = "The skimbtext developers"
copyright = "The skimbtext developers"
version = skimbtext.__version__
release = skimbtext.__version__

# -- Sphinx-Gallery -----------------------------------------------------------

EXAMPLES_DIR = ROOT / "examples"
# sphinx-gallery refuses an examples directory without a gallery header. Until
# examples/ has one (e.g. examples/GALLERY_HEADER.rst), the gallery is left out
# of the build; it is switched on automatically once the header exists.
GALLERY_ENABLED = any(
    (EXAMPLES_DIR / f"{stem}{suffix}").is_file()
    for stem in ("GALLERY_HEADER", "README", "readme")
    for suffix in (".txt", ".rst")
)

# -- General configuration ----------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # serves MathJax from the built site: no CDN
    "numpydoc",
    "skimbtext_docs",
]
if GALLERY_ENABLED:
    extensions.append("sphinx_gallery.gen_gallery")

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# autodoc / autosummary: one page per public object under generated/.
autosummary_generate = True
autodoc_typehints = "none"

# numpydoc renders the docstrings; members are listed by autosummary instead.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# -- Sphinx-Gallery configuration --------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py scripts are executed; examples/demo.py is not one.
    "filename_pattern": r"/plot_",
    # ... and only they are listed: other scripts (demo.py, run by `make demo`)
    # are command-line programs without a gallery title. Matched on file names.
    "ignore_pattern": r"^(?!plot_)",
    "download_all_examples": False,
    # The quickstart first (doc/sphinxext/skimbtext_docs.py).
    "within_subsection_order": "skimbtext_docs.example_order",
    # Keep generated files out of the doc/ source tree (only auto_examples/).
    "write_computation_times": False,
}

# -- HTML output --------------------------------------------------------------

html_theme = "alabaster"
html_title = f"skimbtext {release}"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Imbalanced and multi-domain imbalanced text classification",
    "fixed_sidebar": False,
    # The parameter tables and the gallery's output need more than the 940px
    # default.
    "page_width": "1160px",
    "sidebar_width": "230px",
}


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Document only the members that skimbtext itself defines and documents.

    The class template (``_templates/autosummary/class.rst``) asks for inherited
    members so that, e.g., ``TextClassifier.fit`` (defined on
    ``BaseTextClassifier``) is shown; this drops what comes from torch, skorch
    or scikit-learn (``nn.Module.cuda``, ``BaseEstimator.get_params``, ...) and
    plain class attributes, which the numpydoc ``Attributes`` sections cover.
    """
    if what != "class" or skip:
        return None
    func = obj.fget if isinstance(obj, property) else obj
    func = getattr(func, "__func__", func)  # classmethod / staticmethod
    if not callable(func):
        return True
    module = getattr(func, "__module__", None) or ""
    if module != "skimbtext" and not module.startswith("skimbtext."):
        return True
    # Overrides of framework hooks without a docstring of their own (forward,
    # extra_repr, skorch's on_epoch_begin, ...) would only repeat the base
    # class's generic text.
    if not (getattr(func, "__doc__", None) or getattr(obj, "__doc__", None)):
        return True
    return None


def _add_gallery_to_index(app, docname, source):
    """List the example gallery in the root toctree when it is built."""
    if docname == app.config.root_doc:
        source[0] += "\n\n.. toctree::\n   :maxdepth: 1\n\n   auto_examples/index\n"


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    if GALLERY_ENABLED:
        app.connect("source-read", _add_gallery_to_index)
    else:
        # Accept ``-D plot_gallery=0`` (make docs-noplot) without the gallery.
        app.add_config_value("plot_gallery", "True", "html", types=(str, bool))
