"""Support code that the notebooks use but do not teach (corruptions, the vector index, rating matrices,
synthetic corpora). Hand-written; edit here."""
