"""The staff web service: a JSON API over the outcome store."""
