"""One router per resource, mounted under /api by the app factory."""
