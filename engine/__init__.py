"""Code that runs inside the Rasa engine (.venv-engine): never imported by the project's own code."""
