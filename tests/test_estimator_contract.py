"""The estimator contract, once for every public estimator and input kind.

Each case is a public estimator on numeric features or on texts (the tiny random
BERT), fitted once per case: a pickled fitted estimator gives bitwise the same
outputs; ``clone`` gives an unfitted estimator with equal parameters;
``set_params`` then ``get_params`` round trips; two fits with the same integer
``random_state`` give bitwise the same outputs and another seed other outputs.
The outputs are ``predict_proba`` (classifiers), ``transform`` (the embedder) and
``fit_resample`` (the sampler). scikit-learn's own checks (tests/test_common.py)
feed numeric toy data only and compare pickles up to a tolerance.
"""

import pickle
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skimbtext


@dataclass(frozen=True)
class Case:
    estimator: str
    kind: str  # "numeric" or "text"

    def __str__(self):
        return f"{self.estimator}-{self.kind}"


CASES = [
    Case("TextClassifier", "numeric"),
    Case("TextClassifier", "text"),
    Case("SharpReCLClassifier", "numeric"),
    Case("SharpReCLClassifier", "text"),
    Case("DCMIClassifier", "numeric"),
    Case("DCMIClassifier", "text"),
    Case("MISOSampler", "numeric"),
    Case("MISOSampler", "text"),
    Case("TextEmbedder", "text"),
]

#: Parameters of each estimator that the set_params round trip changes.
CHANGES = {
    "TextClassifier": {"lr": 3e-3, "hidden_layer_sizes": (8, 4), "random_state": 7},
    "SharpReCLClassifier": {"mu": 0.25, "n_negatives": 12, "random_state": 7},
    "DCMIClassifier": {"lambda_dom": 0.5, "domain_col": "site", "random_state": 7},
    "MISOSampler": {"k_neighbors": 3, "sampling_strategy": 0.5, "random_state": 7},
    "TextEmbedder": {"pooling": "cls", "max_length": 32, "random_state": 7},
}

N_TEXTS = 48  # 36 positive and 12 negative reviews in 6 domains


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture(scope="module")
def settings(case, tiny_numeric, tiny_text, tiny_miso):
    """Constructor parameters of the case's estimator: fast, seeded, on the CPU."""
    if case.estimator == "MISOSampler":
        if case.kind == "text":
            return {**tiny_miso, "encoder": "tiny-bert", "max_length": 12}
        return dict(tiny_miso)
    if case.estimator == "TextEmbedder":
        return {"encoder": "tiny-bert", "device": "cpu", "random_state": 0}
    params = dict(tiny_numeric if case.kind == "numeric" else tiny_text)
    if case.estimator == "SharpReCLClassifier":
        params["n_negatives"] = 40
    if case.estimator == "DCMIClassifier" and case.kind == "text":
        params.update(domain_col="domain", text_col="text")
    return params


@dataclass
class Data:
    X: object
    y: object
    kwargs: dict  # for fit and prediction (DCMI's domains)


@pytest.fixture(scope="module")
def data(case, blobs, reviews):
    if case.kind == "numeric":
        X, y = blobs
        if case.estimator == "MISOSampler":
            # 50 "a" against 10 "b": MISO writes 40 anchors.
            keep = np.r_[np.flatnonzero(y == "a"), np.flatnonzero(y == "b")[:10]]
            return Data(X[keep], y[keep], {})
        if case.estimator == "DCMIClassifier":
            return Data(X, y, {"domains": np.array(["d0", "d1", "d2"] * 50)})
        return Data(X, y, {})
    subset = reviews.iloc[:N_TEXTS]
    labels = subset["label"].to_numpy()
    if case.estimator == "DCMIClassifier":  # texts and domains through columns
        return Data(subset, labels, {})
    return Data(subset["text"].tolist(), labels, {})


def _fit(estimator, data):
    """Fit and return the estimator's output on the training data."""
    if hasattr(estimator, "fit_resample"):
        X_res, y_res = estimator.fit_resample(data.X, data.y)
        return np.asarray(X_res), np.asarray(y_res)
    estimator.fit(data.X, data.y, **data.kwargs)
    return _output(estimator, data)


def _output(fitted, data):
    """The output of a fitted estimator (a sampler resamples again)."""
    if hasattr(fitted, "fit_resample"):
        return _fit(fitted, data)
    if hasattr(fitted, "predict_proba"):
        return (fitted.predict_proba(data.X, **data.kwargs),)
    return (fitted.transform(data.X),)


def _assert_identical(output, expected):
    assert len(output) == len(expected)
    for got, want in zip(output, expected):
        np.testing.assert_array_equal(got, want)


def _differs(output, expected):
    for got, want in zip(output, expected):
        if got.shape != want.shape:
            return True
        if got.dtype.kind == "f":
            if not np.allclose(got, want):
                return True
        elif not np.array_equal(got, want):
            return True
    return False


@dataclass
class Fitted:
    estimator: object
    output: tuple


@pytest.fixture(scope="module")
def fitted(case, settings, data):
    estimator = getattr(skimbtext, case.estimator)(**settings)
    return Fitted(estimator, _fit(estimator, data))


def test_pickle_round_trip_gives_identical_outputs(fitted, data):
    estimator = fitted.estimator
    restored = pickle.loads(pickle.dumps(estimator))
    assert type(restored) is type(estimator)
    assert restored.get_params() == estimator.get_params()
    if hasattr(estimator, "fit_resample"):
        # A sampler's output comes from a new fit: compare what the fit left.
        assert restored.n_generated_ == estimator.n_generated_
        np.testing.assert_array_equal(
            restored.anchor_sources_, estimator.anchor_sources_
        )
        if estimator.input_kind_ == "text":
            np.testing.assert_array_equal(restored.vocabulary_, estimator.vocabulary_)
    _assert_identical(_output(restored, data), fitted.output)


def test_clone_is_unfitted_with_equal_params(fitted):
    estimator = fitted.estimator
    check_is_fitted(estimator)
    fresh = clone(estimator)
    assert type(fresh) is type(estimator) and fresh is not estimator
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    learned = [name for name in vars(fresh) if name.endswith("_")]
    assert not learned, learned
    assert fresh.get_params() == estimator.get_params()


def test_set_params_then_get_params_round_trip(case, settings):
    Estimator = getattr(skimbtext, case.estimator)
    estimator = Estimator(**settings)
    before = estimator.get_params()
    changes = CHANGES[case.estimator]
    unchanged = {
        name: before[name] for name in changes if before[name] == changes[name]
    }
    assert not unchanged, unchanged
    assert estimator.set_params(**changes) is estimator
    assert estimator.get_params() == {**before, **changes}
    # The changed parameters build the same estimator anew, and setting the old
    # values back restores the old parameters.
    assert Estimator(**estimator.get_params()).get_params() == {**before, **changes}
    estimator.set_params(**{name: before[name] for name in changes})
    assert estimator.get_params() == before


def test_same_random_state_gives_identical_outputs(case, settings, data, fitted):
    assert isinstance(settings["random_state"], int)
    again = getattr(skimbtext, case.estimator)(**settings)
    _assert_identical(_fit(again, data), fitted.output)


def test_other_random_state_gives_other_outputs(data, fitted):
    other = clone(fitted.estimator).set_params(random_state=1)
    assert _differs(_fit(other, data), fitted.output)
