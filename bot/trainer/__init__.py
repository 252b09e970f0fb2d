"""The trainer studio's logic, without the web: which data files may be touched (files.py), the
surgical YAML edits (responses.py, examples.py), the checks before a write (check.py), the git
history (history.py) and the one door that writes (studio.py)."""
