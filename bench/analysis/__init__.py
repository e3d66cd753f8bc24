"""Pure analysis of a run's tidy tables: speedups, claims verdicts, ratios, cost models and what they explain."""
