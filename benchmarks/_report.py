"""Writing suite results: a Markdown table for people, JSON for machines."""

import json
import platform
import sys
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

RESULTS = Path(__file__).parent / "results"
PACKAGES = (
    "skimbtext",
    "torch",
    "transformers",
    "skorch",
    "scikit-learn",
    "imbalanced-learn",
    "numpy",
)


def _portable(arguments):
    """Command-line arguments with this machine's directories replaced by names."""
    placeholders = {"--data-home": "$SKIMBTEXT_DATA", "--cache-dir": "<cache-dir>"}
    portable, replace_next = [], None
    for argument in arguments:
        if replace_next:
            portable.append(replace_next)
            replace_next = None
            continue
        name, _, value = argument.partition("=")
        if name in placeholders and value:
            portable.append(f"{name}={placeholders[name]}")
            continue
        replace_next = placeholders.get(argument)
        portable.append(argument)
    return portable


def describe_environment(device):
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "versions": {name: version(name) for name in PACKAGES},
        "command": " ".join(["python", "-m", "benchmarks", *_portable(sys.argv[1:])]),
    }


@contextmanager
def torch_threads(n_threads):
    """Run with ``n_threads`` torch threads, then restore the previous count.

    The suites train small models on a shared 2-core machine, where a second
    intra-op thread makes every small op wait for a free core.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def mean_std(values, digits=3, suffix=""):
    """``mean ± std`` (ddof=1) of numbers, e.g. one per seed."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return "–"
    if len(values) == 1:  # no spread to show (a chunked run not finished)
        return f"{values[0]:.{digits}f}{suffix} (one seed)"
    spread = values.std(ddof=1)
    return f"{values.mean():.{digits}f} ± {spread:.{digits}f}{suffix}"


def figure_path(suite, what):
    """Where the figure ``what`` of ``suite`` (e.g. ``dcmi_cpu``) is written."""
    return RESULTS / f"{suite}_{what}.png"


def write(
    suite, *, title, notes, columns, rows, raw, device, figures=(), environment=None
):
    """Write ``results/<suite>.md`` and ``.json``; ``rows`` are lists of cells.

    ``figures`` holds ``(what, caption)`` pairs of figures already drawn to
    :func:`figure_path`; the Markdown links them below the table.
    ``environment`` replaces the description of this machine (same keys as
    :func:`describe_environment`) when the results were measured on another one.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = describe_environment(device) if environment is None else environment
    lines = [
        f"# {title}",
        "",
        *notes,
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    for what, caption in figures:
        lines += ["", f"![{caption}]({figure_path(suite, what).name})"]
    lines += [
        "",
        f"Command: `{env['command']}`  ",
        f"Device: {env['device']} ({env['cpu_threads']} CPU threads"
        + (f", {env['gpu']}" if env["gpu"] else "")
        + ")  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
    ]
    (RESULTS / f"{suite}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{suite}.json").write_text(
        json.dumps({"suite": suite, "environment": env, "results": raw}, indent=2)
        + "\n"
    )
    return RESULTS / f"{suite}.md"


class FitStore:
    """The results of a long suite's fits, one by one, so that a run can resume.

    Every finished fit is written at once to ``results/<stem>_fits.json`` under a
    key naming what it was (data set, setting, row, seed). A later run of the same
    suite and profile reads the file and skips the fits already there, so a suite
    too long for one sitting runs in chunks: stop it at any time, run it again.
    Each write merges with the file as it is then, so two processes of one suite
    fitting different keys can share it. With ``stored_only`` nothing new is
    fitted: the report shows what is stored.

    Parameters
    ----------
    stem : str
        The suite and profile, e.g. ``"sharprecl_cpu-finetune"``.
    stored_only : bool, default=False
        Return None for fits not stored instead of running them.
    persist : bool, default=True
        False: keep nothing on disk, run every fit (a suite run in one go).
    """

    def __init__(self, stem, *, stored_only=False, persist=True):
        self.path = RESULTS / f"{stem}_fits.json"
        self.stored_only = stored_only
        self.persist = persist
        self.fits = {}
        if persist and self.path.exists():
            self.fits = json.loads(self.path.read_text())

    def get(self, key, fit):
        """The stored result of ``key`` (a tuple of names), or ``fit()``'s, stored."""
        name = " | ".join(str(part) for part in key)
        if name not in self.fits:
            if self.stored_only:
                return None
            self.fits[name] = fit()
            if self.persist:
                # Merge with what other processes stored meanwhile: two chunks of
                # one suite may run side by side, one per core.
                if self.path.exists():
                    self.fits = {**json.loads(self.path.read_text()), **self.fits}
                RESULTS.mkdir(parents=True, exist_ok=True)
                self.path.write_text(json.dumps(self.fits, indent=1) + "\n")
        return self.fits[name]
