"""Discovery of the package's public estimators (feeds the common checks)."""

import importlib
import inspect

from sklearn.base import BaseEstimator

_PUBLIC_MODULES = (
    "skimbtext.classifiers",
    "skimbtext.feature_extraction",
    "skimbtext.over_sampling",
)


def all_estimators():
    """List every public estimator class of skimbtext.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name; abstract bases and private classes are left out.

    Examples
    --------
    >>> from skimbtext.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "TextClassifier" in names and "TextEmbedder" in names
    True
    """
    found = {}
    for module_name in _PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith(("_", "Base"))
            ):
                found[name] = obj
    return sorted(found.items())
