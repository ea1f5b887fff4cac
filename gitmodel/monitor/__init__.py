"""Online monitoring: an append-only Parquet store of observations (``store``), the
columns and their validation (``schema``), alert rules (``rules``) and Prometheus
exposition (``prometheus``). See docs/monitoring.md.

Nothing is imported here so that ``import gitmodel.monitor.rules`` stays free of pyarrow.
"""
