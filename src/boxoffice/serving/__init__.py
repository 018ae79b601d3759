"""The prediction API (FastAPI): app factory, routes, prediction log."""
