"""Root pytest configuration: which package modules ``--doctest-modules`` can import.

The engine modules import their engine (Dask, Spark) at the top, and those are
optional extras: where one is not installed, its module's examples are not
collected. ``scripts/test-distributed.sh`` runs them where the engines are.
"""

from __future__ import annotations

import importlib.util

_ENGINES = {
    "python/gemini_vision/distributed/dask.py": ("dask", "distributed", "pandas", "pyarrow"),
    "python/gemini_vision/distributed/spark.py": ("pyspark", "pyarrow"),
}

# A script, not a test module: ``--doctest-modules`` would import it (and Dask).
collect_ignore = ["benches/dask_vs_single.py"]
collect_ignore += [
    path
    for path, modules in _ENGINES.items()
    if any(importlib.util.find_spec(module) is None for module in modules)
]
