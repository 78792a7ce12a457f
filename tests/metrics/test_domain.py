import warnings

import imblearn.metrics
import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import roc_auc_score

import skimbtext.metrics
from skimbtext.metrics import difficult_sample_ratio, domain_roc_auc_score

# --------------------------------------------------------------------------
# domain_roc_auc_score
# --------------------------------------------------------------------------


def _binary_data(seed=0, n=300):
    rng = np.random.RandomState(seed)
    domains = rng.choice(["books", "dvd", "kitchen"], size=n)
    y = rng.randint(2, size=n)
    shift = np.select([domains == "books", domains == "dvd"], [2.0, 0.5], 1.0)
    score = y * shift + rng.normal(size=n)
    return y, score, domains


def test_binary_matches_per_domain_sklearn():
    y, score, domains = _binary_data()
    expected = {
        d: roc_auc_score(y[domains == d], score[domains == d])
        for d in ["books", "dvd", "kitchen"]
    }
    per_domain = domain_roc_auc_score(y, score, domains, average=None)
    assert per_domain.keys() == expected.keys()
    for d in expected:
        assert per_domain[d] == pytest.approx(expected[d])
    assert all(type(k) is str for k in per_domain)
    macro = domain_roc_auc_score(y, score, domains)
    assert macro == pytest.approx(np.mean(list(expected.values())))
    micro = domain_roc_auc_score(y, score, domains, average="micro")
    assert micro == pytest.approx(roc_auc_score(y, score))


def test_hand_computed_macro_and_micro():
    # Domain a: positives 0.9, 0.1 vs negatives 0.2, 0.8 -> 2 / 4 pairs = 0.5.
    # Domain b: perfectly ranked -> 1.0. Macro = 0.75.
    # Pooled: 11.5 of 16 pairs (one tie at 0.8) -> 0.71875.
    y = [0, 1, 0, 1, 0, 0, 1, 1]
    score = [0.2, 0.9, 0.8, 0.1, 0.6, 0.7, 0.8, 0.9]
    domains = ["a"] * 4 + ["b"] * 4
    assert domain_roc_auc_score(y, score, domains, average=None) == {"a": 0.5, "b": 1.0}
    assert domain_roc_auc_score(y, score, domains) == pytest.approx(0.75)
    assert domain_roc_auc_score(y, score, domains, average="micro") == pytest.approx(
        11.5 / 16
    )


def test_micro_and_macro_differ_with_domain_offsets():
    # Perfect ranking inside every domain, but domain b's scores are all
    # higher than domain a's: macro = 1, pooled (micro) < 1.
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    score = np.array([0.1, 0.2, 0.15, 0.3, 0.7, 0.8, 0.75, 0.9])
    domains = np.array(["a"] * 4 + ["b"] * 4)
    assert domain_roc_auc_score(y, score, domains) == 1.0
    micro = domain_roc_auc_score(y, score, domains, average="micro")
    assert micro == pytest.approx(roc_auc_score(y, score))
    assert micro < 0.8


def test_two_column_probabilities_use_positive_column():
    y, score, domains = _binary_data(1)
    proba = np.c_[1 - score, score]
    for average in ["macro", "micro"]:
        assert domain_roc_auc_score(
            y, proba, domains, average=average
        ) == pytest.approx(domain_roc_auc_score(y, score, domains, average=average))


def test_string_labels_positive_is_larger_label_or_labels_1():
    y, score, domains = _binary_data(2)
    y_str = np.where(y == 1, "pos", "neg")  # "pos" > "neg"
    ref = domain_roc_auc_score(y, score, domains)
    assert domain_roc_auc_score(y_str, score, domains) == pytest.approx(ref)
    # With labels=["pos", "neg"], the scores are for "neg".
    flipped = domain_roc_auc_score(y_str, score, domains, labels=["pos", "neg"])
    assert flipped == pytest.approx(1 - ref)


def _multiclass_data(seed=0, n=400):
    rng = np.random.RandomState(seed)
    domains = rng.choice(["x", "y"], size=n)
    y = rng.choice(["a", "b", "c"], size=n)
    logits = rng.normal(size=(n, 3)) + 1.5 * (y[:, None] == np.array(["a", "b", "c"]))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, domains


def test_multiclass_matches_sklearn_ovr():
    y, proba, domains = _multiclass_data()
    per_domain = domain_roc_auc_score(y, proba, domains, average=None)
    for d in ["x", "y"]:
        m = domains == d
        assert per_domain[d] == pytest.approx(
            roc_auc_score(y[m], proba[m], multi_class="ovr", labels=["a", "b", "c"])
        )
    assert domain_roc_auc_score(y, proba, domains) == pytest.approx(
        np.mean(list(per_domain.values()))
    )
    assert domain_roc_auc_score(y, proba, domains, average="micro") == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr")
    )


def test_multiclass_domain_missing_a_class():
    y, proba, domains = _multiclass_data(1)
    y = y.copy()
    y[(domains == "y") & (y == "c")] = "a"  # domain y has no class c
    per_domain = domain_roc_auc_score(y, proba, domains, average=None)
    m = domains == "y"
    expected = np.mean(
        [roc_auc_score(y[m] == cls, proba[m, k]) for k, cls in enumerate("ab")]
    )
    assert per_domain["y"] == pytest.approx(expected)
    assert not np.isnan(domain_roc_auc_score(y, proba, domains))


def test_single_class_domain_is_skipped_with_warning():
    y = np.array([0, 1, 0, 1, 1, 1, 0, 1])
    score = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.6, 0.4, 0.7])
    domains = np.array(["a"] * 4 + ["only_pos"] * 2 + ["c"] * 2)
    with pytest.warns(UndefinedMetricWarning, match=r"\['only_pos'\].*skipped"):
        macro = domain_roc_auc_score(y, score, domains)
    assert macro == pytest.approx(np.mean([1.0, 1.0]))
    with pytest.warns(UndefinedMetricWarning, match="only_pos"):
        per_domain = domain_roc_auc_score(y, score, domains, average=None)
    assert np.isnan(per_domain["only_pos"]) and per_domain["a"] == 1.0
    with warnings.catch_warnings():  # micro pools everything: no warning
        warnings.simplefilter("error")
        domain_roc_auc_score(y, score, domains, average="micro")


def test_all_domains_single_class_raises():
    y = [0, 0, 1, 1]
    with pytest.raises(ValueError, match="undefined for every domain"):
        with pytest.warns(UndefinedMetricWarning):
            domain_roc_auc_score(y, [0.1, 0.2, 0.3, 0.4], ["a", "a", "b", "b"])


def test_input_validation():
    with pytest.raises(
        ValueError, match=r"len\(y_true\)=4, len\(y_score\)=3, len\(domains\)=4"
    ):
        domain_roc_auc_score([0, 1, 0, 1], [0.1, 0.2, 0.3], ["a"] * 4)
    with pytest.raises(ValueError, match="average must be"):
        domain_roc_auc_score([0, 1], [0.1, 0.2], ["a", "a"], average="weighted")
    with pytest.raises(ValueError, match="1-D but there are 3 classes"):
        domain_roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3], ["a"] * 3)
    with pytest.raises(ValueError, match="3 columns but there are 2 classes"):
        domain_roc_auc_score([0, 1], np.full((2, 3), 1 / 3), ["a", "a"])
    with pytest.raises(ValueError, match="not in labels"):
        domain_roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3], ["a"] * 3, labels=[0, 1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        domain_roc_auc_score([1, 1], [0.1, 0.2], ["a", "a"])


# --------------------------------------------------------------------------
# difficult_sample_ratio
# --------------------------------------------------------------------------

# Majority (0): two clusters. Minority (1): a pair far from everything, one
# point inside the first majority cluster, one point nearest to the second.
_X_MAJORITY = [[10, 10], [10, 11], [11, 10], [11, 11], [20, 20], [20, 21]]
_X_MINORITY = [[0, 0], [0, 1], [10.5, 10.5], [30, 30]]
_X = np.array(_X_MAJORITY + _X_MINORITY, dtype=float)
_y = np.array([0] * 6 + [1] * 4)


def test_difficult_sample_ratio_hand_built():
    # k=1: (0, 0) <-> (0, 1) are each other's neighbour (easy); (10.5, 10.5)
    # and (30, 30) have a class-0 nearest neighbour -> 2 / 4.
    assert difficult_sample_ratio(_X, _y, minority_class=1, n_neighbors=1) == 0.5
    # k=2: the pair's second neighbour is (10, 10) (class 0) -> all difficult.
    assert difficult_sample_ratio(_X, _y, minority_class=1, n_neighbors=2) == 1.0


def test_difficult_sample_ratio_default_minority_is_least_frequent():
    assert difficult_sample_ratio(_X, _y, n_neighbors=1) == 0.5
    y_str = np.where(_y == 1, "rare", "common")
    assert difficult_sample_ratio(_X, y_str, n_neighbors=1) == 0.5
    # Examining the majority class instead: only (10, 10), (10, 11), (11, 10)
    # and (11, 11) could see (10.5, 10.5); with k=1 all four of them do
    # (distance 0.71 < 1), and (20, 21) sees (20, 20): 4 / 6.
    assert difficult_sample_ratio(_X, _y, minority_class=0, n_neighbors=1) == (
        pytest.approx(4 / 6)
    )


def test_difficult_sample_ratio_excludes_self_even_with_duplicates():
    X = np.array([[0, 0], [0, 0], [5, 5], [5, 6], [6, 5]])
    y = np.array([1, 1, 0, 0, 0])
    assert difficult_sample_ratio(X, y, n_neighbors=1) == 0.0
    assert difficult_sample_ratio(X, y, n_neighbors=2) == 1.0


def test_difficult_sample_ratio_metric_is_used():
    # Minority points A = (0, 0) and B = (4, 0) are 4 apart; the other-class
    # point (2, 2.5) is 3.2 away from both in Euclidean distance (difficult)
    # but 4.5 away in Manhattan distance (easy).
    X = np.array([[0, 0], [4, 0], [2, 2.5], [9, 9], [9, 8]])
    y = np.array([1, 1, 0, 0, 0])
    kw = {"minority_class": 1, "n_neighbors": 1}
    assert difficult_sample_ratio(X, y, **kw) == 1.0
    assert difficult_sample_ratio(X, y, metric="manhattan", **kw) == 0.0


def test_difficult_sample_ratio_validation():
    with pytest.raises(ValueError, match="minority_class=7 is not a label"):
        difficult_sample_ratio(_X, _y, minority_class=7)
    with pytest.raises(
        ValueError, match=r"n_neighbors must be an integer in .*\[1, 9\], got 10"
    ):
        difficult_sample_ratio(_X, _y, n_neighbors=10)
    with pytest.raises(ValueError, match="n_neighbors"):
        difficult_sample_ratio(_X, _y, n_neighbors=0)
    with pytest.raises(ValueError):
        difficult_sample_ratio(_X, _y[:-1])


# --------------------------------------------------------------------------
# Re-exports
# --------------------------------------------------------------------------


def test_imblearn_reexports_are_the_same_objects():
    names = [
        "classification_report_imbalanced",
        "geometric_mean_score",
        "sensitivity_specificity_support",
        "sensitivity_score",
        "specificity_score",
        "macro_averaged_mean_absolute_error",
    ]
    for name in names:
        assert getattr(skimbtext.metrics, name) is getattr(imblearn.metrics, name)
    assert set(skimbtext.metrics.__all__) == {
        *names,
        "domain_roc_auc_score",
        "difficult_sample_ratio",
        "difficult_sample_mask",
    }
