"""The model lifecycle: registry, promotion gate, lineage, retraining, labels, drift."""
