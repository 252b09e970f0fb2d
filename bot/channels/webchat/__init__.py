"""The web chat widget: one script tag on a municipal page, a small proxy to Rasa on our service.

- router.py              POST /chat/api/messages (the proxy) and the demo page at /
- static/widget.js       the widget itself (vanilla JS); static/widget.css its look
- templates/demo.*.html  a mock municipal page (da, en) embedding the widget with one script tag
"""

from bot.channels.webchat.router import router, static_files

__all__ = ["router", "static_files"]
