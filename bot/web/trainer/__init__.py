"""The trainer pages under /trainer/ (role trainer and admin): content (what the bot says),
conversations (the plan, conversations.yml), understanding (NLU examples), lexicons, review (the
review inbox), try it (a chat pane), files (any data file as YAML), history (commits, diffs,
revert), models (train and test jobs, reports), deployments (deploy, roll back) and Rasa's model
server. `install(app)` mounts them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from bot.trainer.studio import Studio
from bot.web.staff.auth import CurrentUser, require_role

Trainer = Annotated[CurrentUser, Depends(require_role("trainer"))]
MAX_TEXT = 4000  # the longest response or example a form may send


def studio(request: Request) -> Studio:
    """The app's Studio; tests put one on app.state pointing at a temporary content repo."""
    if getattr(request.app.state, "studio", None) is None:
        settings = request.app.state.settings
        root = settings.trainer_content_dir or settings.root
        rasa = settings.trainer_rasa or settings.root / ".venv-engine" / "bin" / "rasa"
        request.app.state.studio = Studio(root, rasa, settings.root)
    return request.app.state.studio


def install(app: FastAPI) -> None:
    from bot.web.trainer import (content, conversations, deploy, files, history, lexicons,
                                 model_server, models, review, try_it, understanding)

    for page in (content, conversations, understanding, lexicons, review, try_it, files, history,
                 models, deploy):
        app.include_router(page.router)
    app.include_router(model_server.router)  # /internal/model.tar.gz for Rasa's workers
