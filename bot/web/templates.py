"""The one Jinja2 environment of the staff and trainer pages.

    from bot.web.templates import templates
    return templates.TemplateResponse(request, "staff/inbox.html", {"rows": rows})

Templates get: `t(key, **params)` (the UI text in the reader's language, from
bot/web/translations/*.yml), `csrf_input()` (the hidden field every POST form needs),
`current_user` (a CurrentUser or None) and `lang` ("da" or "en"). Autoescape is on, so user text
is always shown, never run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
import yaml
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bot.web.staff import csrf

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
TRANSLATIONS_DIR = HERE / "translations"
LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANGUAGE_COOKIE = "samtale_lang"


def load_translations(directory: Path = TRANSLATIONS_DIR) -> dict[str, dict[str, str]]:
    """{key: {"da": ..., "en": ...}} from every YAML file there (one file per page family)."""
    strings: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.yml")):
        for key, texts in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in strings:
                raise ValueError(f"{path.name}: the key {key!r} is defined twice")
            strings[key] = texts
    return strings


TRANSLATIONS = load_translations()


def ui_language(request: Request) -> str:
    """The signed-in user's language; before sign-in the cookie, then the browser's."""
    user = getattr(request.state, "user", None)
    if user is not None:
        return user.language
    chosen = getattr(request.state, "chosen_language", None)  # ?lang= on this very request
    if chosen in LANGUAGES:
        return chosen
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def translate(language: str, key: str, **params: Any) -> str:
    texts = TRANSLATIONS.get(key)
    if texts is None:
        log.warning("no translation for %r", key)
        return key
    text = texts.get(language) or texts[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


@jinja2.pass_context
def _t(context: jinja2.runtime.Context, key: str, **params: Any) -> str:
    return translate(context["lang"], key, **params)


@jinja2.pass_context
def _csrf_input(context: jinja2.runtime.Context) -> Markup:
    token = csrf.token_for(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, escape(token))


@jinja2.pass_context
def _csrf_token(context: jinja2.runtime.Context) -> str:
    return csrf.token_for(context["request"])


def _context(request: Request) -> dict[str, Any]:
    return {"current_user": getattr(request.state, "user", None), "lang": ui_language(request)}


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    ),
    context_processors=[_context],
)
templates.env.globals.update(t=_t, csrf_input=_csrf_input, csrf_token=_csrf_token)
