"""Progress of long work: one bar per fit, shown by the rules of ``verbose``.

Every estimator decides what to show with :func:`progress_options`:

- ``verbose=0``: nothing, except for long work (a transformer being fine-tuned,
  MISO's generator being trained) when a person is watching, i.e. stderr is a
  terminal or the code runs in a Jupyter kernel; the bar is then erased when the
  work ends (``leave=False``), so that a grid search does not pile bars up. In logs,
  files, doctests and captured output nothing appears.
- ``verbose>=1``: the bars, kept on screen (``leave=True``).
- ``verbose>=2`` (skorch nets): also skorch's per-epoch table, through
  :class:`LogSink`, coloured only on a terminal.

``TQDM_DISABLE=1`` in the environment hides every bar, whatever ``verbose``.
"""

import os
import re
import sys
from numbers import Number

from skorch.callbacks import Callback
from tqdm.auto import tqdm

__all__ = ["EpochProgress", "LogSink", "discard", "epoch_progress", "progress_options"]

#: ANSI colour codes, such as those of skorch's ``PrintLog``.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # None, no isatty, or a closed stream
        return False


def in_jupyter_kernel():
    """Whether the code runs in a Jupyter (IPython) kernel, e.g. a notebook."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def interactive():
    """Whether a progress bar reaches a person: a terminal or a Jupyter kernel.

    True when ``sys.stderr`` (where the bars go) is an interactive terminal or
    the code runs in a Jupyter kernel; False in logs, files, doctests and
    captured output.
    """
    return _isatty(sys.stderr) or in_jupyter_kernel()


def progress_disabled_by_env():
    """Whether ``TQDM_DISABLE`` asks for no progress bars (read at each call)."""
    value = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return value not in ("", "0", "false", "no")


def progress_options(verbose, *, long_work=False):
    """Options of a tqdm progress bar under skimbtext's ``verbose`` rules.

    Parameters
    ----------
    verbose : int or bool
        The estimator's ``verbose``.
    long_work : bool, default=False
        Whether the work is long enough to show progress at ``verbose=0`` when a
        person is watching (fine-tuning a transformer, training MISO's generator).

    Returns
    -------
    options : dict
        Keyword arguments for ``tqdm``: ``{"disable": True}`` when no bar is
        shown; otherwise ``{"leave": True}`` at ``verbose>0`` and
        ``{"leave": False}`` for long work at ``verbose=0`` in a terminal or
        Jupyter kernel.

    Examples
    --------
    >>> from skimbtext.callbacks._progress import progress_options
    >>> progress_options(1)
    {'leave': True}
    >>> progress_options(0)  # quiet, also for long work outside a terminal
    {'disable': True}
    """
    if progress_disabled_by_env():
        return {"disable": True}
    if verbose > 0:
        return {"leave": True}
    if long_work and interactive():
        return {"leave": False}
    return {"disable": True}


def epoch_progress(verbose, *, long_work=False, desc=None):
    """The :class:`EpochProgress` callback of a fit, or None when none is shown.

    Parameters
    ----------
    verbose : int or bool
        The estimator's ``verbose``.
    long_work : bool, default=False
        Whether the fit trains a transformer or MISO's generator (see
        :func:`progress_options`).
    desc : str, optional
        Label in front of the bar.

    Returns
    -------
    callback : EpochProgress or None
    """
    options = progress_options(verbose, long_work=long_work)
    if options.get("disable"):
        return None
    return EpochProgress(leave=options["leave"], desc=desc)


class EpochProgress(Callback):
    """One progress bar per fit, advanced once per epoch, with an ETA.

    The bar's unit is the epoch and its total ``net.max_epochs`` (epochs restored
    from a checkpoint count as done); after each epoch it shows the latest values
    of ``keys`` found in the history. It opens at the first epoch and closes when
    training ends, full also when a callback stopped training early
    (:class:`~skorch.callbacks.EarlyStopping`) and short of its total when
    training was interrupted within an epoch; :meth:`close` closes it after a
    failed fit (skorch skips ``on_train_end`` then), and a pickled or copied
    callback never holds a bar.
    ``tqdm.auto`` draws a widget in Jupyter. The ``TQDM_DISABLE=1`` environment
    variable hides it.

    Parameters
    ----------
    leave : bool, default=True
        Keep the finished bar on screen; False erases it when training ends.
    desc : str, optional
        Label in front of the bar.
    keys : tuple of str, default=("train_loss", "valid_loss")
        History entries of the latest epoch shown after the bar, when present.
    file : file-like, optional
        Where the bar is written; None writes to ``sys.stderr`` (the output cell
        in Jupyter).

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import make_classification
    >>> from skimbtext import TextClassifier
    >>> from skimbtext.callbacks import EpochProgress
    >>> X, y = make_classification(n_samples=60, n_features=8, random_state=0)
    >>> log = io.StringIO()
    >>> clf = TextClassifier(
    ...     max_epochs=3, callbacks=[EpochProgress(file=log)], random_state=0
    ... ).fit(X, y)
    >>> "3/3" in log.getvalue()
    True
    """

    def __init__(
        self, leave=True, desc=None, keys=("train_loss", "valid_loss"), file=None
    ):
        self.leave = leave
        self.desc = desc
        self.keys = keys
        self.file = file

    def initialize(self):
        self.close()
        return self

    def close(self):
        """Close the bar if one is open (safe to call at any time)."""
        bar = getattr(self, "bar_", None)
        self.bar_ = None
        if bar is not None:
            bar.close()

    def on_train_begin(self, net, **kwargs):
        self.close()  # a bar left open by a fit that failed

    def on_epoch_begin(self, net, **kwargs):
        if getattr(self, "bar_", None) is not None:
            return
        # The net has opened this epoch's row: earlier rows were trained before
        # (restored from a checkpoint).
        done = len(net.history) - 1
        disable = {"disable": True} if progress_disabled_by_env() else {}
        self.bar_ = tqdm(
            total=max(net.max_epochs, done),
            initial=done,
            desc=self.desc,
            unit="epoch",
            leave=self.leave,
            file=self.file,
            dynamic_ncols=True,
            **disable,
        )

    def _advance(self, net):
        """Count the epochs of the history as done; show the latest ``keys``."""
        if getattr(self, "bar_", None) is None or len(net.history) <= self.bar_.n:
            return
        row = net.history[-1]
        postfix = {
            key: row[key] for key in self.keys if isinstance(row.get(key), Number)
        }
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(len(net.history) - self.bar_.n)

    def on_epoch_end(self, net, **kwargs):
        self._advance(net)

    def on_train_end(self, net, **kwargs):
        if getattr(self, "bar_", None) is not None and "dur" in net.history[-1]:
            # The last epoch ran to its end (skorch's EpochTimer timed it): either
            # all epochs ran, or a callback that ran before this one stopped
            # training (EarlyStopping). Either way the work is complete: a full
            # bar, not one that reads as interrupted.
            self._advance(net)
            self.bar_.total = self.bar_.n
        self.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


def discard(text):
    """Sink of skorch's messages that drops them (the quiet ``verbose`` levels).

    skorch prints whatever ``verbose`` says with any sink other than ``print``,
    and accelerate's nets always set one: this one keeps ``PrintLog`` silent.

    Parameters
    ----------
    text : str
        A message, ignored.
    """


class LogSink:
    """Sink of skorch's ``PrintLog`` that keeps colours for terminals only.

    skorch's per-epoch table colours the best scores with ANSI codes; this sink
    removes them unless ``sys.stdout`` is a terminal, and writes the lines
    through ``tqdm.write``, so that a progress bar is redrawn below them rather
    than broken.

    Parameters
    ----------
    write : callable, optional
        Called with each line instead of writing it to ``sys.stdout``, e.g.
        ``accelerate``'s ``Accelerator.print`` (which prints on the main process
        only).

    Examples
    --------
    >>> from skimbtext.callbacks._progress import LogSink
    >>> LogSink()("\\x1b[36m0.6931\\x1b[0m")  # doctest output is not a terminal
    0.6931
    """

    def __init__(self, write=None):
        self.write = write

    def __call__(self, text):
        if not _isatty(sys.stdout):
            text = ANSI_ESCAPE.sub("", text)
        if self.write is not None:
            self.write(text)
            return
        tqdm.write(text, file=sys.stdout)
        sys.stdout.flush()
