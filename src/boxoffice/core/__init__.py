"""The model core: schema, features, estimator, search, artifact, predictor.

Imports nothing else of the package (tests/test_layers.py holds that).
"""
