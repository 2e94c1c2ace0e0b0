"""Sentiment-aware market analysis (being written)."""
