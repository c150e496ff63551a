"""The Vocab Generator page (Streamlit): a topic and a word count -> a group from the backend, shown as a card per
word with romaji mismatches flagged; the raw JSON to read and download; a JSON file imported and validated; the
group sent to the Lang Portal. Everything typed and shown lives in `st.session_state`, so an error loses nothing.

Staff only: the server's SignInMiddleware refuses everyone else before this script runs (server.py); the user is
identified here once per session for the calls made as them."""
from __future__ import annotations

import re

import streamlit as st

from modules.alb_identity import SignedInUser, SignInRefused
from modules.service_client import ServiceCallFailed
from projects.vocab_generator.frontend.services import (Message, Services, explain, group_file, read_group_file,
                                                      services)
from projects.vocab_generator.vocabulary import (TOPIC_MAX_CHARS, WORD_COUNT_DEFAULT, WORD_COUNT_MAX, WORD_COUNT_MIN,
                                                 GenerationRequest, VocabularyGroup, problems)

CARDS_PER_ROW = 3
# No st.caption: its faded grey on white is below WCAG AA's 4.5:1 contrast (axe-core, 3.88:1).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def words(count: int) -> str:
    return f"{count} word" if count == 1 else f"{count} words"


def plain(text: str) -> str:
    """`text` shown as written in markdown (a model's answer is data, never formatting or a link)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def signed_in_user(app: Services) -> SignedInUser:
    """The session's user, identified from its first request's headers (docs/ui-apps-auth.md)."""
    if "user" not in st.session_state:
        try:
            st.session_state.user = app.sign_in.identify(st.context.headers, staff_only=True)
        except SignInRefused as refusal:
            st.error(f"{refusal.title}: {refusal}.")
            st.info(refusal.advice)
            st.stop()
    return st.session_state.user


def show(message: Message | None) -> None:
    if message is not None:
        getattr(st, message.kind)(message.text)


def start_generating() -> None:
    st.session_state.generating = True
    st.session_state.message = None


def generate(app: Services, user: SignedInUser) -> None:
    """The work of a click on Generate (the button is shown disabled meanwhile), then a rerun that enables it."""
    try:
        request = GenerationRequest(topic=st.session_state.topic, word_count=st.session_state.word_count)
    except ValueError as error:
        st.session_state.message = Message("warning", "Invalid input: " + "; ".join(problems(error))
                                           .replace("topic: String should have at least 1 character",
                                                    "enter a topic (1 to 50 characters)"))
    else:
        try:
            with st.spinner(f"Generating {request.word_count} words on “{request.topic}”..."):
                shown(app.generate(user, request), f"generated for “{request.topic}”")
        except ServiceCallFailed as error:
            st.session_state.message = explain(error, "generate")
    st.session_state.generating = False
    st.rerun()


def shown(answer: dict, source: str) -> None:
    """Make `answer` (the backend's checked group) the group on the page."""
    st.session_state.group = answer
    st.session_state.source = source
    st.session_state.audio = {}
    st.session_state.sent = None
    st.session_state.send_message = None


def import_file(app: Services, user: SignedInUser) -> None:
    """on_change of the file uploader: the file validated, then its romaji checked by the backend."""
    upload = st.session_state.upload
    st.session_state.import_problems = []
    if upload is None:
        return
    group, found = read_group_file(upload.name, upload.getvalue())
    if group is None:
        st.session_state.import_problems = found
        return
    source = f"imported from {upload.name}"
    try:
        shown(app.check(user, group), source)
        st.session_state.message = Message("success", f"Imported {words(len(group.words))} from {upload.name}.")
    except ServiceCallFailed as error:  # the file is valid: shown, its romaji marked as not checked
        shown(group.export(), f"{source}, romaji not checked")
        st.session_state.message = Message("warning", f"Imported {words(len(group.words))} from {upload.name}, but "
                                                      f"their romaji could not be checked: {explain(error, 'check').text}")


def send_to_portal(app: Services, user: SignedInUser) -> None:
    group = VocabularyGroup.model_validate(st.session_state.group)
    try:
        result = app.send_to_portal(user, group)
    except ServiceCallFailed as error:
        st.session_state.sent = None
        st.session_state.send_message = explain(error, "send the group to the Lang Portal")
        return
    skipped = len(group.words) - result["words_added"]
    st.session_state.sent = result
    st.session_state.send_message = Message("success", (
        f"Sent to the Lang Portal: group #{result['id']} “{result['name']}” "
        f"({'new' if result['created'] else 'already there'}), {words(result['words_added'])} added, "
        f"{skipped} {'duplicate' if skipped == 1 else 'duplicates'} skipped."))


def word_card(app: Services, user: SignedInUser, place: int, word: dict) -> None:
    with st.container(border=True):
        st.markdown(f"### {plain(word['japanese'])}")
        st.markdown(f"**{plain(word['romaji'])}** · {plain(word['english'])}")
        st.markdown(f"*{plain(word['parts']['type'])} · {plain(word['parts']['formality'])}*")
        check = word.get("romaji_check")
        if check and not check["matches"]:
            st.warning(f"Romaji check: the dictionary reads **{plain(check['library_romaji'])}** "
                       f"({plain(check['library_kana'])}), not **{plain(word['romaji'])}**.")
        audio = st.session_state.audio.get(place)
        if audio is not None:
            st.audio(audio, format="audio/mpeg")
        elif st.button("Listen", key=f"listen-{place}", help="Pronunciation by Amazon Polly"):
            try:
                st.session_state.audio[place] = app.audio(user, word["japanese"])
                st.rerun()
            except ServiceCallFailed as error:
                show(explain(error, "fetch the audio"))


def group_section(app: Services, user: SignedInUser, answer: dict) -> None:
    group = VocabularyGroup.model_validate(answer)
    st.subheader(answer["group_name"], anchor=False)
    st.markdown(plain(f"{words(len(group.words))}, {st.session_state.source}"))
    mismatches = answer.get("romaji_mismatches", 0)
    if mismatches:
        st.warning(f"Romaji check: {mismatches} of the {len(group.words)} words differ from the dictionary's "
                   "reading; see the flagged cards.")
    for start in range(0, len(answer["words"]), CARDS_PER_ROW):
        for column, (place, word) in zip(st.columns(CARDS_PER_ROW),
                                         enumerate(answer["words"][start:start + CARDS_PER_ROW], start)):
            with column:
                word_card(app, user, place, word)
    with st.expander("Raw JSON"):
        st.json(answer)
    file_name, data = group_file(group)
    left, right = st.columns(2)
    left.download_button("Download JSON", data=data, file_name=file_name, mime="application/json", key="download")
    right.button("Send to Lang Portal", key="send", on_click=send_to_portal, args=(app, user),
                 help="Imported as shared vocabulary: every learner sees the group")
    show(st.session_state.send_message)  # beside the button it answers


def main() -> None:
    st.set_page_config(page_title="Vocab Generator", layout="wide")
    app = services()
    user = signed_in_user(app)
    for name, value in (("generating", False), ("group", None), ("source", ""), ("audio", {}), ("sent", None),
                        ("send_message", None), ("message", None), ("import_problems", []),
                        ("word_count", WORD_COUNT_DEFAULT)):
        st.session_state.setdefault(name, value)

    st.title("Vocab Generator", anchor=False)
    st.markdown(plain(f"Signed in as {user.name}"))
    with st.container(border=True):
        st.text_input("Topic", key="topic", max_chars=TOPIC_MAX_CHARS, placeholder="e.g. at the train station",
                      help=f"What the words are about, 1 to {TOPIC_MAX_CHARS} characters")
        st.slider("Number of words", WORD_COUNT_MIN, WORD_COUNT_MAX, key="word_count")
        st.button("Generate", type="primary", key="generate", on_click=start_generating,
                  disabled=st.session_state.generating)
    if st.session_state.generating:
        generate(app, user)
    show(st.session_state.message)
    if st.session_state.group is not None:
        group_section(app, user, st.session_state.group)

    st.divider()
    st.file_uploader("Import a JSON file", type=["json"], key="upload", on_change=import_file, args=(app, user),
                     help='A group as downloaded: {"group_name", "words": [{"japanese", "romaji", "english", "parts"}]}')
    if st.session_state.import_problems:
        st.error("The file is not a valid group:\n" + "\n".join(f"- {plain(problem)}"
                                                               for problem in st.session_state.import_problems))


main()
