"""The model core: schema, features, estimator, search, artifact, predictor.

Imports nothing else of the package (tests/unit/test_layers.py holds that).
"""
