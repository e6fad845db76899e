"""Text: normalisation for search and matching, language identification, translation, watchlists, emoji."""
