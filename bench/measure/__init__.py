"""Measuring: profiles and plans, the manager and its isolated workers, case preparation, budgets, threads."""
