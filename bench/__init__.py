"""The benchmark harness and the analysis of its output.

`python -m bench run` sweeps implementations x m x n_x with pytest-benchmark;
the analysis reads its JSON, never re-running anything.
"""
