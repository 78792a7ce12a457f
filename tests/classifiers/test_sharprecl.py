"""SharpReCLClassifier: the estimator, its views, ablations and baselines."""

import numpy as np
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV

from skimbtext.augmentation import WordSubstitution
from skimbtext.classifiers import TextClassifier
from skimbtext.classifiers._sharprecl import SharpReCLClassifier
from skimbtext.datasets import make_imbalance
from skimbtext.losses import FocalLoss


@pytest.fixture(scope="module")
def numeric(tiny_numeric):
    return {**tiny_numeric, "max_epochs": 15, "n_negatives": 40}


@pytest.fixture(scope="module")
def tiny(tiny_text):
    return {**tiny_text, "max_epochs": 1, "n_negatives": 40}


@pytest.fixture(scope="module")
def long_tailed_blobs():
    """Three separable numeric classes, 60 / 25 / 8 samples."""
    rng = np.random.RandomState(0)
    centers = np.array([[0.0, 0.0, 3.0], [3.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    sizes = (60, 25, 8)
    X = np.vstack([rng.normal(c, 0.7, (n, 3)) for c, n in zip(centers, sizes)])
    y = np.repeat(["common", "medium", "rare"], sizes)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def fitted_tiny(reviews, tiny):
    return SharpReCLClassifier(**tiny).fit(reviews["text"], reviews["label"])


def test_numeric_mode_learns_a_long_tailed_problem(long_tailed_blobs, numeric):
    X, y = long_tailed_blobs
    clf = SharpReCLClassifier(**numeric).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert (clf.predict(X[y == "rare"]) == "rare").mean() > 0.8
    np.testing.assert_allclose(clf.class_prior_, [60 / 93, 25 / 93, 8 / 93])
    module = clf.net_.module_
    assert module.feature_projection is not None and module.probe is None
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)


def test_text_fit_uses_a_second_view_and_predicts_from_the_classifier(
    fitted_tiny, reviews
):
    proba = fitted_tiny.predict_proba(reviews["text"][:20])
    assert proba.shape == (20, 2)
    # Prediction runs the classification branch alone: a text's probabilities do
    # not depend on the rest of its batch.
    alone = np.vstack([fitted_tiny.predict_proba([t]) for t in reviews["text"][:3]])
    np.testing.assert_allclose(proba[:3], alone, atol=1e-5)
    assert type(fitted_tiny.net_.criterion_.classification_loss).__name__ == (
        "LogitAdjustedLoss"
    )


class CountingAugmentation:
    def __init__(self):
        self.calls = 0

    def __call__(self, text):
        self.calls += 1
        return text.upper()


def test_callable_and_precomputed_second_views(reviews, tiny):
    texts, labels = list(reviews["text"][:64]), reviews["label"][:64]
    augmentation = CountingAugmentation()
    clf = SharpReCLClassifier(augmentation=augmentation, **tiny)
    clf.fit(texts, labels)
    # Cloning copies the parameter; the fit's copy is the one called: once a text.
    assert clf.augmentation.calls == len(texts)
    # Precomputed views give the same model as the callable that made them.
    precomputed = SharpReCLClassifier(augmentation=None, **tiny).fit(
        texts, labels, X_aug=[t.upper() for t in texts]
    )
    np.testing.assert_allclose(
        precomputed.predict_proba(texts), clf.predict_proba(texts), atol=1e-6
    )
    with pytest.raises(ValueError, match="one text per sample"):
        SharpReCLClassifier(**tiny).fit(texts, labels, X_aug=texts[:10])


def test_substitution_view_is_word_substitution_seeded_by_the_fit(reviews, tiny):
    texts, labels = list(reviews["text"][:48]), reviews["label"][:48]
    clf = SharpReCLClassifier(augmentation="substitution", **tiny).fit(texts, labels)
    augment = WordSubstitution("tiny-bert", random_state=clf._seed)
    views = [augment(text) for text in texts]
    assert sum(v != t for v, t in zip(views, texts)) > len(texts) // 2
    precomputed = SharpReCLClassifier(augmentation=None, **tiny).fit(
        texts, labels, X_aug=views
    )
    np.testing.assert_allclose(
        precomputed.predict_proba(texts), clf.predict_proba(texts), atol=1e-6
    )


def test_dropout_view_on_text_and_frozen_embeddings(reviews, tmp_path, tiny):
    texts, labels = reviews["text"][:64], reviews["label"][:64]
    clf = SharpReCLClassifier(augmentation="dropout", **tiny).fit(texts, labels)
    assert clf.net_.module_.repeat_view
    frozen = SharpReCLClassifier(
        trainable_layers=0, cache_dir=tmp_path, **{**tiny, "max_epochs": 2}
    ).fit(texts, labels)
    # The augmented texts were embedded (and cached) next to the originals.
    assert frozen.predict(texts[:4]).shape == (4,)
    import sqlite3

    with sqlite3.connect(tmp_path / "embeddings.sqlite") as connection:
        (n_cached,) = connection.execute("SELECT COUNT(*) FROM embeddings").fetchone()
    assert n_cached > len(set(texts))


def test_numeric_second_view(long_tailed_blobs, numeric):
    X, y = long_tailed_blobs
    clf = SharpReCLClassifier(**{**numeric, "max_epochs": 2}).fit(X, y, X_aug=X + 0.1)
    assert clf.score(X, y) > 0.5
    with pytest.raises(ValueError, match="shape of X"):
        SharpReCLClassifier(**numeric).fit(X, y, X_aug=X[:5])
    with pytest.raises(ValueError, match="numeric input"):
        SharpReCLClassifier(augmentation=str.upper, **numeric).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"simple_sampling": False},
        {"hard_mixup": False},
        {"simple_sampling": False, "hard_mixup": False},
        {"use_cl": False},
        {"use_cls": False},
        {"contrastive": "scl", "loss": "ce"},
        {"loss": "focal", "use_cl": False, "augmentation": None},
        {"loss": "dice", "use_cl": False, "augmentation": None},
        {"loss": "ldam"},
        {"positive_reduction": "mean", "augmentation": "dropout"},
    ],
)
def test_ablations_and_baselines_train(long_tailed_blobs, params, numeric):
    X, y = long_tailed_blobs
    clf = SharpReCLClassifier(**{**numeric, **params}).fit(X, y)
    assert clf.score(X, y) > 0.8, params
    criterion, module = clf.net_.criterion_, clf.net_.module_
    assert criterion.simple_sampling == params.get("simple_sampling", True)
    assert criterion.hard_mixup == params.get("hard_mixup", True)
    assert (module.feature_projection is None) == (not params.get("use_cl", True))
    assert (module.probe is None) == params.get("use_cls", True)


def test_loss_params_reach_the_classification_loss(long_tailed_blobs, numeric):
    X, y = long_tailed_blobs
    clf = SharpReCLClassifier(
        loss="focal", loss_params={"gamma": 0.5}, **{**numeric, "max_epochs": 1}
    ).fit(X, y)
    assert isinstance(clf.net_.criterion_.classification_loss, FocalLoss)
    assert clf.net_.criterion_.classification_loss.gamma == 0.5


def test_early_stopping_monitors_the_classification_loss(long_tailed_blobs, numeric):
    X, y = long_tailed_blobs
    clf = SharpReCLClassifier(
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=2,
        **{**numeric, "max_epochs": 60},
    ).fit(X, y)
    assert clf.n_epochs_ < 60
    # The validation loss is the classification loss alone (no contrastive term),
    # much smaller than the training loss that includes it.
    assert clf.history_[-1, "valid_loss"] < clf.history_[-1, "train_loss"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"mu": -1.0}, "mu"),
        ({"temperature": 0.0}, "temperature"),
        ({"k": 0}, "'k'"),
        ({"n_positives": 0}, "n_positives"),
        ({"n_negatives": 0}, "n_negatives"),
        ({"mixup_alpha": 0.0}, "mixup_alpha"),
        ({"contrastive": "simclr"}, "contrastive"),
        ({"augmentation": "back_translation"}, "augmentation"),
        ({"use_cl": False, "use_cls": False}, "nothing to train"),
    ],
)
def test_bad_parameters_are_named(long_tailed_blobs, params, message, numeric):
    X, y = long_tailed_blobs
    with pytest.raises(ValueError, match=message):
        SharpReCLClassifier(**{**numeric, **params}).fit(X, y)


def test_grid_search_over_mu_and_temperature_in_a_pipeline(long_tailed_blobs, numeric):
    X, y = long_tailed_blobs
    pipe = Pipeline(
        [
            ("ros", RandomOverSampler(random_state=0)),
            ("clf", SharpReCLClassifier(**{**numeric, "max_epochs": 2})),
        ]
    )
    grid = {"clf__mu": [0.3, 1.0], "clf__temperature": [0.3, 1.0]}
    search = GridSearchCV(pipe, grid, cv=2, scoring="balanced_accuracy").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.predict(X[:3]).shape == (3,)


def test_defaults_reach_the_logit_adjusted_baseline_on_many_long_tailed_classes():
    # Twelve Gaussian classes made long-tailed at ir=20, a balanced test set. The
    # printed Eq. 11 scale (positive_reduction="sum") lets L_CL swamp L_CLS here
    # (measured macro-F1 0.82 at 10 epochs, 0.67 at 5) where the defaults and the
    # logit-adjusted baseline both reach 0.98.
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(12, 24))
    y = np.repeat(np.arange(12), 120)
    X = (centers[y] + rng.normal(size=(len(y), 24))).astype(np.float32)
    y_test = np.repeat(np.arange(12), 60)
    X_test = (centers[y_test] + rng.normal(size=(len(y_test), 24))).astype(np.float32)
    X_fit, y_fit = make_imbalance(X, y, imbalance_ratio=20, random_state=0)
    scores = {}
    for name, clf in {
        "SharpReCL": SharpReCLClassifier(),
        "logit-adjusted CE": TextClassifier(loss="logit_adjusted"),
    }.items():
        clf.set_params(random_state=0, device="cpu").fit(X_fit, y_fit)
        scores[name] = f1_score(y_test, clf.predict(X_test), average="macro")
    assert scores["SharpReCL"] >= scores["logit-adjusted CE"] - 0.02, scores


def _projection_separation(clf, X, y):
    """Mean cosine of same-class projections minus that of other-class pairs."""
    module = clf.net_.module_.eval()
    with torch.no_grad():
        features = module.body(features=torch.from_numpy(X))
        z = torch.nn.functional.normalize(module.feature_projection(features), dim=-1)
    gram = (z @ z.T).numpy()
    same = y[:, None] == y[None, :]
    others = ~np.eye(len(y), dtype=bool)
    return gram[same & others].mean() - gram[~same].mean()


def test_contrastive_branch_separates_the_classes_in_projection_space():
    # SharpReCL's defining behaviour: with mu > 0 its projections gather each
    # class and part the classes (measured 1.18); with mu=0 the same projection
    # head is untrained and only inherits the body's separation (0.18).
    rng = np.random.default_rng(0)
    centers = 0.8 * rng.normal(size=(6, 16))
    y = np.repeat(np.arange(6), 80)
    X = (centers[y] + rng.normal(size=(len(y), 16))).astype(np.float32)
    X, y = make_imbalance(X, y, imbalance_ratio=10, random_state=0)
    separation = {
        mu: _projection_separation(
            SharpReCLClassifier(mu=mu, random_state=0, device="cpu").fit(X, y), X, y
        )
        for mu in (1.0, 0.0)
    }
    assert separation[1.0] > 0.8 and separation[1.0] > separation[0.0] + 0.5, separation
