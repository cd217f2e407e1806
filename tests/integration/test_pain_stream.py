"""The pain stream on both databases: the migration's backfill, every place that writes a
report, `PainService.typed`, and the readers (the routine builder, the plan, /export).

Ann is asked every day at 07:00 (London, on UTC in November); the clock starts on Saturday
21 November 2026 at 06:00 UTC.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from alembic import command
from pushes_kit import Recorder, add_ready_user, morning_answers, unpaced, utc  # noqa: F401
from sqlalchemy import select, text

from bot.db.engine import make_engine
from bot.db.migrate import alembic_config, upgrade_sync
from bot.db.tables import PainReport, PlanChange
from bot.domain import player as pl
from bot.domain.adaptation import ChangeKind
from bot.domain.feel import Feel
from bot.domain.pain import PainRecord, ReportKind, Source
from bot.domain.safety import PainKind
from bot.domain.understanding import When
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.player import Afterwards, FeelAnswer, Reply

pytestmark = pytest.mark.db

USER = 1
SATURDAY = date(2026, 11, 21)


async def stream(services: Services, user_id: int = USER) -> list[tuple[str, str, int]]:
    """(kind, source, value) of the user's reports, oldest first."""
    async with services.sessions() as s:
        rows = await s.execute(
            select(PainReport.kind, PainReport.source, PainReport.value)
            .where(PainReport.user_id == user_id)
            .order_by(PainReport.at, PainReport.id)
        )
        return [(kind, source, value) for kind, source, value in rows.all()]


async def play(services: Services, *, end_pain: int, hurt: int | None = None) -> int:
    """Today's routine through the player service: all done (the first may ache), the end."""
    opened = await services.player.open(USER, USER)
    assert opened.snapshot is not None
    rid, count = opened.snapshot.routine_id, len(opened.snapshot.items)
    await services.player.press(USER, rid, 0, "i", pl.Action.GO, None)
    for n in range(count):
        if n == 0 and hurt is not None:
            await services.player.press(USER, rid, 0, "c", pl.Action.HURT, None)
            await services.player.press(USER, rid, 0, "h", pl.Action.KIND, PainKind.ACHE)
            await services.player.press(USER, rid, 0, "h", pl.Action.PAIN, hurt)
        result = await services.player.press(USER, rid, n, "c", pl.Action.DONE, None)
        assert result.reply is Reply.OK
    end = await services.player.press(USER, rid, count - 1, "e", pl.Action.PAIN, end_pain)
    assert end.summary is not None
    return rid


# --------------------------------------------------------------------------- the migration


def _sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run statements on a fresh engine; the rows of the last one."""

    async def go() -> list[tuple[object, ...]]:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                result = None
                for statement in statements:
                    result = await conn.execute(text(statement))
                assert result is not None
                return [tuple(row) for row in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


LEGACY = [
    # Ann in Tokyo signed up with pain 6 at 20:00 UTC on 20 Nov (21 Nov where she lives);
    # Bo never gave a pain.
    "INSERT INTO users (id, chat_id, first_name, created_at, active, consent_at, onboarded_at,"
    " safety, baseline_pain, days_mask, paused_indefinitely, tz) VALUES"
    " (1, 1, 'Ann', '2026-11-20 19:00:00+00', TRUE, '2026-11-20 19:00:00+00',"
    " '2026-11-20 20:00:00+00', 'clear', 6, 21, FALSE, 'Asia/Tokyo'),"
    " (2, 2, 'Bo', '2026-11-20 19:00:00+00', TRUE, NULL, NULL, 'pending', NULL, 0, FALSE, NULL)",
    "INSERT INTO pushes (user_id, local_date, kind, due_at, status, attempts, asked_pain) VALUES"
    " (1, '2026-11-24', 'check', '2026-11-23 22:00:00+00', 'sent', 1, TRUE)",
    "INSERT INTO morning_pain (user_id, local_date, pain, at) VALUES"
    " (1, '2026-11-23', 4, '2026-11-22 22:05:00+00'),"
    " (1, '2026-11-24', 3, '2026-11-23 22:05:00+00')",
    "INSERT INTO routines (id, user_id, chat_id, local_date, status, phase, position, segment,"
    " stopped, minutes_planned, short, gentle, pain_used, items, version, created_at,"
    " ended_at, updated_at, end_pain) VALUES"
    " (7, 1, 1, '2026-11-23', 'done', 'ended', 0, 0, FALSE, 15, FALSE, FALSE, 4, '[]', 3,"
    " '2026-11-23 09:00:00+00', '2026-11-23 09:20:00+00', '2026-11-23 09:20:00+00', 5)",
    "INSERT INTO exercise_records (routine_id, idx, user_id, local_date, exercise_id, dose,"
    " outcome, pain_kind, pain, pain_at) VALUES"
    " (7, 0, 1, '2026-11-23', 'bird_dog', '{}', 'hurt', 'ache', 7, '2026-11-23 09:10:00+00'),"
    " (7, 1, 1, '2026-11-23', 'glute_bridge', '{}', 'done', NULL, NULL, NULL)",
]


def test_the_migration_copies_every_pain_already_told_into_the_stream(
    empty_db_url: str,
) -> None:
    upgrade_sync(empty_db_url, "0005")
    _sql(empty_db_url, *LEGACY)
    upgrade_sync(empty_db_url)
    rows = _sql(
        empty_db_url,
        "SELECT user_id, local_date, kind, value, source, routine_id, exercise_id"
        " FROM pain_reports ORDER BY at, id",
    )
    assert [tuple(str(v) if v is not None else None for v in row) for row in rows] == [
        ("1", "2026-11-21", "baseline", "6", "onboarding", None, None),
        ("1", "2026-11-23", "morning", "4", "morning_question", None, None),
        ("1", "2026-11-23", "during", "7", "hurt", "7", "bird_dog"),
        ("1", "2026-11-23", "end", "5", "end_question", "7", None),
        ("1", "2026-11-24", "morning", "3", "rest_day_question", None, None),
    ]
    # And back: the stream and the answers' column go, what was there stays.
    command.downgrade(alembic_config(empty_db_url), "0005")
    assert _sql(empty_db_url, "SELECT count(*) FROM morning_pain") == [(2,)]
    assert _sql(empty_db_url, "SELECT count(*) FROM exercise_records") == [(2,)]
    upgrade_sync(empty_db_url)
    assert _sql(empty_db_url, "SELECT count(*) FROM pain_reports") == [(5,)]


# --------------------------------------------------------------------------- every place writes


async def test_the_routine_and_the_morning_questions_write_the_stream(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    clock.set(utc(2026, 11, 21, 18))
    rid = await play(services, end_pain=3, hurt=4)
    # "It hurt" told later, about the second exercise.
    assert await services.player.hurt_later(USER, rid, 1, PainKind.ACHE, 6) is Afterwards.RECORDED
    # The next morning's push asks (a routine to judge); the button answers.
    clock.set(utc(2026, 11, 22, 7))
    recorder = Recorder()
    await services.pushes.run_due(recorder)
    [job] = recorder.jobs
    assert job.ask_pain
    await services.pushes.morning_pain(USER, job.push_id, 2)
    assert await stream(services) == [
        ("during", "hurt", 4),
        ("end", "end_question", 3),
        ("during", "hurt", 6),
        ("morning", "morning_question", 2),
    ]


async def test_a_typed_score_is_stored_as_what_the_person_said_it_was_about(
    services: Services, clock: FrozenClock
) -> None:
    assert await services.pain.typed(USER, 5, When.NOW) is None  # nobody set up
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    clock.set(utc(2026, 11, 21, 9))
    now = await services.pain.typed(USER, 5, None)
    assert now == PainRecord(
        at=utc(2026, 11, 21, 9),
        local_date=SATURDAY,
        kind=ReportKind.NOW,
        value=5,
        source=Source.TYPED,
    )
    during = await services.pain.typed(USER, 6, When.DURING)
    assert during is not None and during.kind is ReportKind.DURING
    with pytest.raises(ValueError, match=r"0\.\.10"):
        await services.pain.typed(USER, 11, When.NOW)
    # A morning score typed before the push answers today's morning question: it is not
    # asked again, and a second typed morning does not replace the first answer there.
    clock.set(utc(2026, 11, 21, 6, 30))
    morning = await services.pain.typed(USER, 6, When.MORNING)
    assert morning is not None and morning.kind is ReportKind.MORNING
    await services.pain.typed(USER, 4, When.MORNING)
    assert await morning_answers(services, USER) == [(SATURDAY, 6)]
    assert await stream(services) == [
        ("morning", "typed", 6),
        ("morning", "typed", 4),
        ("now", "typed", 5),
        ("during", "typed", 6),
    ]


@pytest.mark.parametrize(("typed", "stepped"), [(2, True), (6, False)])
async def test_a_typed_morning_judges_the_routine_before_it(
    services: Services, clock: FrozenClock, typed: int, stepped: bool
) -> None:
    # Issue 14: a typed "my back is worse this morning, 6/10" was dropped.
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    for day, morning in ((21, 2), (23, typed)):
        clock.set(utc(2026, 11, day, 18))
        await play(services, end_pain=1)
        assert await services.player.feel(USER, Feel.EASY) is FeelAnswer.RECORDED
        clock.set(utc(2026, 11, day + 1, 6, 45))
        await services.pain.typed(USER, morning, When.MORNING)
    view = await services.plans.view(USER)
    assert view is not None
    async with services.sessions() as s:
        kinds = {c.kind for c in await s.scalars(select(PlanChange))}
    assert (ChangeKind.DOSE_UP.value in kinds) is stepped


async def test_the_newest_report_builds_the_routine_whatever_its_kind(
    services: Services, clock: FrozenClock
) -> None:
    seen: list[int] = []
    build = services.player.builder

    def spy(library: object, request: object) -> object:
        seen.append(request.pain)  # type: ignore[attr-defined]
        return build(library, request)  # type: ignore[arg-type]

    services.player.builder = spy  # type: ignore[assignment]
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    clock.set(utc(2026, 11, 21, 7))
    await services.pain.typed(USER, 3, When.MORNING)
    clock.set(utc(2026, 11, 21, 8))
    await services.pain.typed(USER, 5, None)  # a newer "now" wins over this morning's 3
    clock.set(utc(2026, 11, 21, 9))
    await play(services, end_pain=8)
    clock.set(utc(2026, 11, 22, 9))  # no answer since: last night's 8 counts, a gentle day
    opened = await services.player.open(USER, USER)
    assert opened.snapshot is not None and opened.snapshot.gentle
    assert seen == [5, 8]


async def test_the_export_carries_the_stream(services: Services, clock: FrozenClock) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    await services.pain.typed(USER, 4, When.NOW)
    export = await services.privacy.export(USER)
    assert export is not None
    [row] = export.document["tables"]["pain_reports"]
    assert (row["kind"], row["value"], row["source"]) == ("now", 4, "typed")
    assert (row["at"], row["local_date"]) == (utc(2026, 11, 21, 6).isoformat(), "2026-11-21")
