"""Samtale: a conversational companion for Danish municipalities."""
