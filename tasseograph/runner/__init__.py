"""The production runner: sources, durable queue, analysis, metrics and alerts (``tasseograph run``)."""
