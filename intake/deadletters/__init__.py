"""Tasks that failed for good: recorded by the worker, listed and re-sent by admins."""
