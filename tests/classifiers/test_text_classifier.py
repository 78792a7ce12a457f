import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.model_selection import GridSearchCV

from skimbtext import TextClassifier
from skimbtext.losses import LOSSES


@pytest.fixture(scope="module")
def numeric(tiny_numeric):
    """The shared MLP settings, trained long enough to learn the blobs."""
    return {**tiny_numeric, "max_epochs": 30}


@pytest.fixture(scope="module")
def fitted_tiny(reviews, tiny_text):
    return TextClassifier(**tiny_text).fit(reviews["text"], reviews["label"])


def test_text_fit_predict_contract(fitted_tiny, reviews):
    proba = fitted_tiny.predict_proba(reviews["text"])
    assert proba.shape == (len(reviews), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(fitted_tiny.classes_) == ["negative", "positive"]
    assert fitted_tiny.input_kind_ == "text"
    assert fitted_tiny.n_epochs_ == 2
    counts = reviews["label"].value_counts()
    np.testing.assert_array_equal(
        fitted_tiny.class_counts_, [counts["negative"], counts["positive"]]
    )
    np.testing.assert_allclose(fitted_tiny.class_prior_.sum(), 1.0)
    assert not hasattr(fitted_tiny, "n_features_in_")


def test_text_input_types_agree(fitted_tiny, reviews):
    texts = reviews["text"].iloc[:12]
    expected = fitted_tiny.predict_proba(texts)
    for variant in (
        list(texts),
        np.asarray(texts),
        tuple(texts),
        np.asarray(texts, dtype=object).reshape(-1, 1),
    ):
        np.testing.assert_allclose(
            fitted_tiny.predict_proba(variant), expected, atol=1e-6
        )


def test_predictions_do_not_depend_on_batch_composition(fitted_tiny, reviews):
    texts = list(reviews["text"].iloc[:20])
    together = fitted_tiny.predict_proba(texts)
    alone = np.vstack([fitted_tiny.predict_proba([text]) for text in texts[:5]])
    np.testing.assert_allclose(together[:5], alone, atol=1e-5)


def test_dataframe_with_text_col(reviews, tiny_text):
    clf = TextClassifier(text_col="text", **tiny_text).fit(reviews, reviews["label"])
    reference = TextClassifier(**tiny_text).fit(reviews["text"], reviews["label"])
    np.testing.assert_array_equal(
        clf.predict_proba(reviews), reference.predict_proba(reviews["text"])
    )


def test_fit_leaves_global_torch_rng_alone(reviews, numeric):
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    TextClassifier(**numeric).fit(
        np.eye(4, dtype=np.float32).repeat(5, 0), np.arange(4).repeat(5) % 2
    )
    assert torch.equal(torch.rand(2), expected)


def test_numeric_mode_learns_blobs(blobs, numeric):
    X, y = blobs
    clf = TextClassifier(**numeric).fit(X, y)
    assert clf.input_kind_ == "numeric" and clf.n_features_in_ == 5
    assert clf.score(X, y) > 0.95
    with pytest.raises(ValueError, match="fitted on numeric input but got text"):
        clf.predict(["a text"])


def test_model_fitted_on_cuda_loads_on_cpu(blobs, numeric):
    """Simulate a CUDA-fitted model: its pickle names CUDA as the device."""
    if torch.cuda.is_available():
        pytest.skip("simulates a CPU-only machine")
    X, y = blobs
    clf = TextClassifier(**numeric).fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"
    clf.device_ = torch.device("cuda")
    with pytest.warns(UserWarning, match="CUDA"):
        restored = pickle.loads(pickle.dumps(clf))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_allclose(restored.predict_proba(X), expected, atol=1e-6)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_and_beats_chance(loss, blobs, numeric):
    X, y = blobs
    clf = TextClassifier(loss=loss, **numeric).fit(X, y)
    assert clf.score(X, y) > 0.8, loss


def test_ldam_uses_a_cosine_head(blobs, numeric):
    X, y = blobs
    clf = TextClassifier(loss="ldam", **numeric).fit(X, y)
    assert type(clf.net_.module_.head).__name__ == "CosineLinear"


def test_loss_params_reach_the_loss(blobs, numeric):
    X, y = blobs
    clf = TextClassifier(loss="focal", loss_params={"gamma": 0.5}, **numeric).fit(X, y)
    assert clf.net_.criterion_.gamma == 0.5
    with pytest.raises(ValueError, match="Cannot build FocalLoss"):
        TextClassifier(loss="focal", loss_params={"gama": 1}, **numeric).fit(X, y)


def test_sample_weight_and_class_weight_shift_decisions(numeric):
    # Two overlapping classes: weighting one of them should pull predictions to it.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(0.5, 1, (100, 2))])
    y = np.array([0] * 100 + [1] * 100)
    plain = TextClassifier(**numeric).fit(X, y)
    weighted = TextClassifier(**numeric).fit(X, y, sample_weight=np.where(y, 10, 1))
    by_class = TextClassifier(class_weight={0: 1, 1: 10}, **numeric).fit(X, y)
    assert (weighted.predict(X) == 1).mean() > (plain.predict(X) == 1).mean() + 0.2
    assert (by_class.predict(X) == 1).mean() > (plain.predict(X) == 1).mean() + 0.2
    with pytest.raises(ValueError, match="at least one non-zero"):
        TextClassifier(**numeric).fit(X, y, sample_weight=np.zeros(200))


def test_balanced_class_weight_lifts_minority_recall(numeric):
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (190, 2)), rng.normal(1.0, 1, (10, 2))])
    y = np.array([0] * 190 + [1] * 10)
    plain = TextClassifier(**numeric).fit(X, y)
    balanced = TextClassifier(class_weight="balanced", **numeric).fit(X, y)
    assert (balanced.predict(X[y == 1]) == 1).mean() > (
        plain.predict(X[y == 1]) == 1
    ).mean()


def test_early_stopping_uses_a_validation_split_and_keeps_the_best_epoch(
    blobs, numeric
):
    X, y = blobs
    clf = TextClassifier(
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        **{**numeric, "max_epochs": 200},
    ).fit(X, y)
    history = clf.history_
    assert "valid_loss" in history[0]
    assert clf.n_epochs_ < 200
    best = int(np.argmin(history[:, "valid_loss"]))
    assert clf.n_epochs_ == best + 1 + 2  # stopped after `patience` worse epochs


def test_early_stopping_keeps_a_single_sample_class_in_training(numeric):
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.array([0] * 20 + [1] * 19 + [2])
    clf = TextClassifier(early_stopping=True, validation_fraction=0.2, **numeric)
    assert clf.fit(X, y).predict(X).shape == (40,)
    train, valid = clf._split(y)  # the split the fit used
    assert 39 in train and 39 not in valid
    assert sorted(np.concatenate([train, valid])) == list(range(40))
    assert set(y[valid]) == {0, 1}


def test_early_stopping_explains_a_split_it_cannot_make(numeric):
    X = np.random.RandomState(0).normal(size=(6, 3))
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="stratified validation split"):
        TextClassifier(early_stopping=True, validation_fraction=0.1, **numeric).fit(
            X, y
        )


def test_frozen_encoder_trains_a_head_on_cached_embeddings(
    reviews, tmp_path, tiny_text
):
    clf = TextClassifier(
        trainable_layers=0, cache_dir=tmp_path, **{**tiny_text, "max_epochs": 5}
    )
    clf.fit(reviews["text"], reviews["label"])
    assert (tmp_path / "embeddings.sqlite").is_file()
    assert type(clf.net_.module_.body).__name__ == "MLPEncoder"
    assert clf.embedder_.n_features_out_ == 128
    # The encoder stays untouched: it is not part of the trained module.
    trained = {id(p) for p in clf.net_.module_.parameters()}
    assert not trained & {id(p) for p in clf.embedder_.encoder_.parameters()}
    assert clf.predict_proba(reviews["text"][:5]).shape == (5, 2)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (["a", "b", "c"], [0, 0, 0], "one class only"),
        (["a", "b", "c"], [0, 1], "inconsistent numbers of samples"),
        (["a", None, "c"], [0, 1, 0], "missing text"),
        (["a", 2, "c"], [0, 1, 0], "position 1 is int"),
        (["a", "b", "c"], None, "requires y"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), [0, 1], "NaN"),
    ],
)
def test_bad_input_is_named(X, y, message, tiny_text):
    with pytest.raises(ValueError, match=message):
        TextClassifier(**tiny_text).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"max_epochs": 0}, "max_epochs"),
        ({"loss": "hinge"}, "loss"),
        ({"dropout": 1.5}, "dropout"),
        ({"lr": -1.0}, "lr"),
        ({"encoder": "no-such-org/no-such-model"}, "never downloads"),
    ],
)
def test_bad_parameters_are_named(params, message, tiny_text):
    with pytest.raises(ValueError, match=message):
        TextClassifier(**{**tiny_text, **params}).fit(["a", "b"], [0, 1])


def test_bad_hidden_layer_sizes_are_named(numeric):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        TextClassifier(**{**numeric, "hidden_layer_sizes": (0,)}).fit(np.eye(2), [0, 1])


def test_in_imblearn_pipeline_and_grid_search(reviews, tiny_text):
    pipe = Pipeline(
        [
            ("ros", RandomOverSampler(random_state=0)),
            ("clf", TextClassifier(**{**tiny_text, "max_epochs": 1})),
        ]
    )
    search = GridSearchCV(
        pipe, {"clf__loss": ["ce", "logit_adjusted"]}, cv=2, scoring="balanced_accuracy"
    )
    # imbalanced-learn's samplers take 2-D X: a single column of texts.
    texts = reviews["text"].to_numpy(dtype=object).reshape(-1, 1)
    search.fit(texts, reviews["label"].to_numpy())
    assert set(search.cv_results_["param_clf__loss"]) == {"ce", "logit_adjusted"}
    assert search.predict(texts[:3]).shape == (3,)


def test_verbose_levels_show_a_bar_then_the_epoch_table(blobs, capsys, numeric):
    X, y = blobs
    TextClassifier(verbose=2, **{**numeric, "max_epochs": 2}).fit(X, y)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out  # skorch's per-epoch table
    assert "2/2" in captured.err  # the epoch bar
    TextClassifier(verbose=1, **{**numeric, "max_epochs": 2}).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and "2/2" in captured.err
    TextClassifier(verbose=0, **{**numeric, "max_epochs": 2}).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_series_labels_and_pandas_text_index_are_ignored(reviews, tiny_text):
    shuffled = reviews.sample(frac=1.0, random_state=0)
    clf = TextClassifier(**tiny_text).fit(shuffled["text"], shuffled["label"])
    assert clf.predict(pd.Series(["great", "awful"], index=[10, 3])).shape == (2,)
