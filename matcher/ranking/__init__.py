"""The ranking recipe: filter, search, featurise, score, rank, explain."""
