"""One conversation as staff see it: who, what was said, and what was offered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status

from bot.web.deps import StoreDep, require_staff
from bot.web.schemas import ConversationPublic, safe_text

router = APIRouter(
    prefix="/conversations", tags=["conversations"], dependencies=[Depends(require_staff)]
)


@router.get("/{conversation_id}", response_model=ConversationPublic)
def get_conversation(
    conversation_id: Annotated[safe_text(1, 255), Path()], store: StoreDep
) -> dict:
    conversation = store.get_conversation(conversation_id)
    # Without consent the transcript is not staff's to read, so it answers as if absent.
    if conversation is None or conversation["consent"] is not True:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Conversation not found")
    return {
        **conversation,
        "transcript": store.transcript(conversation_id),
        "outcomes": store.outcomes_for(conversation_id),
    }
