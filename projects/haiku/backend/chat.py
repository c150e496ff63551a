"""The chat that agrees on a haiku: the system prompt that keeps the model on the task, the conversation it
sees, the haiku it proposes, and what one turn stores.

A turn is stored only once the answer is complete: the learner's message and the answer together, in one
transaction, with the proposed lines. A turn the guardrail stopped (the message or the answer) or that failed
midway stores nothing."""
from __future__ import annotations

import re

from fastapi import HTTPException
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from modules.aws import ChatMessage
from modules.database import utcnow
from projects.haiku.backend.models import FAILED, LINES, NEW, ChatHistory, Haiku

SYSTEM_PROMPT = (
    "You help a learner of Japanese write one haiku in English, which the app will then translate to Japanese, "
    "illustrate and read aloud. Stay on this task: if the learner asks about anything else, say briefly that you "
    "can only help with their haiku. The haiku has three lines of 5, 7 and 5 syllables, in English. Ask about the "
    "topic or mood when you need to, keep replies short and friendly, and whenever you propose or revise the "
    "haiku, end your reply with the line 'Haiku:' followed by exactly its three lines, one per line, and nothing "
    "after them.")
PROPOSAL = re.compile(r"haiku:\s*\n((?:[^\n]*\S[^\n]*\n?){3})\s*$", re.IGNORECASE)
MAX_LINE_CHARS = 120
EDITABLE = (NEW, FAILED)  # a haiku in progress or completed can only be viewed (or deleted)


def proposed_lines(answer: str) -> list[str] | None:
    """The three lines the answer ends with after 'Haiku:', or None when it proposes none."""
    found = PROPOSAL.search(answer.strip())
    if not found:
        return None
    lines = [line.strip().strip("*_\"").strip() for line in found.group(1).strip().splitlines()]
    if len(lines) != LINES or not all(0 < len(line) <= MAX_LINE_CHARS for line in lines):
        return None
    return lines


def editable_haiku(db: Session, haiku: Haiku) -> None:
    if haiku.status not in EDITABLE:
        raise HTTPException(409, detail=f"this haiku is {haiku.status}: it can only be viewed or deleted")


def conversation(db: Session, haiku_id: str, message: str, limit: int) -> list[ChatMessage]:
    """The newest turns of the chat (at most `limit` messages, starting with a learner's) and the new message."""
    rows = db.execute(select(ChatHistory.role, ChatHistory.message).where(ChatHistory.haiku_id == haiku_id)
                      .order_by(ChatHistory.chat_id.desc()).limit(limit - 1)).all()
    turns = [ChatMessage(role, text) for role, text in reversed(rows)]
    while turns and turns[0].role != "user":
        turns.pop(0)
    return [*turns, ChatMessage("user", message)]


def store_turn(engine: Engine, haiku_id: str, message: str, answer: str) -> int | None:
    """The learner's message and the answer, with the proposed lines if any; the answer's chat_id. None when the
    haiku stopped being editable meanwhile (accepted or deleted in another tab): then nothing is stored."""
    lines = proposed_lines(answer)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as db, db.begin():
        changes = {"updated_at": now, **({"english_lines": lines} if lines else {})}
        still_editable = db.execute(update(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.status.in_(EDITABLE))
                                    .values(**changes)).rowcount
        if not still_editable:
            return None
        db.add(ChatHistory(haiku_id=haiku_id, role="user", message=message, created_at=now))
        reply = ChatHistory(haiku_id=haiku_id, role="assistant", message=answer, created_at=now)
        db.add(reply)
        db.flush()
        return reply.chat_id
