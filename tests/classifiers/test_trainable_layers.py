"""trainable_layers: the top k layers train on lower-layer states computed once."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skimbtext import DCMIClassifier, SharpReCLClassifier, TextClassifier
from skimbtext.encoders import (
    PadCollator,
    TransformerEncoder,
    load_encoder_model,
    load_tokenizer,
    tokenize,
)
from skimbtext.feature_extraction import lower_layer_states

FAST = {
    "encoder": "tiny-bert",
    "max_length": 24,
    "batch_size": 16,
    "max_epochs": 2,
    "lr": 1e-3,
    "device": "cpu",
    "random_state": 0,
}
CLASSIFIERS = [TextClassifier, SharpReCLClassifier, DCMIClassifier]


def _fit(cls, reviews, n=80, **params):
    frame = reviews.iloc[:n]
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    clf = cls(**{**FAST, **params})
    if cls is DCMIClassifier:
        return clf.fit(texts, y, domains=frame["domain"].to_numpy())
    return clf.fit(texts, y)


def _proba(clf, reviews, n=40):
    frame = reviews.iloc[-n:]
    texts = frame["text"].tolist()
    if isinstance(clf, DCMIClassifier):
        return clf.predict_proba(texts, domains=frame["domain"].to_numpy())
    return clf.predict_proba(texts)


def _batch(texts, encoder="tiny-bert"):
    tokenizer = load_tokenizer(encoder)
    ids = tokenize(tokenizer, texts, max_length=32)
    inputs, _ = PadCollator(tokenizer.pad_token_id)(
        [({"input_ids": i}, 0) for i in ids]
    )
    return inputs


TEXTS = [
    "a short one",
    "a much longer review of a blender that broke after a week of use",
    "fine",
]


@pytest.mark.parametrize(
    "encoder, k", [("tiny-bert", 1), ("minilm", 1), ("minilm", 2), ("minilm", 5)]
)
@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_top_layers_on_cached_states_equal_the_full_forward(encoder, pooling, k):
    torch.manual_seed(0)
    model = load_encoder_model(encoder).eval()
    full = TransformerEncoder(model, pooling).eval()
    top = TransformerEncoder(model, pooling, trainable_layers=k).eval()
    inputs = _batch(TEXTS, encoder)  # padded: the texts differ in length
    states = top.lower_states(**inputs)
    with torch.no_grad():
        expected = full(**inputs)
        on_states = top(hidden_states=states, attention_mask=inputs["attention_mask"])
        on_ids = top(**inputs)
    assert torch.equal(on_states, expected)
    assert torch.equal(on_ids, expected)
    # The states stored per text (padding cut off) give the same vectors too.
    stored = lower_layer_states(top, load_tokenizer(encoder), _unpadded(inputs))
    restacked, _ = PadCollator()([({"hidden_states": s}, 0) for s in stored])
    with torch.no_grad():
        again = top(**restacked)
    torch.testing.assert_close(again, expected, rtol=1e-5, atol=1e-5)


def _unpadded(inputs):
    lengths = inputs["attention_mask"].sum(dim=1).tolist()
    return [row[:n].numpy() for row, n in zip(inputs["input_ids"], lengths)]


def test_only_the_top_layers_and_heads_train(reviews, monkeypatch):
    import skimbtext.classifiers._base as base

    initial = {}
    load = base.load_encoder_model

    def recording(encoder):
        model = load(encoder)
        initial.update({k: v.clone() for k, v in model.state_dict().items()})
        return model

    monkeypatch.setattr(base, "load_encoder_model", recording)
    clf = _fit(TextClassifier, reviews, trainable_layers=1)
    trained = dict(clf.net_.module_.body.model.named_parameters())
    changed = set()
    for name, after in trained.items():
        frozen = name.startswith(("embeddings.", "encoder.layer.0."))
        assert after.requires_grad is not frozen, name
        if not torch.equal(after, initial[name]):
            changed.add(name.split(".")[0] + "." + name.split(".")[2])
    assert changed == {"encoder.1"}  # the top layer only, every frozen one intact


@pytest.fixture
def lower_state_rows(monkeypatch):
    """Rows passed through the frozen lower layers, batch by batch."""
    rows = []
    lower_states = TransformerEncoder.lower_states

    def counting(self, input_ids, attention_mask):
        rows.append(int(input_ids.shape[0]))
        return lower_states(self, input_ids, attention_mask)

    monkeypatch.setattr(TransformerEncoder, "lower_states", counting)
    return rows


def test_lower_layers_run_once_per_distinct_text(reviews, lower_state_rows):
    frame = reviews.iloc[:60]
    texts = frame["text"].tolist() * 2  # every text twice
    y = np.tile(frame["label"].to_numpy(), 2)
    TextClassifier(**{**FAST, "max_epochs": 3}, trainable_layers=1).fit(texts, y)
    assert sum(lower_state_rows) == len(set(texts))


def test_both_sharprecl_views_are_computed_once(reviews, lower_state_rows):
    clf = _fit(SharpReCLClassifier, reviews, n=60, trainable_layers=1, max_epochs=3)
    n_texts = len(set(reviews["text"].iloc[:60]))
    # Originals and augmented texts, each once: not once per epoch.
    assert n_texts < sum(lower_state_rows) <= 2 * n_texts
    assert clf.n_epochs_ == 3


@pytest.mark.parametrize("trainable_layers", [0, 1])
def test_on_disk_cache_is_reused_and_gives_the_same_model(
    reviews, tmp_path, monkeypatch, trainable_layers
):
    def fit(**params):
        return _fit(
            TextClassifier, reviews, trainable_layers=trainable_layers, **params
        )

    expected = _proba(fit(), reviews)
    filling = fit(cache_dir=tmp_path)
    assert (tmp_path / "embeddings.sqlite").is_file()
    with monkeypatch.context() as patched:  # nothing may be computed again
        # Frozen: forward is the embedding pass; else the top layers' training.
        methods = ["lower_states"] + (["forward"] if trainable_layers == 0 else [])
        for method in methods:
            patched.setattr(
                TransformerEncoder, method, lambda *a, **k: pytest.fail("recomputed")
            )
        reading = fit(cache_dir=tmp_path)
    # With the cache or without, filling it or reading it: the same model.
    np.testing.assert_array_equal(_proba(filling, reviews), expected)
    np.testing.assert_array_equal(_proba(reading, reviews), expected)


def test_dropout_acts_in_the_trainable_layers_not_on_the_states():
    from skimbtext.nn import SharpReCLModule

    torch.manual_seed(0)
    body = TransformerEncoder(load_encoder_model("tiny-bert"), trainable_layers=1)
    module = SharpReCLModule(body, 2, repeat_view=True, view_dropout=0.5).train()
    states = torch.randn(2, 5, 128)
    mask = torch.ones(2, 5, dtype=torch.long)
    first, second = module._views({"hidden_states": states, "attention_mask": mask}, {})
    assert torch.equal(second["hidden_states"], states)
    # The two passes of the same states differ: dropout of the top layer.
    one, two = body(**first), body(**second)
    assert not torch.allclose(one, two)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_top_layer_fits_are_repeatable_and_survive_pickle_and_clone(cls, reviews):
    clf = _fit(cls, reviews, trainable_layers=1)
    again = _fit(cls, reviews, trainable_layers=1)
    expected = _proba(clf, reviews)
    np.testing.assert_array_equal(_proba(again, reviews), expected)
    np.testing.assert_array_equal(
        _proba(pickle.loads(pickle.dumps(clf)), reviews), expected
    )
    assert clone(clf).get_params()["trainable_layers"] == 1
    assert not hasattr(clf, "_transformer_body")  # nothing of the fit lingers


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_top_layers_differ_from_full_and_frozen_training(cls, reviews):
    results = [
        _proba(_fit(cls, reviews, trainable_layers=k), reviews) for k in (None, 1, 0)
    ]
    assert not np.allclose(results[0], results[1])
    assert not np.allclose(results[1], results[2])


def test_grid_search_over_trainable_layers(reviews):
    frame = reviews.iloc[:90]
    search = GridSearchCV(
        TextClassifier(**FAST), {"trainable_layers": [0, 1]}, cv=2, scoring="f1_macro"
    )
    search.fit(frame["text"].tolist(), frame["label"].to_numpy())
    # The refitted winner has the body its parameter asks for.
    best = search.best_estimator_
    assert best.trainable_layers == search.best_params_["trainable_layers"]
    assert hasattr(best, "embedder_") == (best.trainable_layers == 0)


def test_freeze_encoder_is_deprecated_for_trainable_layers_zero(reviews):
    with pytest.warns(FutureWarning, match="trainable_layers=0"):
        old = _fit(TextClassifier, reviews, freeze_encoder=True)
    new = _fit(TextClassifier, reviews, trainable_layers=0)
    assert hasattr(old, "embedder_")
    np.testing.assert_array_equal(_proba(old, reviews), _proba(new, reviews))
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="contradicts"):
        _fit(TextClassifier, reviews, freeze_encoder=True, trainable_layers=1)


def test_too_many_trainable_layers_are_named(reviews):
    with pytest.raises(ValueError, match="between 1 and the encoder's 2 layers, got 3"):
        _fit(TextClassifier, reviews, trainable_layers=3)


def test_numeric_input_ignores_trainable_layers(blobs):
    X, y = blobs
    clf = TextClassifier(**{**FAST, "max_epochs": 5}, trainable_layers=1).fit(X, y)
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("trainable_layers", [None, 1])
def test_text_batches_are_grouped_by_length_unless_switched_off(
    reviews, trainable_layers
):
    def sampler(clf):
        return clf.net_.get_params_for("iterator_train")["sampler"]

    grouped = _fit(TextClassifier, reviews, trainable_layers=trainable_layers)
    texts = reviews["text"].iloc[:80].tolist()
    expected = [len(ids) for ids in tokenize(grouped.tokenizer_, texts, 24)]
    assert sampler(grouped).lengths.tolist() == expected
    plain = _fit(
        TextClassifier,
        reviews,
        trainable_layers=trainable_layers,
        group_by_length=False,
    )
    assert sampler(plain).lengths is None
    assert not np.array_equal(_proba(grouped, reviews), _proba(plain, reviews))
    frozen = _fit(TextClassifier, reviews, trainable_layers=0)
    assert sampler(frozen).lengths is None  # an MLP on embeddings: nothing to pad
