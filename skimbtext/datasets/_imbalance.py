"""Long-tailed sub-sampling of labelled (and multi-domain) text data."""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_imbalance", "make_domain_imbalance"]


def _round_half_up(x):
    """Round non-negative numbers half up (``2.5 -> 3``), returning ints."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


def _tail_weights(n, ratio):
    """Geometric weights ``ratio ** (-i / (n - 1))`` for ``i = 0 .. n - 1``."""
    if n == 1:
        return np.ones(1)
    return float(ratio) ** (-np.arange(n) / (n - 1))


def _kept_counts(head, weights):
    """Counts kept for a head size ``head``: ``max(1, round(head * w))``."""
    return np.maximum(1, _round_half_up(head * weights))


def _largest_head(weights, caps):
    """Largest integer ``h >= 1`` with ``_kept_counts(h, weights) <= caps``.

    ``weights`` is non-increasing with ``weights[0] == 1`` and every cap is
    at least 1, so ``h = 1`` is always feasible and feasibility is monotone
    in ``h``.
    """
    caps = np.asarray(caps, dtype=float)
    # round_half_up(h * w) <= c  <=>  h * w < c + 0.5
    bound = np.floor((caps + 0.5) / weights)
    head = int(max(1, min(caps[0], bound.min())))

    def feasible(h):
        return bool(np.all(_kept_counts(h, weights) <= caps))

    while head > 1 and not feasible(head):
        head -= 1
    while head + 1 <= caps[0] and feasible(head + 1):
        head += 1
    return head


def _check_ratio(value, name):
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 1
    ):
        raise ValueError(f"{name} must be a finite number >= 1, got {value!r}.")
    return float(value)


def _num_rows(X):
    if isinstance(X, str):
        raise TypeError(
            "X must be a sequence of samples (list, array, Series or DataFrame), "
            "not a single string."
        )
    shape = getattr(X, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise TypeError("X must have at least one dimension.")
        return int(shape[0])
    try:
        return len(X)
    except TypeError as exc:
        raise TypeError(
            "X must be a list, array, pandas Series or DataFrame; got "
            f"{type(X).__name__}."
        ) from exc


def _take_rows(X, indices):
    """Select rows of ``X`` by sorted positional indices, keeping X's type."""
    if hasattr(X, "iloc"):  # pandas Series / DataFrame: keep index labels
        return X.iloc[indices]
    if isinstance(X, list):
        return [X[i] for i in indices]
    if isinstance(X, tuple):
        return tuple(X[i] for i in indices)
    if hasattr(X, "shape"):  # numpy array or scipy sparse matrix
        return X[indices]
    return [X[i] for i in indices]


def _check_Xy(X, y, extra=None):
    n_X = _num_rows(X)
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got an array of shape {y.shape}.")
    if extra is None and n_X != y.shape[0]:
        raise ValueError(
            f"X and y have inconsistent lengths: len(X)={n_X}, len(y)={y.shape[0]}."
        )
    if extra is not None:
        extra = extra.to_numpy() if hasattr(extra, "to_numpy") else np.asarray(extra)
        if extra.ndim != 1:
            raise ValueError(
                f"domains must be 1-D, got an array of shape {extra.shape}."
            )
        if not n_X == y.shape[0] == extra.shape[0]:
            raise ValueError(
                "X, y and domains have inconsistent lengths: "
                f"len(X)={n_X}, len(y)={y.shape[0]}, len(domains)={extra.shape[0]}."
            )
    return n_X, y, extra


def _order_by_count(values):
    """Unique values sorted by count (descending), ties by value (ascending)."""
    uniques, counts = np.unique(values, return_counts=True)
    # np.unique returns ascending values; a stable sort on -counts keeps that
    # order among ties.
    order = np.argsort(-counts, kind="stable")
    return uniques[order], counts[order]


def make_imbalance(X, y, *, imbalance_ratio, random_state=None, return_indices=False):
    """Sub-sample a data set into a long-tailed (exponentially imbalanced) one.

    This is the long-tail protocol used by LDAM (Cao et al., 2019) and
    SharpReCL: with the ``C`` classes sorted by their count in ``y``
    (descending, ties broken by ascending label), the ``i``-th class
    (``i = 0 .. C - 1``) keeps::

        n_i = max(1, round(n_max * imbalance_ratio ** (-i / (C - 1))))

    samples drawn at random without replacement, where ``round`` rounds half
    up and ``n_max`` is the largest integer for which every class has at
    least ``n_i`` samples. The most frequent class therefore keeps ``n_max``
    samples and ``n_0 / n_{C-1}`` equals ``imbalance_ratio`` up to rounding
    (unless the rarest class is clamped to one sample, which raises a
    warning).

    Apply it to the **training split only**: the function only sees the
    samples it is given, and the test split must keep its original
    distribution.

    Parameters
    ----------
    X : list, tuple, ndarray, sparse matrix, pandas Series or DataFrame
        Samples (one per row), e.g. raw texts.
    y : array-like of shape (n_samples,)
        Class labels.
    imbalance_ratio : float
        Target ratio between the largest and the smallest class, ``>= 1``.
        ``1`` undersamples every class to the size of the smallest one.
    random_state : int, RandomState instance or None, default=None
        Controls which samples are kept.
    return_indices : bool, default=False
        Whether to also return the positional indices of the kept samples.

    Returns
    -------
    X_res : same type as ``X``
        Kept samples in their original order. Lists stay lists, arrays stay
        arrays, and pandas objects keep the original index labels.
    y_res : ndarray of shape (n_kept,)
        Labels of the kept samples.
    indices : ndarray of shape (n_kept,)
        Positional indices of the kept samples, sorted ascending. Only
        returned if ``return_indices=True``.

    See Also
    --------
    make_domain_imbalance : The multi-domain variant.

    Examples
    --------
    >>> from collections import Counter
    >>> from skimbtext.datasets import make_imbalance
    >>> X = [f"text {i}" for i in range(300)]
    >>> y = ["a"] * 100 + ["b"] * 100 + ["c"] * 100
    >>> X_res, y_res = make_imbalance(X, y, imbalance_ratio=10, random_state=0)
    >>> sorted(Counter(y_res.tolist()).items())
    [('a', 100), ('b', 32), ('c', 10)]
    >>> type(X_res).__name__, len(X_res)
    ('list', 142)
    """
    imbalance_ratio = _check_ratio(imbalance_ratio, "imbalance_ratio")
    _, y, _ = _check_Xy(X, y)
    classes, counts = _order_by_count(y)
    if classes.shape[0] < 2:
        raise ValueError(
            "make_imbalance needs at least 2 classes in y, got "
            f"{classes.shape[0]}: {classes.tolist()}."
        )
    weights = _tail_weights(classes.shape[0], imbalance_ratio)
    n_max = _largest_head(weights, counts)
    kept = _kept_counts(n_max, weights)
    if _round_half_up(n_max * weights[-1]) < 1:
        warnings.warn(
            f"The rarest class {classes[-1]!r} would keep 0 samples; one sample "
            f"is kept, so the achieved ratio is {kept[0] / kept[-1]:.3g} instead "
            f"of {imbalance_ratio:.3g}.",
            UserWarning,
            stacklevel=2,
        )

    rng = check_random_state(random_state)
    selected = [
        rng.choice(np.flatnonzero(y == cls), size=int(n), replace=False)
        for cls, n in zip(classes, kept)
    ]
    indices = np.sort(np.concatenate(selected))
    X_res = _take_rows(X, indices)
    y_res = y[indices]
    if return_indices:
        return X_res, y_res, indices
    return X_res, y_res


def make_domain_imbalance(
    X,
    y,
    domains,
    *,
    domain_imbalance_ratio,
    class_imbalance_ratio=1.0,
    random_state=None,
    return_indices=False,
):
    """Sub-sample a multi-domain data set into long-tailed domains and classes.

    The rule extends :func:`make_imbalance` to two levels:

    1. Domains are sorted by their size (descending, ties broken by
       ascending name); the ``j``-th of ``D`` domains gets the weight
       ``a_j = domain_imbalance_ratio ** (-j / (D - 1))``.
    2. Classes are sorted once by their **global** count (descending, ties by
       ascending label), so the same class is the rare one in every domain;
       the ``i``-th of ``C`` classes gets the weight
       ``w_i = class_imbalance_ratio ** (-i / (C - 1))``.
    3. Domain ``j`` keeps ``m_j = max(1, round(M * a_j))`` samples of the
       head class and ``max(1, round(m_j * w_i))`` samples of class ``i``
       (``round`` rounds half up), drawn at random without replacement. ``M``
       is the largest integer for which every (domain, class) cell has
       enough samples.

    Every domain therefore has the same class proportions, and since its size
    is proportional to ``m_j``, the largest/smallest domain size ratio equals
    ``domain_imbalance_ratio`` up to rounding. Every domain must contain
    every class. Apply it to the **training split only**.

    Parameters
    ----------
    X : list, tuple, ndarray, sparse matrix, pandas Series or DataFrame
        Samples (one per row), e.g. raw texts.
    y : array-like of shape (n_samples,)
        Class labels.
    domains : array-like of shape (n_samples,)
        Domain of each sample; at least 2 distinct domains.
    domain_imbalance_ratio : float
        Target ratio between the largest and the smallest domain, ``>= 1``.
    class_imbalance_ratio : float, default=1.0
        Target ratio between the largest and the smallest class inside each
        domain, ``>= 1``.
    random_state : int, RandomState instance or None, default=None
        Controls which samples are kept.
    return_indices : bool, default=False
        Whether to also return the positional indices of the kept samples.

    Returns
    -------
    X_res : same type as ``X``
        Kept samples in their original order (pandas objects keep their
        index labels).
    y_res : ndarray of shape (n_kept,)
        Labels of the kept samples.
    domains_res : ndarray of shape (n_kept,)
        Domains of the kept samples.
    indices : ndarray of shape (n_kept,)
        Positional indices of the kept samples, sorted ascending. Only
        returned if ``return_indices=True``.

    See Also
    --------
    make_imbalance : The single-domain long-tail protocol.

    Examples
    --------
    >>> from collections import Counter
    >>> from skimbtext.datasets import make_domain_imbalance
    >>> y = ["neg", "pos"] * 200
    >>> domains = ["books"] * 200 + ["dvd"] * 200
    >>> X = [f"review {i}" for i in range(400)]
    >>> X_res, y_res, d_res = make_domain_imbalance(
    ...     X, y, domains, domain_imbalance_ratio=4, class_imbalance_ratio=5,
    ...     random_state=0)
    >>> counts = Counter(zip(d_res.tolist(), y_res.tolist()))
    >>> sorted(counts.items())  # doctest: +NORMALIZE_WHITESPACE
    [(('books', 'neg'), 100), (('books', 'pos'), 20),
     (('dvd', 'neg'), 25), (('dvd', 'pos'), 5)]
    """
    domain_imbalance_ratio = _check_ratio(
        domain_imbalance_ratio, "domain_imbalance_ratio"
    )
    class_imbalance_ratio = _check_ratio(class_imbalance_ratio, "class_imbalance_ratio")
    _, y, domains = _check_Xy(X, y, domains)

    classes, _ = _order_by_count(y)
    if classes.shape[0] < 2:
        raise ValueError(
            "make_domain_imbalance needs at least 2 classes in y, got "
            f"{classes.shape[0]}: {classes.tolist()}."
        )
    domain_names, _ = _order_by_count(domains)
    if domain_names.shape[0] < 2:
        raise ValueError(
            "make_domain_imbalance needs at least 2 distinct domains, got "
            f"{domain_names.tolist()}; use make_imbalance for a single domain."
        )

    # counts[j, i]: samples of class i in domain j
    counts = np.array(
        [[np.sum((domains == d) & (y == c)) for c in classes] for d in domain_names]
    )
    missing = np.argwhere(counts == 0)
    if missing.size:
        cells = ", ".join(
            f"{domain_names[j]!r} has no {classes[i]!r}" for j, i in missing[:5]
        )
        raise ValueError(
            f"Every domain must contain every class for make_domain_imbalance: {cells}."
        )

    class_w = _tail_weights(classes.shape[0], class_imbalance_ratio)
    domain_w = _tail_weights(domain_names.shape[0], domain_imbalance_ratio)
    # Largest head-class count each domain can afford on its own ...
    head_caps = np.array([_largest_head(class_w, row) for row in counts])
    # ... and the largest global head M compatible with all of them. The
    # domain weights are not sorted by the caps, so search directly.
    M = int(min(head_caps[0], np.floor((head_caps + 0.5) / domain_w).min()))
    M = max(M, 1)
    while M > 1 and np.any(_kept_counts(M, domain_w) > head_caps):
        M -= 1
    while np.all(_kept_counts(M + 1, domain_w) <= head_caps):
        M += 1
    heads = _kept_counts(M, domain_w)
    if np.any(_round_half_up(M * domain_w) < 1) or np.any(
        _round_half_up(heads[:, None] * class_w[None, :]) < 1
    ):
        warnings.warn(
            "Some (domain, class) cells would keep 0 samples and keep 1 instead; "
            "the achieved ratios differ from the requested ones.",
            UserWarning,
            stacklevel=2,
        )

    rng = check_random_state(random_state)
    selected = []
    for j, dom in enumerate(domain_names):
        kept = _kept_counts(heads[j], class_w)
        for cls, n in zip(classes, kept):
            pool = np.flatnonzero((domains == dom) & (y == cls))
            selected.append(rng.choice(pool, size=int(n), replace=False))
    indices = np.sort(np.concatenate(selected))
    X_res = _take_rows(X, indices)
    out = (X_res, y[indices], domains[indices])
    if return_indices:
        return (*out, indices)
    return out
