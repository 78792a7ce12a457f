"""Input validation shared by every estimator: texts, DataFrame columns, input kind."""

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp


def _is_missing(item):
    if item is None or item is pd.NA:
        return True
    return (
        isinstance(item, numbers.Real) and not isinstance(item, bool) and item != item
    )


def _is_utf8_encodable(text):
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_token_list(item):
    """Whether ``item`` looks like one tokenised text: a sequence of strings.

    Only the first element is looked at, so rows of numbers cost nothing.
    """
    return (
        isinstance(item, (list, tuple, np.ndarray))
        and len(item) > 0
        and isinstance(item[0], str)
    )


def _tokenised_error(name, position, item):
    return ValueError(
        f"{name} looks like tokenised texts: the item at position {position} is a "
        f"{type(item).__name__} of strings ({item!r:.40}). Pass one string per "
        "text, e.g. [' '.join(tokens) for tokens in X]; the encoder's tokenizer "
        "splits them itself."
    )


def input_kind(X, text_col=None):
    """Tell whether ``X`` holds texts or a numeric feature matrix.

    Texts are a 1-D sequence (list, tuple, 1-D ndarray, pandas Series), a single
    column 2-D array of strings, or a DataFrame column chosen with ``text_col``.
    Everything else (2-D arrays, DataFrames of numeric columns, sparse matrices) is
    numeric and is validated by scikit-learn later.

    Parameters
    ----------
    X : object
        The input given to ``fit``, ``predict`` or ``transform``.
    text_col : str, optional
        Column of a DataFrame ``X`` holding the texts.

    Returns
    -------
    kind : {"text", "numeric"}

    Raises
    ------
    ValueError
        If ``X`` is a single string, if ``text_col`` is set but ``X`` is not a
        DataFrame with that column, if a DataFrame has several non-numeric
        columns and no ``text_col``, if an array holds strings in several columns,
        if a list mixes texts with nested sequences, or if it holds tokenised
        texts (lists of strings).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.utils import input_kind
    >>> input_kind(["a text", "another"])
    'text'
    >>> input_kind(np.zeros((3, 2)))
    'numeric'
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "X must be a sequence of texts, got a single string; wrap it in a list."
        )
    if isinstance(X, pd.DataFrame):
        if text_col is not None:
            if text_col not in X.columns:
                raise ValueError(
                    f"text_col={text_col!r} is not a column of X; its columns are "
                    f"{list(X.columns)}."
                )
            return "text"
        non_numeric = [
            col
            for col in X.columns
            if not pd.api.types.is_numeric_dtype(X[col])
            or pd.api.types.is_bool_dtype(X[col])
        ]
        if not non_numeric:
            return "numeric"
        if X.shape[1] == 1:
            return "text"
        raise ValueError(
            f"X is a DataFrame with non-numeric columns {non_numeric}; set "
            "text_col to the column that holds the texts."
        )
    if text_col is not None:
        raise ValueError(
            f"text_col={text_col!r} is set, but X is a {type(X).__name__}, not a "
            "pandas DataFrame."
        )
    if sp.issparse(X):
        return "numeric"
    if isinstance(X, pd.Series):
        return "text"
    if isinstance(X, (list, tuple)):
        nested = [isinstance(item, (list, tuple, np.ndarray)) for item in X]
        if not any(nested):
            return "text"
        for position, item in enumerate(X):
            if _is_token_list(item):
                raise _tokenised_error("X", position, item)
        if not all(nested):
            flat, row = nested.index(False), nested.index(True)
            raise ValueError(
                f"X mixes rows of features with single items: item {row} is a "
                f"{type(X[row]).__name__}, item {flat} is "
                f"{type(X[flat]).__name__} ({X[flat]!r:.40}). Pass a 1-D sequence "
                "of texts or a 2-D array of numbers."
            )
        return "numeric"
    if isinstance(X, np.ndarray):
        if X.ndim == 1:
            return "text"
        holds_text = (
            X.ndim == 2
            and X.dtype.kind in "OUS"
            and X.size
            and isinstance(X.flat[0], (str, bytes))
        )
        if holds_text and X.shape[1] == 1:
            return "text"
        if holds_text:
            raise ValueError(
                f"X is a 2-D array of strings with shape {X.shape}; texts must be "
                "1-D (one text per sample) or a single column of shape "
                "(n_samples, 1). Join or select the text column first."
            )
        return "numeric"
    return "numeric"


def check_texts(X, *, text_col=None, name="X"):
    """Validate a collection of texts and return them as a list of ``str``.

    Every item must be a string; empty strings are valid texts. Missing values,
    bytes and other types raise an error naming the first offending position, so
    that no row is silently dropped or coerced.

    Parameters
    ----------
    X : list, tuple, ndarray, pandas Series or DataFrame
        The texts; for a DataFrame, the column ``text_col`` (or its only column).
    text_col : str, optional
        Column of a DataFrame ``X`` holding the texts.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    texts : list of str

    Raises
    ------
    ValueError
        If ``X`` is a single string, a sparse matrix, empty, not 1-D, not a
        DataFrame although ``text_col`` is set, or holds an item that is not a
        string or a string that cannot be encoded as UTF-8 (lone surrogates).

    Examples
    --------
    >>> from skimbtext.utils import check_texts
    >>> check_texts(("good", "bad"))
    ['good', 'bad']
    >>> check_texts(["good", None])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X contains a missing text (None) at position 1; fill or drop it...
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{name} must be a sequence of texts, got a single string; wrap it in "
            "a list."
        )
    if text_col is not None and not isinstance(X, pd.DataFrame):
        raise ValueError(
            f"text_col={text_col!r} is set, but {name} is a {type(X).__name__}, "
            "not a pandas DataFrame."
        )
    if sp.issparse(X):
        raise ValueError(
            f"{name} must be a sequence of texts, got a sparse matrix of shape "
            f"{X.shape}."
        )
    if isinstance(X, pd.DataFrame):
        column = text_col if text_col is not None else X.columns[0]
        if column not in X.columns:
            raise ValueError(
                f"text_col={column!r} is not a column of {name}; its columns are "
                f"{list(X.columns)}."
            )
        values = X[column].tolist()
    elif isinstance(X, pd.Series):
        values = X.tolist()
    elif isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D collection of texts, got an array of shape "
                f"{X.shape}. For numeric features pass a 2-D array of numbers."
            )
        values = X.tolist()
    elif isinstance(X, (list, tuple)):
        values = list(X)
    else:
        try:
            values = list(X)
        except TypeError:
            raise ValueError(
                f"{name} must be a sequence of texts, got {type(X).__name__}."
            ) from None
    if len(values) == 0:
        raise ValueError(f"{name} is empty: it holds 0 texts.")
    for position, item in enumerate(values):
        if isinstance(item, str):
            if not _is_utf8_encodable(item):
                raise ValueError(
                    f"{name} contains a text that is not valid Unicode at position "
                    f"{position} ({item!r:.40}): it holds lone surrogates, as left "
                    "by decoding non-UTF-8 bytes with errors='surrogateescape'. "
                    "Decode the bytes with their real encoding, or with "
                    "errors='replace'."
                )
            continue
        if _is_missing(item):
            raise ValueError(
                f"{name} contains a missing text ({item!r}) at position {position}; "
                "fill or drop it before fitting."
            )
        if isinstance(item, bytes):
            raise ValueError(
                f"{name} contains bytes at position {position}; decode them first, "
                "e.g. item.decode('utf-8', errors='replace')."
            )
        if _is_token_list(item):
            raise _tokenised_error(name, position, item)
        raise ValueError(
            f"{name} must contain only strings; the item at position {position} is "
            f"{type(item).__name__} ({item!r:.40}). For numeric features pass a 2-D "
            "array of shape (n_samples, n_features)."
        )
    return [str(item) for item in values]


def check_labels(y):
    """Refuse missing and mixed-type class labels with a message naming them.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class labels, already 1-D.

    Raises
    ------
    ValueError
        If a label is missing (None, NaN, ``pd.NA``) or labels of different
        types (e.g. strings and integers) are mixed.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.utils._validation import check_labels
    >>> check_labels(np.array(["pos", None], dtype=object))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y contains a missing label (None) at position 1; ...
    """
    if y.dtype != object:
        return
    missing = pd.isna(y)
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"y contains a missing label ({y[position]!r}) at position {position}; "
            "every sample needs a class label."
        )
    types = sorted({type(label).__name__ for label in y})
    try:
        np.unique(y)
    except TypeError:
        raise ValueError(
            f"y mixes label types ({', '.join(types)}) that cannot be ordered; use "
            "labels of one type, e.g. all strings."
        ) from None
