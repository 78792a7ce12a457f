"""Benchmark loaders, imbalance protocols and synthetic multi-domain data.

The benchmark data are not shipped with skimbtext: :func:`load_benchmark`
reads them from a directory given as ``data_home`` or through the
``SKIMBTEXT_DATA`` environment variable.
"""

from ._benchmarks import list_benchmarks, load_benchmark
from ._imbalance import make_domain_imbalance, make_imbalance
from ._reviews import make_multidomain_reviews

__all__ = [
    "load_benchmark",
    "list_benchmarks",
    "make_imbalance",
    "make_domain_imbalance",
    "make_multidomain_reviews",
]
