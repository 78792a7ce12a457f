"""Metrics for multi-domain and imbalanced evaluation."""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_array, check_X_y, column_or_1d

__all__ = ["domain_roc_auc_score", "difficult_sample_ratio"]

_AVERAGES = ("macro", "micro", None)


def _ovr_auc(y_true, y_score, classes):
    """Macro one-vs-rest ROC-AUC over the classes present in ``y_true``.

    Equals ``roc_auc_score(y_true, y_score, multi_class="ovr",
    labels=classes)`` when every class is present; a class missing from
    ``y_true`` has an undefined AUC and is left out of the mean instead of
    making the result NaN. Returns NaN if fewer than two classes are present.
    """
    present = np.isin(classes, y_true)
    if present.sum() < 2:
        return np.nan
    if y_score.ndim == 1:  # binary scores for classes[1]
        return float(roc_auc_score(y_true == classes[1], y_score))
    if len(classes) == 2:
        return float(roc_auc_score(y_true == classes[1], y_score[:, 1]))
    return float(
        np.mean(
            [
                roc_auc_score(y_true == cls, y_score[:, k])
                for k, cls in enumerate(classes)
                if present[k]
            ]
        )
    )


def domain_roc_auc_score(y_true, y_score, domains, *, average="macro", labels=None):
    """ROC-AUC for multi-domain evaluation.

    Multi-domain classifiers are evaluated within each domain and averaged
    over domains (as in the DCMI paper), so that small domains count as much
    as large ones.

    - Binary: ``y_score`` holds scores of the positive class, i.e.
      ``labels[1]`` (the larger label in sorted order by default, as in
      scikit-learn), either as shape ``(n,)`` or as ``(n, 2)`` probabilities
      (column 1 is used).
    - Multi-class: ``y_score`` is ``(n, C)`` with columns in the order of
      ``labels`` (sorted labels by default), and the AUC of a domain is the
      one-vs-rest macro ROC-AUC (``roc_auc_score(..., multi_class="ovr")``).
      A class missing from a domain is left out of that domain's mean.

    A domain in which only one class is present has an undefined AUC: it is
    skipped in the macro average with an
    :class:`~sklearn.exceptions.UndefinedMetricWarning` naming it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Target scores or probability estimates.
    domains : array-like of shape (n_samples,)
        Domain of each sample.
    average : {"macro", "micro"} or None, default="macro"
        ``"macro"``: unweighted mean of the per-domain AUCs. ``"micro"``: AUC
        of all samples pooled, ignoring domains (for multi-class still the
        one-vs-rest macro over classes). None: a dict ``{domain: auc}``
        (NaN for undefined domains).
    labels : array-like of shape (n_classes,), default=None
        All class labels, in the order of the columns of ``y_score``. If
        None, the sorted unique values of ``y_true``.

    Returns
    -------
    score : float or dict
        The averaged AUC, or a dict per domain if ``average=None``.

    Raises
    ------
    ValueError
        If the lengths differ, ``y_score`` does not match the labels, or no
        domain has a defined AUC.

    Examples
    --------
    >>> from skimbtext.metrics import domain_roc_auc_score
    >>> y_true = [0, 1, 0, 1, 0, 0, 1, 1]
    >>> y_score = [0.2, 0.9, 0.8, 0.1, 0.6, 0.7, 0.8, 0.9]
    >>> domains = ["a", "a", "a", "a", "b", "b", "b", "b"]
    >>> domain_roc_auc_score(y_true, y_score, domains, average=None)
    {'a': 0.5, 'b': 1.0}
    >>> float(domain_roc_auc_score(y_true, y_score, domains))
    0.75
    >>> round(float(domain_roc_auc_score(y_true, y_score, domains,
    ...                                  average="micro")), 4)
    0.7188
    """
    if average not in _AVERAGES:
        raise ValueError(f"average must be 'macro', 'micro' or None, got {average!r}.")
    y_true = column_or_1d(np.asarray(y_true))
    domains = column_or_1d(np.asarray(domains))
    y_score = check_array(y_score, ensure_2d=False, dtype="numeric")
    if not y_true.shape[0] == y_score.shape[0] == domains.shape[0]:
        raise ValueError(
            "y_true, y_score and domains have inconsistent lengths: "
            f"len(y_true)={y_true.shape[0]}, len(y_score)={y_score.shape[0]}, "
            f"len(domains)={domains.shape[0]}."
        )
    if y_score.ndim > 2:
        raise ValueError(f"y_score must be 1-D or 2-D, got shape {y_score.shape}.")

    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if labels is not None:
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"labels must be unique, got {classes.tolist()}.")
        unknown = np.setdiff1d(y_true, classes)
        if unknown.size:
            raise ValueError(
                f"y_true contains labels not in labels: {unknown.tolist()}."
            )
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError(
            "ROC-AUC needs at least 2 classes; y_true (or labels) has "
            f"{classes.tolist()}."
        )
    if y_score.ndim == 1 and n_classes > 2:
        raise ValueError(
            f"y_score is 1-D but there are {n_classes} classes; pass "
            "(n_samples, n_classes) probabilities for multi-class problems."
        )
    if y_score.ndim == 2 and y_score.shape[1] != n_classes:
        raise ValueError(
            f"y_score has {y_score.shape[1]} columns but there are {n_classes} "
            f"classes {classes.tolist()}."
        )

    if average == "micro":
        score = _ovr_auc(y_true, y_score, classes)
        if np.isnan(score):
            raise ValueError(
                "ROC-AUC is undefined: only one class is present in y_true."
            )
        return score

    per_domain = {}
    for dom in np.unique(domains):
        mask = domains == dom
        key = dom.item() if isinstance(dom, np.generic) else dom
        per_domain[key] = _ovr_auc(y_true[mask], y_score[mask], classes)

    undefined = [dom for dom, auc in per_domain.items() if np.isnan(auc)]
    if undefined:
        warnings.warn(
            f"ROC-AUC is undefined for domain(s) {undefined}: only one class is "
            "present"
            + (" there; they are skipped in the macro average." if average else "."),
            UndefinedMetricWarning,
            stacklevel=2,
        )
    if average is None:
        return per_domain
    defined = [auc for auc in per_domain.values() if not np.isnan(auc)]
    if not defined:
        raise ValueError(
            "ROC-AUC is undefined for every domain: each domain has a single "
            "class present."
        )
    return float(np.mean(defined))


def difficult_sample_ratio(
    X, y, *, minority_class=None, n_neighbors=5, metric="euclidean"
):
    """Share of minority samples lying close to other classes.

    A minority sample is *difficult* if at least one of its ``n_neighbors``
    nearest neighbours (itself excluded) belongs to another class, i.e. its
    local majority share γ is positive, as in the MISO paper. The ratio
    measures how much the minority class overlaps the others in a
    representation space (e.g. sentence embeddings): 0 means it is locally
    separated, 1 means every minority sample has another-class neighbour.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric representation of the samples, e.g. embeddings.
    y : array-like of shape (n_samples,)
        Class labels.
    minority_class : label, default=None
        The class whose samples are examined (one class only). If None, the
        least frequent class (the smallest label among ties). All other
        classes count as majority.
    n_neighbors : int, default=5
        Number of neighbours examined, ``1 <= n_neighbors < n_samples``.
    metric : str or callable, default="euclidean"
        Distance metric passed to :class:`~sklearn.neighbors.NearestNeighbors`.
        Ties in distance are broken by the neighbour search.

    Returns
    -------
    ratio : float
        Fraction of difficult minority samples, in [0, 1].

    Examples
    --------
    >>> from skimbtext.metrics import difficult_sample_ratio
    >>> X = [[0, 0], [0, 1], [1, 0], [5, 5], [9, 9], [9, 8], [8, 9]]
    >>> y = [0, 0, 0, 1, 1, 1, 1]
    >>> difficult_sample_ratio(X, y, minority_class=0, n_neighbors=2)
    0.0
    >>> difficult_sample_ratio(X, y, minority_class=0, n_neighbors=3)
    1.0
    """
    X, y = check_X_y(X, y, dtype="numeric")
    if (
        not isinstance(n_neighbors, numbers.Integral)
        or isinstance(n_neighbors, bool)
        or not 1 <= n_neighbors < X.shape[0]
    ):
        raise ValueError(
            f"n_neighbors must be an integer in [1, n_samples - 1] = "
            f"[1, {X.shape[0] - 1}], got {n_neighbors!r}."
        )
    classes, counts = np.unique(y, return_counts=True)
    if minority_class is None:
        minority_class = classes[np.argmin(counts)]
    elif not np.any(y == minority_class):
        raise ValueError(
            f"minority_class={minority_class!r} is not a label of y {classes.tolist()}."
        )
    difficult = difficult_sample_mask(X, y, n_neighbors=n_neighbors, metric=metric)
    return float(difficult[y == minority_class].mean())


def difficult_sample_mask(X, y, *, n_neighbors=5, metric="euclidean"):
    """Mark the samples with another class among their nearest neighbours.

    A sample is *difficult* (γ > 0 in the MISO paper) when at least one of its
    ``n_neighbors`` nearest neighbours, itself excluded, has another label.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numeric representation, e.g. sentence embeddings.
    y : ndarray of shape (n_samples,)
        Class labels.
    n_neighbors : int, default=5
        Neighbours examined; on data of ``n_samples <= n_neighbors``, all
        ``n_samples - 1`` others (no sample is difficult in data of one).
    metric : str, default="euclidean"
        Distance of :class:`sklearn.neighbors.NearestNeighbors`.

    Returns
    -------
    difficult : ndarray of bool of shape (n_samples,)
        For a class ``c``, ``difficult[y == c].mean()`` is
        :func:`difficult_sample_ratio` of ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.metrics import difficult_sample_mask
    >>> X = np.array([[0.0], [0.15], [5.0], [5.1], [0.2]])
    >>> difficult_sample_mask(X, np.array([0, 0, 1, 1, 1]), n_neighbors=1).tolist()
    [False, True, False, False, True]
    """
    y = np.asarray(y)
    n_neighbors = min(n_neighbors, X.shape[0] - 1)
    if n_neighbors < 1:
        return np.zeros(X.shape[0], dtype=bool)
    neighbours = NearestNeighbors(n_neighbors=n_neighbors, metric=metric).fit(X)
    # With no query, each sample is not considered its own neighbour.
    indices = neighbours.kneighbors(return_distance=False)
    return np.any(y[indices] != y[:, None], axis=1)
