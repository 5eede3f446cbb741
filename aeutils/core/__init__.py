"""Plumbing that no notebook teaches: runtime and fast-mode budget, the dataset registry and loaders,
result records, argument validation, model files and quiet imports. Hand-written; edit here."""
