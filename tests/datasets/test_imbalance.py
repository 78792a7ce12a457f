from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skimbtext.datasets import make_domain_imbalance, make_imbalance


def _labels(counts):
    """Interleaved labels with the given per-label counts."""
    y = [label for label, n in counts.items() for _ in range(n)]
    return np.random.RandomState(0).permutation(np.array(y, dtype=object))


def test_make_imbalance_exact_counts_equal_classes():
    # 4 classes of 40, ratio 8: weights 1, 1/2, 1/4, 1/8 -> 40, 20, 10, 5.
    y = _labels({"a": 40, "b": 40, "c": 40, "d": 40})
    X = [f"t{i}" for i in range(len(y))]
    _, y_res = make_imbalance(X, y, imbalance_ratio=8, random_state=0)
    assert Counter(y_res.tolist()) == {"a": 40, "b": 20, "c": 10, "d": 5}


def test_make_imbalance_n_max_limited_by_tail_class():
    # Order by count: a(100), b(60), c(30), d(4); ratio 8.
    # d needs round(n_max / 8) <= 4  ->  n_max <= 35 (36 / 8 = 4.5 rounds to 5).
    # n_max = 35: a 35, b round(17.5) = 18, c round(8.75) = 9, d round(4.375) = 4.
    y = _labels({"a": 100, "b": 60, "c": 30, "d": 4})
    X = np.arange(len(y))
    _, y_res = make_imbalance(X, y, imbalance_ratio=8, random_state=0)
    assert Counter(y_res.tolist()) == {"a": 35, "b": 18, "c": 9, "d": 4}


def test_make_imbalance_orders_classes_by_count_not_label():
    # "z" is the most frequent class, so it is the head even though "a" < "z".
    y = _labels({"a": 30, "z": 100})
    _, y_res = make_imbalance(list(range(130)), y, imbalance_ratio=5, random_state=0)
    assert Counter(y_res.tolist()) == {"z": 100, "a": 20}


def test_make_imbalance_ties_broken_by_label_order():
    y = _labels({"y": 10, "x": 10})
    _, y_res = make_imbalance(list(range(20)), y, imbalance_ratio=2, random_state=0)
    assert Counter(y_res.tolist()) == {"x": 10, "y": 5}


def test_make_imbalance_ratio_one_balances_to_smallest_class():
    y = _labels({0: 50, 1: 30, 2: 12})
    _, y_res = make_imbalance(np.zeros((92, 3)), y, imbalance_ratio=1, random_state=0)
    assert Counter(y_res.tolist()) == {0: 12, 1: 12, 2: 12}


def test_make_imbalance_selects_without_replacement_and_matches_indices():
    y = _labels({"a": 60, "b": 60, "c": 60})
    X = [f"text {i}" for i in range(180)]
    X_res, y_res, idx = make_imbalance(
        X, y, imbalance_ratio=4, random_state=0, return_indices=True
    )
    assert np.all(np.diff(idx) > 0)  # sorted, no duplicates
    assert X_res == [X[i] for i in idx]
    np.testing.assert_array_equal(y_res, y[idx])


@pytest.mark.parametrize("kind", ["list", "tuple", "ndarray", "2d", "sparse"])
def test_make_imbalance_keeps_type(kind):
    y = _labels({"a": 30, "b": 30})
    base = np.arange(60)
    X = {
        "list": base.tolist(),
        "tuple": tuple(base.tolist()),
        "ndarray": base,
        "2d": np.c_[base, base],
        "sparse": sp.csr_matrix(np.c_[base, base]),
    }[kind]
    X_res, _, idx = make_imbalance(
        X, y, imbalance_ratio=3, random_state=0, return_indices=True
    )
    assert type(X_res) is type(X)
    if kind == "sparse":
        np.testing.assert_array_equal(X_res.toarray()[:, 0], idx)
    else:
        np.testing.assert_array_equal(
            np.asarray(X_res).reshape(len(idx), -1)[:, 0], idx
        )


def test_make_imbalance_pandas_keeps_index_labels_in_order():
    y = pd.Series(_labels({"a": 30, "b": 30}), index=np.arange(100, 160))
    s = pd.Series([f"doc {i}" for i in range(60)], index=np.arange(100, 160))
    df = s.to_frame("text").assign(n=np.arange(60))
    s_res, y_res, idx = make_imbalance(
        s, y, imbalance_ratio=3, random_state=0, return_indices=True
    )
    df_res, _ = make_imbalance(df, y, imbalance_ratio=3, random_state=0)
    assert isinstance(s_res, pd.Series) and isinstance(df_res, pd.DataFrame)
    assert isinstance(y_res, np.ndarray)
    np.testing.assert_array_equal(s_res.index, 100 + idx)
    assert s_res.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(df_res, df.iloc[idx])


def test_make_imbalance_reproducible():
    y = _labels({"a": 50, "b": 50, "c": 50})
    X = list(range(150))
    a = make_imbalance(X, y, imbalance_ratio=5, random_state=3)[0]
    b = make_imbalance(X, y, imbalance_ratio=5, random_state=3)[0]
    c = make_imbalance(X, y, imbalance_ratio=5, random_state=4)[0]
    assert a == b
    assert a != c


def test_make_imbalance_warns_when_tail_is_clamped_to_one():
    y = _labels({"a": 10, "b": 10})
    with pytest.warns(UserWarning, match="keep 0 samples"):
        _, y_res = make_imbalance(list(range(20)), y, imbalance_ratio=100)
    assert Counter(y_res.tolist()) == {"a": 10, "b": 1}


@pytest.mark.parametrize("ratio", [0.5, 0, -1, float("nan"), float("inf"), "10"])
def test_make_imbalance_rejects_bad_ratio(ratio):
    with pytest.raises(ValueError, match="imbalance_ratio must be a finite number"):
        make_imbalance([1, 2], ["a", "b"], imbalance_ratio=ratio)


def test_make_imbalance_needs_two_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        make_imbalance([1, 2, 3], ["a", "a", "a"], imbalance_ratio=2)


def test_make_imbalance_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match=r"len\(X\)=3, len\(y\)=2"):
        make_imbalance([1, 2, 3], ["a", "b"], imbalance_ratio=2)


def test_make_imbalance_rejects_single_string():
    with pytest.raises(TypeError, match="not a single string"):
        make_imbalance("ab", ["a", "b"], imbalance_ratio=2)


def _domain_data():
    # A: 150 pos / 50 neg, B: 40 pos / 60 neg. Globally pos (190) > neg (110),
    # so pos is the head class in *both* domains, although B has more neg.
    rows = (
        [("A", "pos")] * 150
        + [("A", "neg")] * 50
        + [("B", "pos")] * 40
        + [("B", "neg")] * 60
    )
    order = np.random.RandomState(0).permutation(len(rows))
    domains = np.array([rows[i][0] for i in order], dtype=object)
    y = np.array([rows[i][1] for i in order], dtype=object)
    return domains, y


def test_make_domain_imbalance_exact_counts():
    # Domain weights (ratio 4): A 1, B 1/4. Class weights (ratio 2): pos 1, neg 1/2.
    # Head caps: A <= 100 (neg: round(m/2) <= 50), B <= 40 (pos). M = 100:
    # A pos 100, neg 50; B head round(25) = 25 pos, neg round(12.5) = 13.
    domains, y = _domain_data()
    X = [f"doc {i}" for i in range(len(y))]
    X_res, y_res, d_res = make_domain_imbalance(
        X,
        y,
        domains,
        domain_imbalance_ratio=4,
        class_imbalance_ratio=2,
        random_state=0,
    )
    assert Counter(zip(d_res.tolist(), y_res.tolist())) == {
        ("A", "pos"): 100,
        ("A", "neg"): 50,
        ("B", "pos"): 25,
        ("B", "neg"): 13,
    }
    assert isinstance(X_res, list) and len(X_res) == 188
    sizes = Counter(d_res.tolist())
    assert sizes["A"] / sizes["B"] == pytest.approx(4, rel=0.05)


def test_make_domain_imbalance_balanced_classes_and_indices():
    domains, y = _domain_data()
    X = pd.Series(np.arange(len(y)), index=np.arange(len(y)) * 2)
    X_res, y_res, d_res, idx = make_domain_imbalance(
        X, y, domains, domain_imbalance_ratio=2, random_state=0, return_indices=True
    )
    # Class ratio 1: each domain keeps the same head count for both classes.
    counts = Counter(zip(d_res.tolist(), y_res.tolist()))
    assert counts[("A", "pos")] == counts[("A", "neg")] == 50
    assert counts[("B", "pos")] == counts[("B", "neg")] == 25
    np.testing.assert_array_equal(X_res.to_numpy(), idx)
    np.testing.assert_array_equal(X_res.index, 2 * idx)
    np.testing.assert_array_equal(d_res, domains[idx])


def test_make_domain_imbalance_reproducible():
    domains, y = _domain_data()
    X = list(range(len(y)))
    kw = {"domain_imbalance_ratio": 3, "class_imbalance_ratio": 2}
    a = make_domain_imbalance(X, y, domains, random_state=1, **kw)
    b = make_domain_imbalance(X, y, domains, random_state=1, **kw)
    c = make_domain_imbalance(X, y, domains, random_state=2, **kw)
    assert a[0] == b[0] and a[0] != c[0]


def test_make_domain_imbalance_errors():
    domains, y = _domain_data()
    X = list(range(len(y)))
    with pytest.raises(
        ValueError, match=r"len\(X\)=300, len\(y\)=300, len\(domains\)=2"
    ):
        make_domain_imbalance(X, y, ["A", "B"], domain_imbalance_ratio=2)
    with pytest.raises(ValueError, match="at least 2 distinct domains"):
        make_domain_imbalance(X, y, ["A"] * 300, domain_imbalance_ratio=2)
    with pytest.raises(ValueError, match="'B' has no 'pos'"):
        make_domain_imbalance(
            X, np.where(domains == "B", "neg", y), domains, domain_imbalance_ratio=2
        )
    with pytest.raises(ValueError, match="class_imbalance_ratio must be"):
        make_domain_imbalance(
            X, y, domains, domain_imbalance_ratio=2, class_imbalance_ratio=0.5
        )
    with pytest.raises(ValueError, match="domain_imbalance_ratio must be"):
        make_domain_imbalance(X, y, domains, domain_imbalance_ratio=0.9)
