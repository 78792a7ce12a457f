"""Faults during training: interruption, checkpoint and resume, NaN loss, memory.

Decision (documented in ``BaseTextClassifier`` and ``fit``): a fit is all or
nothing. When it fails or is interrupted, the exception propagates and the
estimator is left as it was, fitted by the previous ``fit`` or unfitted. Progress
is kept with skorch's ``Checkpoint`` and resumed with ``LoadInitState``.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, Checkpoint, LoadInitState
from torch import nn

from skimbtext import TextEmbedder
from skimbtext._training import TrainingNet
from skimbtext.classifiers import (
    DCMIClassifier,
    SharpReCLClassifier,
    TextClassifier,
)
from skimbtext.encoders import TransformerEncoder
from skimbtext.over_sampling import MISOSampler
from skimbtext.over_sampling._miso_training import MISOTrainingNet
from skimbtext.utils._device import BatchOutOfMemoryError

NUMERIC = {
    "max_epochs": 4,
    "hidden_layer_sizes": (16,),
    "lr": 1e-2,
    "batch_size": 16,
    "dropout": 0.3,
    "random_state": 0,
    "device": "cpu",
}
TINY = {
    "encoder": "tiny-bert",
    "max_length": 16,
    "max_epochs": 3,
    "batch_size": 8,
    "lr": 1e-3,
    "random_state": 0,
    "device": "cpu",
}
CLASSIFIERS = {
    "TextClassifier": TextClassifier,
    "DCMIClassifier": DCMIClassifier,
    "SharpReCLClassifier": SharpReCLClassifier,
}
EXTRA = {"SharpReCLClassifier": {"n_negatives": 20}}
BATCHES_PER_EPOCH = 10  # 160 samples in batches of 16


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(160, centers=3, n_features=4, cluster_std=3.0, random_state=0)
    domains = np.array(["a", "b"] * 80)
    return X.astype(np.float32), np.array(["x", "y", "z"])[y], domains


def make(name, **params):
    return CLASSIFIERS[name](**{**NUMERIC, **EXTRA.get(name, {}), **params})


def fit_kwargs(name, data):
    return {"domains": data[2]} if name == "DCMIClassifier" else {}


def interrupt_training(monkeypatch, *, epoch, batch):
    """Raise KeyboardInterrupt inside a training forward pass, as Ctrl-C would."""
    calls = itertools.count(1)
    at = (epoch - 1) * BATCHES_PER_EPOCH + batch
    infer = TrainingNet.infer

    def interrupted_infer(net, x, **kwargs):
        if net.module_.training and next(calls) == at:
            raise KeyboardInterrupt
        return infer(net, x, **kwargs)

    monkeypatch.setattr(TrainingNet, "infer", interrupted_infer)


def fitted_state(estimator):
    """Names of the attributes a fit sets (besides the parameters)."""
    return sorted(set(vars(estimator)) - set(estimator.get_params()))


class RaiseAt(Callback):
    """Raise ``error`` at the end of epoch ``epoch``."""

    def __init__(self, epoch, error):
        self.epoch = epoch
        self.error = error

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise self.error


# ------------------------------------------------------------------ interruption


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_interrupted_first_fit_leaves_the_estimator_unfitted(name, data, monkeypatch):
    X, y, _ = data
    clf = make(name)
    interrupt_training(monkeypatch, epoch=2, batch=3)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y, **fit_kwargs(name, data))
    assert fitted_state(clf) == []
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_interrupted_refit_keeps_the_previous_model(name, data, monkeypatch):
    X, y, _ = data
    clf = make(name).fit(X, y, **fit_kwargs(name, data))
    before = {key: getattr(clf, key) for key in fitted_state(clf)}
    proba = clf.predict_proba(X, **fit_kwargs(name, data))
    # The refit sees other data: 2 classes, 3 features, no domains.
    interrupt_training(monkeypatch, epoch=1, batch=2)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X[:, :3], np.where(y == "x", "x", "other"))
    assert {key: getattr(clf, key) for key in fitted_state(clf)}.keys() == before.keys()
    assert clf.net_ is before["net_"] and list(clf.classes_) == ["x", "y", "z"]
    assert clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.predict_proba(X, **fit_kwargs(name, data)), proba)


def test_exception_in_a_callback_keeps_the_previous_model(data):
    X, y, _ = data
    clf = make("TextClassifier").fit(X, y)
    net, proba = clf.net_, clf.predict_proba(X)
    clf.set_params(callbacks=[RaiseAt(2, RuntimeError("disk full"))])
    with pytest.raises(RuntimeError, match="disk full"):
        clf.fit(X[:40], y[:40])
    assert clf.net_ is net
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_a_callback_can_still_stop_training_as_in_skorch(data):
    # skorch's convention (EarlyStopping): a callback raising KeyboardInterrupt
    # ends training normally; the model of the epochs so far is kept.
    X, y, _ = data
    clf = make("TextClassifier", callbacks=[RaiseAt(2, KeyboardInterrupt())])
    clf.fit(X, y)
    assert clf.n_epochs_ == 2
    assert clf.predict(X).shape == (len(X),)


# ------------------------------------------------------------------ resume


@pytest.mark.parametrize(
    "name, params",
    [
        pytest.param(
            "TextClassifier",
            {"deferred_rebalancing": "resample", "deferred_start": 0.5},
            id="TextClassifier-DRS",
        ),
        pytest.param(
            "TextClassifier",
            {"deferred_rebalancing": "reweight", "deferred_start": 0.5},
            id="TextClassifier-DRW",
        ),
        pytest.param("DCMIClassifier", {}, id="DCMIClassifier-epoch_schedule"),
        pytest.param(
            "DCMIClassifier",
            {"tau_schedule": "training"},
            id="DCMIClassifier-training_schedule",
        ),
        pytest.param(
            "SharpReCLClassifier",
            {"hard_mixup": False},
            id="SharpReCLClassifier-no_hard_mixup",
        ),
        pytest.param(
            "SharpReCLClassifier",
            {},
            id="SharpReCLClassifier-hard_mixup",
        ),
    ],
)
def test_resume_from_checkpoint_repeats_the_uninterrupted_fit(
    name, params, data, tmp_path, monkeypatch
):
    X, y, _ = data
    kwargs = fit_kwargs(name, data)
    reference = make(name, **params).fit(X, y, **kwargs)

    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    clf = make(name, callbacks=[checkpoint], **params)
    with monkeypatch.context() as patch:
        interrupt_training(patch, epoch=3, batch=4)
        with pytest.raises(KeyboardInterrupt):
            clf.fit(X, y, **kwargs)
    assert (tmp_path / "params.pt").is_file()  # saved after epoch 2

    clf.set_params(callbacks=[checkpoint, LoadInitState(checkpoint)])
    clf.fit(X, y, **kwargs)
    assert clf.n_epochs_ == NUMERIC["max_epochs"]
    np.testing.assert_array_equal(
        clf.history_[:, "train_loss"][2:], reference.history_[:, "train_loss"][2:]
    )
    np.testing.assert_array_equal(
        clf.predict_proba(X, **kwargs), reference.predict_proba(X, **kwargs)
    )


def test_resume_of_a_fine_tuned_transformer(reviews, tmp_path):
    # BERT's own dropout and the text batches are reseeded per epoch too.
    texts, labels = reviews["text"][:48], reviews["label"][:48]
    reference = TextClassifier(**TINY).fit(texts, labels)
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    stop = RaiseAt(1, RuntimeError("killed"))
    clf = TextClassifier(callbacks=[checkpoint, stop], **TINY)
    with pytest.raises(RuntimeError, match="killed"):
        clf.fit(texts, labels)
    clf.set_params(callbacks=[checkpoint, LoadInitState(checkpoint)])
    clf.fit(texts, labels)
    assert clf.n_epochs_ == TINY["max_epochs"]
    np.testing.assert_array_equal(
        clf.predict_proba(texts), reference.predict_proba(texts)
    )


# ------------------------------------------------------------------ NaN loss


class NaNAfter(nn.Module):
    """Cross-entropy that turns NaN from its ``after``-th call on."""

    def __init__(self, reduction="none", after=1):
        super().__init__()
        self.after = after
        self.calls = 0

    def forward(self, logits, target):
        self.calls += 1
        loss = F.cross_entropy(logits, target, reduction="none")
        return loss * float("nan") if self.calls >= self.after else loss


def test_nan_loss_is_reported_with_epoch_and_batch(data):
    X, y, _ = data
    after = 2 * BATCHES_PER_EPOCH + 7  # epoch 3, batch 7
    clf = make("TextClassifier", loss=NaNAfter, loss_params={"after": after})
    with pytest.raises(
        FloatingPointError, match=r"loss is NaN at epoch 3, batch 7; .*lower lr"
    ):
        clf.fit(X, y)
    assert fitted_state(clf) == []


@pytest.mark.parametrize("name", ["DCMIClassifier", "SharpReCLClassifier"])
def test_nan_loss_is_reported_by_every_estimator(name, data):
    X, y, _ = data
    clf = make(name, lr=1e-2)
    X_bad = X.copy()
    X_bad[5] = 3e38  # overflows float32 in the first layer: inf, then NaN
    with pytest.raises(FloatingPointError, match=r"loss is (NaN|inf) at epoch 1"):
        clf.fit(X_bad, y, **fit_kwargs(name, data))


# ------------------------------------------------------------------ memory


def _out_of_memory(*args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_out_of_memory_in_training_says_what_to_lower(reviews, monkeypatch):
    monkeypatch.setattr(TransformerEncoder, "forward", _out_of_memory)
    clf = TextClassifier(**{**TINY, "batch_size": 4})
    with pytest.raises(torch.cuda.OutOfMemoryError) as info:
        clf.fit(reviews["text"][:12], reviews["label"][:12])
    error = info.value
    assert isinstance(error, BatchOutOfMemoryError)
    assert isinstance(error.__cause__, torch.OutOfMemoryError)
    message = str(error)
    assert "a batch of 4 texts of up to" in message
    assert "during training (epoch 1, batch 1)" in message
    assert "Lower batch_size (or max_length" in message
    assert "Tried to allocate 20.00 GiB" in message
    assert fitted_state(clf) == []


def test_out_of_memory_at_prediction_says_what_to_lower(data, monkeypatch):
    X, y, _ = data
    clf = make("TextClassifier", max_epochs=1).fit(X, y)
    monkeypatch.setattr(clf.net_.module_, "forward", _out_of_memory)
    with pytest.raises(
        BatchOutOfMemoryError,
        match=r"on a batch of 16 samples during prediction\. Lower batch_size",
    ):
        clf.predict(X)


def test_out_of_memory_while_embedding_says_what_to_lower(monkeypatch):
    embedder = TextEmbedder(encoder="tiny-bert", batch_size=2, device="cpu")
    embedder.fit(["a text", "another text", "a third"])
    monkeypatch.setattr(embedder.encoder_, "forward", _out_of_memory)
    with pytest.raises(
        BatchOutOfMemoryError,
        match=r"a batch of 2 texts of up to \d+ tokens during embedding\. Lower",
    ):
        embedder.transform(["a text", "another text", "a third"])


# ------------------------------------------------------------------ MISO

MISO_BATCHES_PER_EPOCH = 4  # tiny_miso: 64 pairs in batches of 16


def _imbalanced(data):
    X, y, _ = data
    return X, np.where(np.arange(len(y)) < 20, "rare", "common")


def _fail_in_step(monkeypatch, step, *, call, error):
    """Make the ``call``-th run of a MISO training step raise ``error``."""
    calls = itertools.count(1)
    original = getattr(MISOTrainingNet, step)

    def failing(net, inputs):
        if next(calls) == call:
            raise error
        return original(net, inputs)

    monkeypatch.setattr(MISOTrainingNet, step, failing)


def test_interrupted_first_fit_resample_leaves_the_sampler_unfitted(
    data, monkeypatch, tiny_miso
):
    sampler = MISOSampler(**tiny_miso)
    _fail_in_step(monkeypatch, "_adversarial_step", call=2, error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(*_imbalanced(data))
    assert fitted_state(sampler) == []


def test_interrupted_fit_resample_keeps_the_previous_state(
    data, monkeypatch, tiny_miso
):
    X, y = _imbalanced(data)
    sampler = MISOSampler(**tiny_miso)
    sampler.fit_resample(X, y)
    before = {key: getattr(sampler, key) for key in fitted_state(sampler)}
    _fail_in_step(monkeypatch, "_pretrain_step", call=3, error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(X[:, :3], y)
    after = {key: getattr(sampler, key) for key in fitted_state(sampler)}
    assert after.keys() == before.keys()
    assert all(after[key] is before[key] for key in before)
    assert sampler.n_features_in_ == 4


def test_miso_nan_loss_is_reported_with_epoch_and_batch(data, monkeypatch, tiny_miso):
    reconstruction = MISOTrainingNet._reconstruction
    calls = itertools.count(1)
    # Epoch 2, batch 3 of pre-training: two reconstructions (one per decoder)
    # per batch, the second one of that batch diverges.
    at = 2 * (MISO_BATCHES_PER_EPOCH + 3)

    def diverging(net, *args, **kwargs):
        loss = reconstruction(net, *args, **kwargs)
        return loss * float("nan") if next(calls) == at else loss

    monkeypatch.setattr(MISOTrainingNet, "_reconstruction", diverging)
    sampler = MISOSampler(**tiny_miso)
    with pytest.raises(FloatingPointError, match=r"loss is NaN at epoch 2, batch 3"):
        sampler.fit_resample(*_imbalanced(data))
    assert fitted_state(sampler) == []
