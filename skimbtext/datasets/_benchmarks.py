"""Loader for benchmark text-classification data sets stored as CSV files."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_benchmark", "list_benchmarks"]

DATA_ENV_VAR = "SKIMBTEXT_DATA"
_SPLIT_FILES = ("train.csv", "test.csv")
_SINGLE_FILE = "data.csv"
_DATA_FILES = (_SINGLE_FILE, *_SPLIT_FILES)
_SUBSETS = ("all", "train", "test")


def _get_data_home(data_home=None):
    """Resolve the data directory from the argument or ``SKIMBTEXT_DATA``."""
    if data_home is None:
        data_home = os.environ.get(DATA_ENV_VAR) or None
        if data_home is None:
            raise FileNotFoundError(
                "No benchmark data directory given. Pass data_home=<directory> or "
                f"set the {DATA_ENV_VAR} environment variable to a directory "
                "holding one folder per data set (each with data.csv or "
                "train.csv/test.csv), e.g. `export "
                f"{DATA_ENV_VAR}=/path/to/data`."
            )
        source = f"the {DATA_ENV_VAR} environment variable"
    else:
        source = "data_home"
    path = Path(data_home).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(
            f"The benchmark data directory {str(path)!r} (from {source}) does not "
            "exist or is not a directory."
        )
    return path


def _has_data(folder):
    return any((folder / name).is_file() for name in _DATA_FILES)


def list_benchmarks(data_home=None):
    """List the data sets available under a benchmark data directory.

    A data set is any sub-folder of ``data_home`` holding ``data.csv``,
    ``train.csv`` or ``test.csv``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Directory holding one folder per data set. If None, the
        ``SKIMBTEXT_DATA`` environment variable is used.

    Returns
    -------
    names : list of str
        Sorted data-set folder names.

    Raises
    ------
    FileNotFoundError
        If neither ``data_home`` nor ``SKIMBTEXT_DATA`` is set, or the
        directory does not exist.

    Examples
    --------
    >>> from skimbtext.datasets import list_benchmarks
    >>> list_benchmarks()  # doctest: +SKIP
    ['ag_news', 'amazon_multi_domain', 'cr', 'ohsumed', 'r52', 'sms_spam', 'trec']
    """
    home = _get_data_home(data_home)
    return sorted(
        child.name
        for child in home.iterdir()
        if child.is_dir() and not child.name.startswith(".") and _has_data(child)
    )


def _read_csv(path):
    """Read one data file, validating its required columns and values."""
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    missing = [col for col in ("text", "label") if col not in header]
    if missing:
        raise ValueError(
            f"{path} is missing the required column(s) {missing}; found columns "
            f"{list(header)}."
        )
    str_columns = {col: str for col in ("text", "label", "domain") if col in header}
    # Only empty fields are missing values: texts or labels such as "NA" or
    # "null" are kept verbatim.
    frame = pd.read_csv(
        path,
        dtype=str_columns,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
    )
    for col in str_columns:
        values = frame[col]
        bad = values.isna() | (values.fillna("").str.strip() == "")
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"{path}: {int(bad.sum())} row(s) with an empty or missing "
                f"{col!r} value; the first is data row {first} (0-based, line "
                f"{first + 2} of the file). Rows are never dropped silently: clean "
                "the file first."
            )
    return frame


def _dataset_dir(home, name):
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}.")
    folder = home / name
    if (
        Path(name).name != name
        or name in (".", "..")
        or not folder.is_dir()
        or not _has_data(folder)
    ):
        available = list_benchmarks(home)
        raise ValueError(
            f"Unknown benchmark {name!r}: no folder {name!r} with data.csv or "
            f"train.csv/test.csv under {str(home)!r}. Available: {available}."
        )
    return folder


def load_benchmark(name, *, subset="all", data_home=None, return_X_y=False):
    """Load a text-classification benchmark stored as CSV files.

    The data are **not** shipped with skimbtext. They are read from
    ``<data_home>/<name>/``, which holds either ``train.csv`` and
    ``test.csv`` (an official split; a folder with only one of them, e.g. a
    test-only release, also works) or a single ``data.csv``. Files are UTF-8
    CSV with at least the columns ``text`` and ``label`` and optionally
    ``domain``; extra columns are kept in ``frame``. Any directory with this
    layout works, not only the known benchmarks.

    Labels and domains are read as strings, so numeric-looking labels stay
    labels. Only empty fields count as missing; rows with an empty text,
    label or domain raise an error instead of being dropped.

    Parameters
    ----------
    name : str
        Data-set folder name, e.g. ``"trec"`` (see :func:`list_benchmarks`).
    subset : {"all", "train", "test"}, default="all"
        ``"train"``/``"test"`` select one file of an official split (a
        ``ValueError`` is raised for a single-file data set, which has no
        official split). ``"all"`` returns everything; for a split data set
        the files are concatenated (train first) with an added ``split``
        column.
    data_home : str or path-like, default=None
        Directory holding one folder per data set. If None, the
        ``SKIMBTEXT_DATA`` environment variable is used; if neither is set, a
        ``FileNotFoundError`` is raised (there is no default location).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        With attributes

        - ``frame``: DataFrame with all columns and a fresh RangeIndex.
        - ``data``: the ``text`` column, a pandas Series of str.
        - ``target``: ndarray of the labels as str.
        - ``domains``: ndarray of the ``domain`` column as str, or None.
        - ``target_names``: ndarray of the sorted unique labels.
        - ``DESCR``: the folder's ``README.md`` text, or ``""``.
    (data, target) : tuple of (Series, ndarray)
        If ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If no data directory is given or it does not exist.
    ValueError
        For an unknown data set (the message lists the available ones), a
        subset the data set does not have, missing ``text``/``label``
        columns, or empty/missing texts, labels or domains.

    See Also
    --------
    list_benchmarks : Names of the data sets under a data directory.

    Examples
    --------
    Point ``SKIMBTEXT_DATA`` at the directory holding the data-set folders
    (e.g. ``export SKIMBTEXT_DATA=/path/to/data`` in the shell), or pass
    ``data_home``:

    >>> from skimbtext.datasets import load_benchmark
    >>> trec = load_benchmark("trec", subset="train")  # doctest: +SKIP
    >>> trec.frame.shape, trec.target_names  # doctest: +SKIP
    ((5452, 3), array(['ABBR', 'DESC', 'ENTY', 'HUM', 'LOC', 'NUM'], dtype=object))
    >>> X, y = load_benchmark(
    ...     "sms_spam", data_home="/path/to/data", return_X_y=True
    ... )  # doctest: +SKIP
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {list(_SUBSETS)}, got {subset!r}.")
    home = _get_data_home(data_home)
    folder = _dataset_dir(home, name)

    single = folder / _SINGLE_FILE
    split_files = {
        part: folder / fname
        for part, fname in zip(("train", "test"), _SPLIT_FILES)
        if (folder / fname).is_file()
    }
    if single.is_file() and split_files:
        raise ValueError(
            f"{folder} holds both {_SINGLE_FILE} and "
            f"{'/'.join(p.name for p in split_files.values())}; keep either a "
            "single file or the split files."
        )

    if single.is_file():
        if subset != "all":
            raise ValueError(
                f"Data set {name!r} has no official train/test split (a single "
                f"{_SINGLE_FILE}); use subset='all' and split it yourself."
            )
        frame = _read_csv(single)
    elif subset == "all":
        parts = []
        for part, path in split_files.items():
            part_frame = _read_csv(path)
            if "split" in part_frame.columns:
                raise ValueError(
                    f"{path} already has a 'split' column, which subset='all' "
                    "would overwrite; load subset='train'/'test' separately."
                )
            parts.append(part_frame.assign(split=part))
        frame = pd.concat(parts, ignore_index=True)
    else:
        if subset not in split_files:
            raise ValueError(
                f"Data set {name!r} has no {subset!r} split (found only "
                f"{[p.name for p in split_files.values()]}); use "
                + " or ".join(f"subset={p!r}" for p in ("all", *split_files))
                + "."
            )
        frame = _read_csv(split_files[subset])

    frame = frame.reset_index(drop=True)
    data = frame["text"]
    target = frame["label"].to_numpy(dtype=object)
    if return_X_y:
        return data, target

    domains = frame["domain"].to_numpy(dtype=object) if "domain" in frame else None
    readme = folder / "README.md"
    descr = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    return Bunch(
        frame=frame,
        data=data,
        target=target,
        domains=domains,
        target_names=np.unique(target),
        DESCR=descr,
    )
