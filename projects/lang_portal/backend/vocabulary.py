"""Adding a group of words: shared by the seed loader (owner None) and the import endpoint (owner = caller).

Idempotent: a group is found by (owner, name) and a word by (owner or shared, japanese, romaji,
english), so sending the same group again changes nothing and creates no duplicates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modules.japanese import kana_for
from projects.lang_portal.backend.models import Group, Word, WordGroup
from projects.lang_portal.backend.queries import owned_by, visible_to
from projects.lang_portal.backend.schemas import GroupImport


@dataclass(frozen=True)
class ImportResult:
    group: Group
    created: bool
    words_added: int
    word_count: int


def add_group(session: Session, payload: GroupImport, owner_sub: str | None, *, refresh_own: bool = False
              ) -> ImportResult:
    """Find or create the group and its words and link them; the caller commits (one transaction).
    `refresh_own`: the owner's existing words take the parts and reading sent (the seed's corrections)."""
    group = session.execute(select(Group).where(Group.name == payload.group_name,
                                                owned_by(Group.owner_sub, owner_sub))).scalar_one_or_none()
    created = group is None
    if group is None:
        group = Group(name=payload.group_name, owner_sub=owner_sub)
        session.add(group)
        session.flush()

    wanted = {word.identity: word for word in payload.words}
    words = _existing_words(session, wanted, owner_sub)
    for identity, incoming in wanted.items():
        word = words.get(identity)
        if word is None:
            word = Word(japanese=incoming.japanese, romaji=incoming.romaji, english=incoming.english,
                        kana=incoming.kana or reading_of(incoming.japanese, incoming.romaji),
                        english_sort=english_sort_key(incoming.english), parts=incoming.parts, owner_sub=owner_sub)
            session.add(word)
            words[identity] = word
        elif refresh_own and word.owner_sub == owner_sub:
            if word.parts != incoming.parts:
                word.parts = incoming.parts
            if incoming.kana and word.kana != incoming.kana:
                word.kana = incoming.kana
    session.flush()

    linked = set(session.execute(select(WordGroup.word_id).where(WordGroup.group_id == group.id)).scalars())
    new_links = [WordGroup(word_id=word.id, group_id=group.id) for word in words.values() if word.id not in linked]
    session.add_all(new_links)
    session.flush()
    word_count = session.execute(select(func.count()).where(WordGroup.group_id == group.id)).scalar_one()
    return ImportResult(group=group, created=created, words_added=len(new_links), word_count=word_count)


def reading_of(japanese: str, romaji: str) -> str:
    """The kana reading of a word that arrives without one: the reading its romaji spells."""
    return kana_for(japanese, romaji)[:200] or japanese[:200]


_QUALIFIERS = re.compile(r"^(\([^)]*\)\s*)+")


def english_sort_key(english: str) -> str:
    """Where a meaning sorts: without leading qualifiers ("(my) father" under "father"), case-folded."""
    return (_QUALIFIERS.sub("", english).strip() or english).casefold()[:200]


def _existing_words(session: Session, wanted: dict, owner_sub: str | None) -> dict[tuple[str, str, str], Word]:
    """Words matching the wanted identities that the owner may use; shared words win over own copies."""
    if owner_sub is None:
        visibility = Word.owner_sub.is_(None)
    else:
        visibility = visible_to(Word.owner_sub, owner_sub)
    candidates = session.execute(select(Word).where(
        Word.japanese.in_({japanese for japanese, _, _ in wanted}), visibility)).scalars()
    found: dict[tuple[str, str, str], Word] = {}
    for word in sorted(candidates, key=lambda w: w.owner_sub is not None):
        found.setdefault((word.japanese, word.romaji, word.english), word)
    return {identity: word for identity, word in found.items() if identity in wanted}
