"""Progress: one epoch bar per fit, quiet logs, colours on terminals only."""

import io
import pickle
import sys
import types

import numpy as np
import pytest
from sklearn.base import clone
from skorch.callbacks import Callback
from tqdm.std import tqdm as std_tqdm

from skimbtext import MISOSampler, TextClassifier, TextEmbedder
from skimbtext.callbacks import EpochProgress, _progress

NUMERIC = {
    "max_epochs": 3,
    "hidden_layer_sizes": (8,),
    "lr": 1e-2,
    "batch_size": 32,
    "random_state": 0,
    "device": "cpu",
}
TINY = {
    "encoder": "tiny-bert",
    "max_epochs": 2,
    "max_length": 8,
    "batch_size": 16,
    "lr": 1e-3,
    "random_state": 0,
    "device": "cpu",
}
# max_length=8 as in the classifiers' tests: a tiny-bert TextEmbedder at the
# default max_length run earlier in the process changes the model of
# tests/classifiers/test_dcmi.py::test_text_dataframe_and_arrays_give_the_same_model
# (an order dependence of that test, also at the commit before this file).
EMBEDDER = {"encoder": "tiny-bert", "max_length": 8, "random_state": 0}


@pytest.fixture
def miso(tiny_miso):
    # Pairs and anchors each in one batch of 32.
    return {**tiny_miso, "batch_size": 32, "max_pairs": 32}


MISO_EPOCHS = 5
ESC = "\x1b["


@pytest.fixture
def bars(monkeypatch):
    """Every tqdm bar shown by skimbtext, with the number of steps it was given.

    Each bar keeps the options it was opened with (``options``); bars opened
    with ``disable=True`` (hidden) are not listed.
    """
    opened = []

    class RecordingBar(std_tqdm):
        def __init__(self, *args, **kwargs):
            self.steps = 0
            self.options = kwargs
            super().__init__(*args, **kwargs)
            if not kwargs.get("disable"):
                opened.append(self)

        def update(self, n=1):
            self.steps += n
            return super().update(n)

    for module in (
        _progress,
        sys.modules["skimbtext.over_sampling._miso"],
        sys.modules["skimbtext.feature_extraction._text_embedder"],
    ):
        monkeypatch.setattr(module, "tqdm", RecordingBar)
    return opened


@pytest.fixture
def as_terminal(monkeypatch):
    """Call in a test: the captured stderr then reports an interactive terminal.

    (capsys replaces ``sys.stderr`` between a fixture's setup and the test.)
    """

    def patch():
        assert not sys.stderr.isatty()
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    return patch


@pytest.fixture
def small_blobs(blobs):
    X, y = blobs
    return X[:60], y[:60]


@pytest.fixture
def texts(reviews):
    return reviews["text"][:32], reviews["label"][:32]


def epoch_bars(bars):
    return [bar for bar in bars if bar.options.get("unit") == "epoch"]


def miso_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    return X, np.array([0] * 24 + [1] * 6)


def test_one_bar_per_fit_advanced_once_per_epoch(small_blobs, bars, capsys):
    X, y = small_blobs
    clf = TextClassifier(verbose=1, **NUMERIC).fit(X, y)
    clf.fit(X, y)
    assert len(bars) == 2  # one per fit, no per-batch bars
    for bar in bars:
        assert (bar.unit, bar.total, bar.steps, bar.n) == ("epoch", 3, 3, 3)
        assert bar.leave and bar.disable  # kept on screen, closed
    captured = capsys.readouterr()
    assert captured.out == ""  # verbose=1: no per-epoch table
    assert "3/3" in captured.err and "train_loss=" in captured.err


def test_a_fit_stopped_early_closes_its_bar_at_its_last_epoch(small_blobs, bars):
    X, y = small_blobs
    params = {**NUMERIC, "max_epochs": 50, "lr": 1e-9}  # no improvement
    clf = TextClassifier(
        verbose=1, early_stopping=True, n_iter_no_change=2, **params
    ).fit(X, y)
    (bar,) = bars
    # EarlyStopping ends the last epoch before this bar's on_epoch_end: counted
    # at train end, and the bar ends full (stopping early is no interruption).
    assert bar.steps == bar.n == bar.total == clf.n_epochs_ < 50
    assert "valid_loss" in bar.postfix
    assert bar.disable


class FailAtEpoch(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("boom")


def test_a_failed_fit_leaves_no_bar_open(small_blobs, bars):
    X, y = small_blobs
    clf = TextClassifier(verbose=1, callbacks=[FailAtEpoch(2)], **NUMERIC)
    with pytest.raises(RuntimeError, match="boom"):
        clf.fit(X, y)
    (bar,) = bars
    assert bar.steps == 2
    assert bar.disable  # closed
    assert bar not in getattr(std_tqdm, "_instances", set())


class StopWithinEpoch(Callback):
    def on_batch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt  # skorch's way for a callback to stop training


def test_training_stopped_within_an_epoch_leaves_the_bar_short(small_blobs, bars):
    X, y = small_blobs
    TextClassifier(verbose=1, callbacks=[StopWithinEpoch()], **NUMERIC).fit(X, y)
    (bar,) = bars
    assert (bar.n, bar.total) == (1, 3)  # the unfinished epoch 2 is not counted
    assert bar.disable


def test_verbose_2_prints_the_epoch_table_without_colours_off_a_terminal(
    small_blobs, capsys
):
    X, y = small_blobs
    clf = TextClassifier(verbose=2, **NUMERIC).fit(X, y)
    # skorch colours the best scores: the table would hold colour codes.
    assert any(clf.history_[:, "train_loss_best"])
    captured = capsys.readouterr()
    assert "train_loss" in captured.out
    assert len([line for line in captured.out.splitlines() if line.strip()]) == 5
    assert ESC not in captured.out
    assert ESC not in captured.err
    assert "3/3" in captured.err


def test_verbose_2_keeps_colours_on_a_terminal(small_blobs, capsys, monkeypatch):
    X, y = small_blobs
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    TextClassifier(verbose=2, **NUMERIC).fit(X, y)
    assert ESC in capsys.readouterr().out


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_levels_hold_with_accelerate(small_blobs, bars, capsys, verbose):
    accelerate = pytest.importorskip("accelerate")
    clf = TextClassifier(
        accelerator=accelerate.Accelerator(cpu=True), verbose=verbose, **NUMERIC
    ).fit(*small_blobs)
    captured = capsys.readouterr()
    assert len(bars) == (verbose > 0)
    assert ("3/3" in captured.err) is (verbose > 0)
    assert ("train_loss" in captured.out) is (verbose >= 2)
    assert ESC not in captured.out + captured.err
    assert pickle.loads(pickle.dumps(clf)).predict(small_blobs[0]).shape == (60,)


def test_verbose_0_is_silent_off_a_terminal(texts, small_blobs, bars, capsys, miso):
    # Fine-tuning and MISO's generator would show a bar on a terminal.
    TextClassifier(verbose=0, **TINY).fit(*texts)
    TextClassifier(verbose=0, **NUMERIC).fit(*small_blobs)
    MISOSampler(verbose=False, **miso).fit_resample(*miso_data())
    assert bars == []
    assert capsys.readouterr() == ("", "")


def test_fine_tuning_shows_a_passing_bar_on_a_terminal(
    texts, small_blobs, bars, as_terminal, capsys
):
    as_terminal()
    TextClassifier(**TINY).fit(*texts)
    (bar,) = bars
    assert (bar.total, bar.steps, bar.leave, bar.disable) == (2, 2, False, True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "TextClassifier" in captured.err
    # Numeric input and frozen encoders train fast: no bar at verbose=0.
    TextClassifier(**NUMERIC).fit(*small_blobs)
    TextClassifier(trainable_layers=0, **{**TINY, "lr": 1e-2}).fit(*texts)
    assert len(bars) == 1
    assert capsys.readouterr() == ("", "")


def test_a_jupyter_kernel_counts_as_interactive(monkeypatch):
    assert not _progress.interactive()  # pytest captures stderr
    shell = types.SimpleNamespace(kernel=object())
    ipython = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert _progress.interactive()
    assert _progress.progress_options(0, long_work=True) == {"leave": False}
    assert _progress.progress_options(0) == {"disable": True}
    shell.kernel = None  # a terminal IPython, not a kernel
    assert not _progress.interactive()


def test_tqdm_disable_silences_every_bar(
    small_blobs, bars, as_terminal, monkeypatch, capsys, miso
):
    as_terminal()
    monkeypatch.setenv("TQDM_DISABLE", "1")
    TextClassifier(verbose=1, **NUMERIC).fit(*small_blobs)
    MISOSampler(verbose=1, **miso).fit_resample(*miso_data())
    TextEmbedder(verbose=1, **EMBEDDER).fit_transform(["a"])
    assert bars == []
    assert capsys.readouterr() == ("", "")
    # Set while the bar of a user's own callback is being opened, too.
    progress = EpochProgress()
    TextClassifier(callbacks=[progress], **NUMERIC).fit(*small_blobs)
    assert bars == [] and capsys.readouterr() == ("", "")


def test_miso_shows_one_epoch_bar_per_class_and_its_anchors(bars, capsys, miso):
    MISOSampler(verbose=1, **miso).fit_resample(*miso_data())
    training, anchors = bars
    assert training.options["unit"] == "epoch" and training.leave
    assert training.total == training.steps == MISO_EPOCHS
    assert anchors.options["desc"] == "anchors for 1" and anchors.leave
    assert anchors.n == anchors.total == 1  # 18 anchors in one batch of 32
    err = capsys.readouterr().err
    assert "MISO generator for 1" in err and "anchors for 1" in err


def test_miso_shows_passing_bars_on_a_terminal(bars, as_terminal, capsys, miso):
    as_terminal()
    MISOSampler(**miso).fit_resample(*miso_data())
    assert len(bars) == 2
    assert not any(bar.leave for bar in bars)
    assert epoch_bars(bars)[0].steps == MISO_EPOCHS
    assert "MISO generator" in capsys.readouterr().err


def test_miso_verbose_2_prints_the_epoch_table_without_colours(capsys, miso):
    MISOSampler(verbose=2, **miso).fit_resample(*miso_data())
    out = capsys.readouterr().out
    assert "train_loss" in out and ESC not in out


def test_text_embedder_shows_its_bar_when_verbose_only(bars, as_terminal, capsys):
    # Embedding trains nothing: no bar at verbose=0, even on a terminal.
    as_terminal()
    TextEmbedder(**EMBEDDER).fit_transform(["a", "b"])
    assert bars == [] and capsys.readouterr() == ("", "")
    TextEmbedder(verbose=1, **EMBEDDER).fit_transform(["a short text", "another one"])
    (bar,) = bars
    assert bar.options["desc"] == "embedding" and bar.leave
    assert "embedding" in capsys.readouterr().err


def test_a_fitted_estimator_holds_no_bar_and_pickles(small_blobs, capsys):
    X, y = small_blobs
    clf = TextClassifier(verbose=1, **NUMERIC).fit(X, y)
    (progress,) = [cb for _, cb in clf.net_.callbacks_ if isinstance(cb, EpochProgress)]
    assert progress.bar_ is None
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    refit = clone(clf).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))
    verbose2 = TextClassifier(verbose=2, **NUMERIC).fit(X, y)
    assert pickle.loads(pickle.dumps(verbose2)).predict(X).shape == y.shape


def test_a_pickled_callback_holds_no_bar():
    progress = EpochProgress(file=io.StringIO())
    progress.bar_ = std_tqdm(total=1, file=progress.file)  # as if mid-fit
    assert "bar_" not in pickle.loads(pickle.dumps(progress)).__dict__
    bar = progress.bar_
    progress.close()
    assert progress.bar_ is None and bar.disable
    progress.close()  # closing twice is harmless
