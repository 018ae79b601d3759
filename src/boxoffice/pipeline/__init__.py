"""DVC stages: ingest -> validate -> featurize -> train -> evaluate -> export.

Each stage module has a thin ``main()`` (``python -m boxoffice.pipeline.<stage>``) that
reads its params, does the I/O and calls a pure function.
"""
