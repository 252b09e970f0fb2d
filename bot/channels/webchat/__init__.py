"""The web chat widget: one script tag on a municipal page, a small proxy to Rasa on our service.

- router.py              POST /chat/api/sessions, /chat/api/messages (the proxy); demo page at /
- sessions.py            server-issued, signed widget sessions
- static/widget.js       the widget itself (vanilla JS); static/widget.css its look
- templates/demo.*.html  a mock municipal page (da, en) embedding the widget with one script tag
                         (its look in static/demo.css: no inline style or script, for the CSP)
"""

from bot.channels.webchat.router import router, static_files
from bot.channels.webchat.sessions import SessionSigner

__all__ = ["SessionSigner", "router", "static_files"]
