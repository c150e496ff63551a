"""The seed: shared vocabulary groups (seed_data/groups/*.json) and the study activities.

Idempotent - run it any number of times; it adds what is missing and updates what changed.
On its own: `python -m projects.lang_portal.backend.seed` migrates DATABASE_URL to head and seeds it.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from modules.json_logging import configure_logging
from modules.response_cache import notice
from modules.settings import SettingsError, load_settings
from projects.lang_portal.backend.db import create_db_engine
from projects.lang_portal.backend.migrate import exclusive, upgrade
from projects.lang_portal.backend.models import StudyActivity
from projects.lang_portal.backend.schemas import GroupImport
from projects.lang_portal.backend.settings import LangPortalSettings
from projects.lang_portal.backend.vocabulary import add_group

SEED_DIR = Path(__file__).parent / "seed_data"
logger = logging.getLogger(__name__)


def _seed_activities(seed_dir: Path) -> list[dict]:
    return json.loads((seed_dir / "study_activities.json").read_text(encoding="utf-8"))


def activity_urls(configured: dict[str, str] | None, seed_dir: Path = SEED_DIR) -> dict[str, str]:
    """The address of each seeded study activity (by name): its project's entry in STUDY_ACTIVITY_URLS, or
    without that setting the seed's local address. A configured set that misses a project stops the start."""
    activities = _seed_activities(seed_dir)
    if configured is None:
        return {activity["name"]: activity["local_url"] for activity in activities}
    missing = [activity["project"] for activity in activities if activity["project"] not in configured]
    if missing:
        raise SettingsError(f"STUDY_ACTIVITY_URLS has no address for {', '.join(missing)} "
                            f"(it names {', '.join(configured) or 'nothing'})")
    return {activity["name"]: configured[activity["project"]] for activity in activities}


def load_seed(engine: Engine, urls: dict[str, str] | None = None, seed_dir: Path = SEED_DIR) -> None:
    """`urls`: each activity's address by name (`activity_urls`); the local ones when None."""
    groups = [GroupImport.model_validate_json(path.read_text(encoding="utf-8"))
              for path in sorted((seed_dir / "groups").glob("*.json"))]
    urls = urls or activity_urls(None, seed_dir)
    activities = [{"name": activity["name"], "url": urls[activity["name"]], "thumbnail_url": activity["thumbnail_url"],
                   "description": activity["description"]} for activity in _seed_activities(seed_dir)]
    with Session(engine) as session, session.begin():
        for group in groups:
            add_group(session, group, owner_sub=None, refresh_own=True)
        existing = {a.name: a for a in session.execute(select(StudyActivity)).scalars()}
        for activity in activities:
            row = existing.get(activity["name"])
            if row is None:
                session.add(StudyActivity(**activity))
            else:
                for field, value in activity.items():
                    setattr(row, field, value)
        if engine.dialect.name == "postgresql":
            session.execute(select(notice(None)))  # running workers drop every cached answer on commit
    logger.info("seed loaded", extra={"groups": len(groups), "study_activities": len(activities)})


def prepare_database(engine: Engine, urls: dict[str, str] | None = None) -> None:
    """Migrate to head and load the seed, holding the lock so concurrent starters take turns."""
    with exclusive(engine):
        upgrade(engine)
        load_seed(engine, urls)


def main() -> None:
    try:
        settings = load_settings(LangPortalSettings)
        urls = activity_urls(settings.study_activity_urls)
    except SettingsError as error:
        raise SystemExit(str(error)) from None
    configure_logging(settings.log_level, settings.service_name)
    engine = create_db_engine(settings)
    try:
        prepare_database(engine, urls)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
