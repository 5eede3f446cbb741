"""Helpers that several notebooks share but none is about: the training entry point, image metrics and
plots. Hand-written; edit here."""
