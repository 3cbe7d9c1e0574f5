"""FBSS consultation intake: the FastAPI application and its domain."""
