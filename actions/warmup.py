"""Loads the text models in the background as soon as the action server starts.

The action server imports every module of this package when it starts (rasa-sdk's
`register_package`), so importing this one starts a thread that builds the skills/themes
pipelines (spaCy + lemma lookups) and the language identifier once. Without it the first person
to offer a gift would wait for that (seconds on a busy machine). Unit tests import the modules
they test, not this one, and load the models when first used.
"""
from __future__ import annotations

import logging
import threading
import time

from bot import lexicon

from .langid import detect_language

log = logging.getLogger(__name__)


def warm_up() -> None:
    started = time.perf_counter()
    try:
        detect_language("jeg bor i Odense")
        lexicon.warm_up()
    except Exception:  # a failure shows again (and is logged) on first real use
        log.exception("loading the text models in the background failed")
        return
    log.info("text models loaded in %.1f s", time.perf_counter() - started)


threading.Thread(target=warm_up, name="samtale-warm-up", daemon=True).start()
