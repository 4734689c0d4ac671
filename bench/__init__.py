"""Benchmarks of the tenancy machinery: routing overhead, provisioning, fleet migrations.

Scripts only (tests never assert wall-clock times). Run ``uv run python bench/run_all.py --help``.
"""
