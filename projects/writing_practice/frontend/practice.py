"""A learner's practice: which group and study session, which words are left, and the Lang Portal calls that
load them and record each graded attempt, made as the learner (their forwarded access token).

Launched from the Lang Portal with `?group_id=..&session_id=..`, the session must be the learner's and of that
group: the portal answers 404 for another learner's session (it never tells whose), and that is said plainly.
Without a session, the learner picks a group and a study session is started for the Writing Practice activity,
so every graded attempt is recorded somewhere the learner's stats count it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from modules.alb_identity import SignedInUser
from modules.service_client import ServiceClient, ServiceRefused

MAX_GROUP_PAGES = 10  # the group picker lists at most this many pages of 100 groups


class PracticeRefused(Exception):
    """The launch cannot go ahead as asked; `str()` tells the learner why."""


@dataclass(frozen=True)
class Word:
    id: int
    japanese: str
    kana: str
    romaji: str
    english: str


@dataclass
class Practice:
    """One browser tab's practice (kept in Gradio's per-session state)."""

    group_id: int
    group_name: str
    session_id: int
    words: list[Word]
    remaining: list[int] = field(default_factory=list)  # indexes into `words` not yet drawn this round
    current: Word | None = None

    def next_word(self, rng: random.Random | None = None) -> Word:
        """A random word, none repeated until every word of the group has come up once."""
        if not self.words:
            raise PracticeRefused(f"the group {self.group_name!r} has no words to practise")
        if not self.remaining:
            self.remaining = list(range(len(self.words)))
            (rng or random).shuffle(self.remaining)
            # A new round does not open with the word the last one ended on.
            if self.current is not None and len(self.remaining) > 1 and self.words[self.remaining[-1]] == self.current:
                self.remaining[0], self.remaining[-1] = self.remaining[-1], self.remaining[0]
        self.current = self.words[self.remaining.pop()]
        return self.current


class LangPortal:
    """The Lang Portal calls of a practice, each as `user`."""

    def __init__(self, client: ServiceClient, activity_name: str) -> None:
        self.client = client
        self.activity_name = activity_name

    def groups(self, user: SignedInUser) -> list[tuple[str, int]]:
        """(name, id) of the groups the learner can see, by name."""
        portal = self.client.as_user(user)
        found: list[tuple[str, int]] = []
        page, pages = 1, 1
        while page <= min(pages, MAX_GROUP_PAGES):
            answer = portal.get("/api/groups", params={"page": page, "sort_by": "name", "order": "asc"})
            found += [(group["name"], group["id"]) for group in answer["items"]]
            pages = answer["pagination"]["total_pages"]
            page += 1
        return found

    def launched(self, user: SignedInUser, group_id: int, session_id: int) -> Practice:
        """The practice the Lang Portal launched: `session_id` must be the learner's own session of this activity
        and of `group_id`."""
        portal = self.client.as_user(user)
        try:
            session = portal.get(f"/api/study_sessions/{session_id}")
        except ServiceRefused as refused:
            if refused.status == 404:
                raise PracticeRefused(f"study session {session_id} is not one of yours (or no longer exists): "
                                      "start Writing Practice again from the Lang Portal, or pick a group "
                                      "here") from None
            raise
        if session["activity_name"] != self.activity_name:
            raise PracticeRefused(f"study session {session_id} is one of {session['activity_name']}, not of "
                                  f"{self.activity_name}: start {self.activity_name} from the Lang Portal")
        if session["group_id"] != group_id:
            raise PracticeRefused(f"study session {session_id} is for another group than group {group_id}: start "
                                  "Writing Practice again from the Lang Portal")
        return self._practice(portal, group_id, session_id)

    def started(self, user: SignedInUser, group_id: int) -> Practice:
        """A new study session of the Writing Practice activity for `group_id`, and its words."""
        portal = self.client.as_user(user)
        activities = portal.get("/api/study_activities")["items"]
        matching = [activity["id"] for activity in activities if activity["name"] == self.activity_name]
        if not matching:
            raise PracticeRefused(f"the Lang Portal has no study activity named {self.activity_name!r} to record "
                                  "this practice in")
        session = portal.post("/api/study_activities", json={"group_id": group_id, "study_activity_id": matching[0]})
        return self._practice(portal, group_id, session["id"])

    def record(self, user: SignedInUser, practice: Practice, word: Word, correct: bool) -> None:
        """The graded attempt as a review of `word` in the practice's session."""
        self.client.as_user(user).post(f"/api/study_sessions/{practice.session_id}/words/{word.id}/review",
                                       json={"correct": correct})

    @staticmethod
    def _practice(portal: ServiceClient, group_id: int, session_id: int) -> Practice:
        raw = portal.get(f"/api/groups/{group_id}/words/raw")
        words = [Word(item["id"], item["japanese"], item.get("kana") or "", item.get("romaji") or "", item["english"])
                 for item in raw["items"]]
        return Practice(group_id, raw["group_name"], session_id, words)
