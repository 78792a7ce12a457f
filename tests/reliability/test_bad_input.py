"""Bad-input matrix: every estimator and the sampler against malformed input.

Each case ends in a correct result (the output has one row per input row, or for
the sampler keeps every input row in place) or in a clear ``ValueError`` or
``TypeError`` whose message names the problem. No case may end in a raw
torch/IndexError/KeyError traceback or drop rows. Test ids read
``<estimator>-<case>``; cases that make no sense for an estimator (labels for a
transformer, predict-time cases for the sampler) are not generated.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skimbtext import TextEmbedder
from skimbtext.classifiers import (
    DCMIClassifier,
    SharpReCLClassifier,
    TextClassifier,
)
from skimbtext.over_sampling._miso import MISOSampler

FIT = {
    "encoder": "tiny-bert",
    "max_length": 16,
    "max_epochs": 1,
    "batch_size": 8,
    "lr": 1e-3,
    "hidden_layer_sizes": (8,),
    "device": "cpu",
    "random_state": 0,
}
PARAMS = {
    "TextClassifier": FIT,
    "DCMIClassifier": FIT,
    "SharpReCLClassifier": {**FIT, "n_negatives": 10, "k": 3, "n_positives": 3},
    "TextEmbedder": {
        "encoder": "tiny-bert",
        "max_length": 16,
        "device": "cpu",
        "random_state": 0,
    },
    "MISOSampler": {
        "encoder": "tiny-bert",
        "max_length": 12,
        "k_neighbors": 2,
        "latent_dim": 8,
        "n_heads": 2,
        "hidden_size": 16,
        "batch_size": 32,
        "pretrain_epochs": 1,
        "mine_pretrain_epochs": 1,
        "adversarial_epochs": 1,
        "max_pairs": 16,
        "lr": 1e-2,
        "device": "cpu",
        "random_state": 0,
    },
}
CLASSES = {
    "TextClassifier": TextClassifier,
    "DCMIClassifier": DCMIClassifier,
    "SharpReCLClassifier": SharpReCLClassifier,
    "TextEmbedder": TextEmbedder,
    "MISOSampler": MISOSampler,
}
CLASSIFIERS = ("TextClassifier", "DCMIClassifier", "SharpReCLClassifier")
ESTIMATORS = tuple(CLASSES)

TEXTS = [
    "a good film",
    "a bad film",
    "great acting",
    "awful plot",
    "nice score",
    "poor pacing",
    "fine work",
    "dull story",
    "lovely cast",
    "boring end",
    "superb lead",
    "weak script",
]
N = len(TEXTS)
LABELS = np.array(["pos", "neg"] * 2 + ["neg"] * 8)  # 4 vs 8: MISO has work to do
NUMBERS = np.random.RandomState(0).normal(size=(N, 3))
LONG_TEXT = "word " * 10_000  # ~10k tokens, far beyond max_length


def make(name, **params):
    return CLASSES[name](**{**PARAMS[name], **params})


def _replace_first(items, first):
    return [first, *items[1:]]


# ------------------------------------------------------------------ expectations


class Raises(NamedTuple):
    error: type
    match: str


OK = "ok"


class Case(NamedTuple):
    id: str
    X: object
    y: object
    expected: object
    # Per-estimator expectation; None makes the case not apply.
    overrides: dict = {}
    params: dict = {}
    fit_kwargs: dict = {}


NO_LABELS = {"TextEmbedder": None}  # a transformer ignores y


def _text_only_message(message):
    """TextEmbedder takes texts only: numeric input gets check_texts' message."""
    return {"TextEmbedder": Raises(ValueError, message)}


FIT_CASES = [
    # ---- texts that are valid but unusual: correct results
    Case("empty_string_text", _replace_first(TEXTS, ""), LABELS, OK),
    Case("whitespace_only_text", _replace_first(TEXTS, "   \t\n"), LABELS, OK),
    Case("all_texts_empty", [""] * N, LABELS, OK),
    Case("non_ascii_text", _replace_first(TEXTS, "😀 café 中文 ünï"), LABELS, OK),
    Case("text_of_10k_tokens", _replace_first(TEXTS, LONG_TEXT), LABELS, OK),
    Case(
        "texts_as_one_column_2d",
        np.asarray(TEXTS, dtype=object).reshape(-1, 1),
        LABELS,
        OK,
    ),
    Case("texts_as_series", pd.Series(TEXTS, index=range(100, 100 + N)), LABELS, OK),
    # ---- texts that are not texts: clear errors
    Case(
        "none_text",
        _replace_first(TEXTS, None),
        LABELS,
        Raises(ValueError, r"missing text \(None\) at position 0"),
    ),
    Case(
        "nan_text",
        _replace_first(TEXTS, np.nan),
        LABELS,
        Raises(ValueError, r"missing text \(nan\) at position 0"),
    ),
    Case(
        "pandas_na_text",
        pd.Series(_replace_first(TEXTS, pd.NA), dtype="string"),
        LABELS,
        Raises(ValueError, r"missing text \(<NA>\) at position 0"),
    ),
    Case(
        "int_among_texts",
        _replace_first(TEXTS, 3),
        LABELS,
        Raises(ValueError, "the item at position 0 is int"),
    ),
    Case(
        "mixed_str_and_float",
        [TEXTS[0], 1.5, *TEXTS[2:]],
        LABELS,
        Raises(ValueError, "the item at position 1 is float"),
    ),
    Case(
        "texts_mixed_with_feature_rows",
        _replace_first(TEXTS, [0.1, 0.2]),
        LABELS,
        Raises(ValueError, "mixes rows of features with single items"),
        overrides={
            "TextEmbedder": Raises(ValueError, "the item at position 0 is list")
        },
    ),
    Case(
        "tokenised_texts",
        [text.split() for text in TEXTS],
        LABELS,
        Raises(ValueError, r"looks like tokenised texts: the item at position 0"),
    ),
    Case(
        "tokenised_texts_in_a_series",
        pd.Series([text.split() for text in TEXTS]),
        LABELS,
        Raises(ValueError, r"looks like tokenised texts"),
    ),
    Case(
        "non_utf8_bytes",
        _replace_first(TEXTS, b"\xff\xfe caf\xe9"),
        LABELS,
        Raises(ValueError, "contains bytes at position 0; decode them"),
    ),
    Case(
        "surrogate_escaped_text",
        _replace_first(TEXTS, b"caf\xe9".decode("utf-8", errors="surrogateescape")),
        LABELS,
        Raises(ValueError, "not valid Unicode at position 0"),
    ),
    Case(
        "single_string_as_X",
        "one text",
        LABELS[:1],
        Raises(ValueError, "got a single string"),
    ),
    Case("empty_X", [], [], Raises(ValueError, "holds 0 texts")),
    # ---- 1-D / 2-D confusion
    Case(
        "texts_in_several_columns_2d",
        np.asarray(TEXTS, dtype=object).reshape(6, 2),
        LABELS[:6],
        Raises(ValueError, r"2-D array of strings with shape \(6, 2\)"),
        overrides=_text_only_message(r"1-D collection of texts.*\(6, 2\)"),
    ),
    Case(
        "numbers_as_1d_array",
        NUMBERS[:, 0],
        LABELS,
        Raises(ValueError, "position 0 is float.*pass a 2-D array"),
    ),
    # ---- labels
    Case(
        "xy_length_mismatch",
        TEXTS,
        LABELS[:-1],
        Raises(ValueError, r"inconsistent numbers of samples: \[12, 11\]"),
        overrides=NO_LABELS,
    ),
    Case(
        "y_one_class",
        TEXTS,
        np.full(N, "neg"),
        Raises(ValueError, "one class only"),
        overrides={
            **NO_LABELS,
            "MISOSampler": Raises(ValueError, "needs to have more than 1 class"),
        },
    ),
    Case(
        "y_missing_label",
        TEXTS,
        np.array(["pos", None, *LABELS[2:]], dtype=object),
        Raises(ValueError, r"missing label \(None\) at position 1"),
        overrides=NO_LABELS,
    ),
    Case(
        "y_nan_label",
        TEXTS,
        np.where(LABELS == "pos", 1.0, 0.0) + np.r_[np.nan, np.zeros(N - 1)],
        Raises(ValueError, "Input y contains NaN"),
        overrides=NO_LABELS,
    ),
    Case(
        "y_mixed_label_types",
        TEXTS,
        np.array(["pos", 1, *LABELS[2:]], dtype=object),
        Raises(ValueError, "y mixes label types"),
        overrides=NO_LABELS,
    ),
    Case(
        "y_2d",
        TEXTS,
        np.c_[LABELS, LABELS],
        Raises(ValueError, r"y should be a 1d array"),
        overrides=NO_LABELS,
    ),
    Case(
        "class_with_single_sample",
        TEXTS,
        np.array(["pos"] + ["neg"] * (N - 1)),
        OK,
        overrides={
            **NO_LABELS,
            # MISO writes a class's new texts from at least 2 of its samples.
            "MISOSampler": Raises(ValueError, "Class 'pos' has 1 sample"),
        },
    ),
    Case(
        "three_classes_one_singleton",
        TEXTS,
        np.array(["pos", "mid"] + ["neg", "pos"] * 5),
        OK,
        overrides={
            **NO_LABELS,
            # MISO writes a class's new texts from at least 2 of its samples.
            "MISOSampler": Raises(ValueError, "Class 'mid' has 1 sample"),
        },
    ),
    # ---- numeric input
    Case(
        "numeric_nan",
        np.where(np.eye(N, 3) > 0, np.nan, NUMBERS),
        LABELS,
        Raises(ValueError, "Input X contains NaN"),
        overrides=_text_only_message("1-D collection of texts"),
    ),
    Case(
        "numeric_inf",
        np.where(np.eye(N, 3) > 0, np.inf, NUMBERS),
        LABELS,
        Raises(ValueError, "Input X contains infinity"),
        overrides=_text_only_message("1-D collection of texts"),
    ),
    Case(
        "numeric_sparse",
        sp.csr_matrix(NUMBERS),
        LABELS,
        Raises(TypeError, "Sparse data was passed for X, but dense data is required"),
        # MISO over-samples sparse features (e.g. TF-IDF) into sparse output.
        overrides={**_text_only_message("got a sparse matrix"), "MISOSampler": OK},
    ),
    Case(
        "numeric_no_rows",
        np.empty((0, 3)),
        np.array([], dtype=str),
        Raises(ValueError, r"0 sample\(s\)"),
        overrides=_text_only_message("1-D collection of texts"),
    ),
    Case("numeric_dense", NUMBERS, LABELS, OK, overrides={"TextEmbedder": None}),
    # ---- DataFrame columns
    Case(
        "text_col_missing_from_dataframe",
        pd.DataFrame({"body": TEXTS}),
        LABELS,
        Raises(ValueError, "text_col='text' is not a column of X"),
        params={"text_col": "text"},
    ),
    Case(
        "text_col_set_but_X_not_dataframe",
        TEXTS,
        LABELS,
        Raises(ValueError, "text_col='text' is set, but X is a list"),
        params={"text_col": "text"},
    ),
]


def _only(name, cases):
    return [
        case._replace(overrides={n: None for n in ESTIMATORS if n != name})
        for case in cases
    ]


DOMAINS = np.array(["books", "dvd", "kitchen"] * 4)
FRAME = pd.DataFrame({"text": TEXTS, "domain": DOMAINS})
FIT_CASES += _only(
    "DCMIClassifier",
    [
        Case(
            "domain_col_missing",
            FRAME[["text"]],
            LABELS,
            Raises(ValueError, "domain_col='domain' is not a column of X"),
            params={"domain_col": "domain", "text_col": "text"},
        ),
        Case(
            "domain_col_set_but_X_not_dataframe",
            TEXTS,
            LABELS,
            Raises(ValueError, "domain_col='domain' is set, but X is a list"),
            params={"domain_col": "domain"},
        ),
        Case(
            "domains_with_missing_value",
            TEXTS,
            LABELS,
            Raises(
                ValueError, r"domains contains a missing value \(None\) at position 2"
            ),
            fit_kwargs={"domains": [*DOMAINS[:2], None, *DOMAINS[3:]]},
        ),
        Case(
            "domains_length_mismatch",
            TEXTS,
            LABELS,
            Raises(ValueError, "domains has 11 entries but X has 12 samples"),
            fit_kwargs={"domains": DOMAINS[:-1]},
        ),
        Case(
            "domain_with_single_sample",
            TEXTS,
            LABELS,
            OK,
            fit_kwargs={"domains": ["rare", *DOMAINS[1:]]},
        ),
        Case(
            "domains_from_domain_col",
            FRAME,
            LABELS,
            OK,
            params={"domain_col": "domain", "text_col": "text"},
        ),
    ],
)


def _expectations(cases):
    for case in cases:
        for name in ESTIMATORS:
            expected = case.overrides.get(name, case.expected)
            if expected is None:
                continue
            yield pytest.param(name, case, expected, id=f"{name}-{case.id}")


def _fit_and_apply(estimator, X, y, fit_kwargs):
    """Fit, then return what the estimator gives for the training input."""
    if isinstance(estimator, TextEmbedder):
        return estimator.fit(X).transform(X)
    if isinstance(estimator, MISOSampler):
        return estimator.fit_resample(X, y)
    estimator.fit(X, y, **fit_kwargs)
    domains = fit_kwargs.get("domains")
    if domains is not None:
        return estimator.predict_proba(X, domains=domains)
    return estimator.predict_proba(X)


def _rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _assert_correct(estimator, X, y, output):
    n_samples = _rows(X)
    if isinstance(estimator, MISOSampler):
        X_res, y_res = output
        assert _rows(X_res) == len(y_res) >= n_samples
        assert sp.issparse(X_res) == sp.issparse(X)
        if sp.issparse(X):
            X, X_res = X.toarray(), X_res.toarray()
        # Every input row is kept, in place, with its label.
        kept = np.asarray(X_res, dtype=object)[:n_samples]
        np.testing.assert_array_equal(
            kept.reshape(n_samples, -1),
            np.asarray(X, dtype=object).reshape(n_samples, -1),
        )
        np.testing.assert_array_equal(np.asarray(y_res)[:n_samples], y)
        return
    assert output.shape[0] == n_samples
    assert np.isfinite(output).all()
    if not isinstance(estimator, TextEmbedder):
        assert output.shape[1] == len(np.unique(y))
        np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name, case, expected", list(_expectations(FIT_CASES)))
def test_fit_input(name, case, expected):
    estimator = make(name, **case.params)
    if expected == OK:
        output = _fit_and_apply(estimator, case.X, case.y, case.fit_kwargs)
        _assert_correct(estimator, case.X, case.y, output)
    else:
        with pytest.raises(expected.error, match=expected.match):
            _fit_and_apply(estimator, case.X, case.y, case.fit_kwargs)


# ------------------------------------------------------------------ predict time


@pytest.fixture(scope="module")
def fitted_on_text():
    """Each classifier fitted on texts (DCMI with domains), and the embedder."""
    fitted = {
        name: make(name).fit(TEXTS, LABELS)
        for name in ("TextClassifier", "SharpReCLClassifier")
    }
    fitted["DCMIClassifier"] = make("DCMIClassifier").fit(
        TEXTS, LABELS, domains=DOMAINS
    )
    fitted["TextEmbedder"] = make("TextEmbedder").fit(TEXTS)
    return fitted


@pytest.fixture(scope="module")
def fitted_on_numbers():
    fitted = {
        name: make(name).fit(NUMBERS, LABELS)
        for name in ("TextClassifier", "SharpReCLClassifier")
    }
    fitted["DCMIClassifier"] = make("DCMIClassifier").fit(
        NUMBERS, LABELS, domains=DOMAINS
    )
    return fitted


def _predict_proba(estimator, X):
    if isinstance(estimator, TextEmbedder):
        return estimator.transform(X)
    if isinstance(estimator, DCMIClassifier):
        return estimator.predict_proba(X, domains=["books"] * _rows(X))
    return estimator.predict_proba(X)


class PredictCase(NamedTuple):
    id: str
    fitted_on: str  # "text" or "numbers"
    X: object
    expected: object
    estimators: tuple = CLASSIFIERS


PREDICT_CASES = [
    PredictCase(
        "numbers_after_text_fit",
        "text",
        NUMBERS,
        Raises(ValueError, "fitted on text input but got numeric input"),
    ),
    PredictCase(
        "text_after_numeric_fit",
        "numbers",
        TEXTS,
        Raises(ValueError, "fitted on numeric input but got text input"),
    ),
    PredictCase(
        "1d_numbers_after_numeric_fit",
        "numbers",
        NUMBERS[:, 0],
        Raises(ValueError, "Expected 2D array, got 1D array"),
    ),
    PredictCase(
        "wrong_number_of_features",
        "numbers",
        NUMBERS[:, :2],
        Raises(ValueError, "X has 2 features, but .* is expecting 3 features"),
    ),
    PredictCase(
        "numeric_nan",
        "numbers",
        np.where(np.eye(N, 3) > 0, np.nan, NUMBERS),
        Raises(ValueError, "Input X contains NaN"),
    ),
    PredictCase(
        "numeric_sparse",
        "numbers",
        sp.csr_matrix(NUMBERS),
        Raises(TypeError, "Sparse data was passed for X"),
    ),
    PredictCase(
        "none_text",
        "text",
        ["fine", None],
        Raises(ValueError, r"missing text \(None\) at position 1"),
        CLASSIFIERS + ("TextEmbedder",),
    ),
    PredictCase(
        "empty_X",
        "text",
        [],
        Raises(ValueError, "holds 0 texts"),
        CLASSIFIERS + ("TextEmbedder",),
    ),
    PredictCase(
        "numbers_to_text_model",
        "text",
        NUMBERS,
        Raises(ValueError, "1-D collection of texts"),
        ("TextEmbedder",),
    ),
    PredictCase("empty_string", "text", [""], OK, CLASSIFIERS + ("TextEmbedder",)),
    PredictCase(
        "text_of_10k_tokens",
        "text",
        [LONG_TEXT, "fine"],
        OK,
        CLASSIFIERS + ("TextEmbedder",),
    ),
]


def _predict_params():
    for case in PREDICT_CASES:
        for name in case.estimators:
            yield pytest.param(name, case, id=f"{name}-{case.id}")


@pytest.mark.parametrize("name, case", list(_predict_params()))
def test_predict_input(name, case, fitted_on_text, fitted_on_numbers):
    fitted = (fitted_on_text if case.fitted_on == "text" else fitted_on_numbers)[name]
    if case.expected == OK:
        output = _predict_proba(fitted, case.X)
        assert output.shape[0] == len(case.X)
        assert np.isfinite(output).all()
    else:
        with pytest.raises(case.expected.error, match=case.expected.match):
            _predict_proba(fitted, case.X)


@pytest.mark.parametrize("name", CLASSIFIERS + ("TextEmbedder",))
def test_long_texts_are_truncated_to_max_length(name, fitted_on_text):
    # Both texts exceed max_length=16 tokens: after truncation they are the same.
    fitted = fitted_on_text[name]
    output = _predict_proba(fitted, [LONG_TEXT, "word " * 40])
    np.testing.assert_allclose(output[0], output[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_score_with_a_label_unseen_in_fit(name, fitted_on_text):
    # A label the model never saw is simply a wrong prediction.
    fitted = fitted_on_text[name]
    extra = {"domains": DOMAINS} if name == "DCMIClassifier" else {}
    y_true = fitted.predict(TEXTS, **extra).astype(object)
    y_true[0] = "neutral"
    assert fitted.score(TEXTS, y_true, **extra) == pytest.approx((N - 1) / N)


def test_dcmi_unseen_domain_at_predict(fitted_on_text):
    proba = fitted_on_text["DCMIClassifier"].predict_proba(
        TEXTS[:3], domains=["garden", "books", "toys"]
    )
    assert proba.shape == (3, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_dcmi_domain_column_missing_at_predict():
    clf = make("DCMIClassifier", domain_col="domain", text_col="text")
    clf.fit(FRAME, LABELS)
    with pytest.raises(ValueError, match="domain_col='domain' is not a column"):
        clf.predict(FRAME[["text"]])


def test_dcmi_domains_missing_at_predict(fitted_on_text):
    with pytest.raises(ValueError, match=r"fitted with domains; .*\(domains=\.\.\.\)"):
        fitted_on_text["DCMIClassifier"].predict(TEXTS[:2])


# ------------------------------------------------------------------ parameters

PARAMETER_CASES = {
    "TextClassifier": [
        ({"lr": -1.0}, "'lr' parameter"),
        ({"max_length": 1}, "'max_length' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"loss": "hinge"}, "'loss' parameter"),
        ({"callbacks": "checkpoint"}, "'callbacks' parameter"),
        ({"accelerator": "cuda"}, "'accelerator' parameter"),
    ],
    "DCMIClassifier": [
        ({"lambda_dom": -1.0}, "'lambda_dom' parameter"),
        ({"lambda_con": -0.5}, "'lambda_con' parameter"),
        ({"contrastive_temperature": 0.0}, "'contrastive_temperature' parameter"),
        ({"contrastive_temperature": -1.0}, "'contrastive_temperature' parameter"),
        ({"tau_min": 0.0}, "'tau_min' parameter"),
    ],
    "SharpReCLClassifier": [
        ({"temperature": 0.0}, "'temperature' parameter"),
        ({"temperature": -0.3}, "'temperature' parameter"),
        ({"mu": -1.0}, "'mu' parameter"),
        ({"mixup_alpha": 0.0}, "'mixup_alpha' parameter"),
        ({"k": 0}, "'k' parameter"),
    ],
    "TextEmbedder": [
        ({"max_length": 1}, "'max_length' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"pooling": "max"}, "'pooling' parameter"),
    ],
    "MISOSampler": [
        ({"k_neighbors": 0}, "'k_neighbors' parameter"),
        ({"lr": 0.0}, "'lr' parameter"),
        ({"gumbel_temperature": 0.0}, "'gumbel_temperature' parameter"),
        ({"gumbel_temperature": -1.0}, "'gumbel_temperature' parameter"),
        ({"mine_ema_rate": 0.0}, "'mine_ema_rate' parameter"),
        ({"word_dropout": 1.0}, "'word_dropout' parameter"),
        ({"max_length": 2}, "'max_length' parameter"),
        ({"latent_dim": 8, "n_heads": 3}, "latent_dim=8 must be a multiple of n_heads"),
    ],
}


def _parameter_params():
    for name, cases in PARAMETER_CASES.items():
        for params, match in cases:
            label = "-".join(f"{key}={value}" for key, value in params.items())
            yield pytest.param(name, params, match, id=f"{name}-{label}")


@pytest.mark.parametrize("name, params, match", list(_parameter_params()))
def test_out_of_range_parameter(name, params, match):
    estimator = make(name, **params)
    with pytest.raises(ValueError, match=match):
        _fit_and_apply(estimator, TEXTS, LABELS, {})


@pytest.mark.parametrize("name", ESTIMATORS)
def test_unknown_parameter(name):
    with pytest.raises(TypeError, match="unexpected keyword argument 'nonsense'"):
        CLASSES[name](nonsense=1)
    with pytest.raises(ValueError, match="Invalid parameter 'nonsense'"):
        make(name).set_params(nonsense=1)
