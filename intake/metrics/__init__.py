"""Prometheus metrics: state read from the database at scrape time, events counted as they
happen (README "Metrics")."""
