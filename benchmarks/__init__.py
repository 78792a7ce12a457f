"""Benchmark harness: ``python -m benchmarks --profile cpu`` (or ``make bench``).

Each suite reads data through :func:`skimbtext.datasets.load_benchmark`, so any
directory with the same CSV layout works, and writes
``results/<suite>_<profile>.md`` (tables, with links to the figures),
``results/<suite>_<profile>.json`` (raw numbers, versions, device, seeds, command)
and ``results/<suite>_<profile>_<what>.png`` (figures, drawn by ``_plots`` with
matplotlib). ``python -m benchmarks --suite NAME --replot`` redraws the figures
from the JSON without running anything.
"""
