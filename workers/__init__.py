"""Celery workers: they call `intake` services and own no rules of their own."""
