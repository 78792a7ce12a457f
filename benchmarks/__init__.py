"""Benchmark harness: ``python -m benchmarks --profile cpu`` (or ``make bench``).

Each suite reads data through :func:`skimbtext.datasets.load_benchmark`, so any
directory with the same CSV layout works, and writes ``results/<suite>.md`` (tables)
and ``results/<suite>.json`` (raw numbers, versions, device, seeds, command).
"""
