"""Comparing runs: regression checks, their self-test, A/B in one job, how far two runs agree."""
