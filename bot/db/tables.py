"""SQLAlchemy 2 tables: the state of record for every user, dialog and screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}  # noqa: RUF012


class User(Base):
    """One Telegram user and their profile; the row exists from /start until /delete."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    # False once Telegram says the user blocked the bot (403 or my_chat_member "kicked").
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    # pending | clear | doctor | emergency — only "clear" may ever get a routine.
    safety: Mapped[str] = mapped_column(String(16), default="pending")
    baseline_pain: Mapped[int | None] = mapped_column(SmallInteger)
    pain_duration: Mapped[str | None] = mapped_column(String(16))
    activity: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    # Chosen weekdays as a bit mask, bit 0 = Monday.
    days_mask: Mapped[int] = mapped_column(SmallInteger, default=0)
    push_time: Mapped[time | None] = mapped_column(Time)
    tz: Mapped[str | None] = mapped_column(String(64))
    paused_until: Mapped[datetime | None]
    paused_indefinitely: Mapped[bool] = mapped_column(Boolean, default=False)
    # The next morning push, kept current whenever days, time, zone or pause change.
    next_due_at: Mapped[datetime | None]
    next_due_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_users_next_due_at", "next_due_at"),)


class Dialog(Base):
    """Where a user stands in a conversation; read on every update, so any worker can answer."""

    __tablename__ = "dialogs"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped on every answer; buttons carry it, so a stale or doubled tap is recognised.
    version: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class SafetyScreen(Base):
    """One pass through the red-flag questions, kept with its answers and time."""

    __tablename__ = "safety_screens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    verdict: Mapped[str | None] = mapped_column(String(16))


class HandledUpdate(Base):
    """Updates whose effect is stored, so one redelivered after a crash is not applied twice.

    Written in the same transaction as the change the update makes, so a crash before the
    commit leaves neither, and Telegram's resend is then applied once.
    """

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    # False while the reply is still owed: a redelivery then shows the step again, once.
    replied: Mapped[bool] = mapped_column(default=False, server_default=true())


class Push(Base):
    """One morning message (or its single snooze reminder): one row per user, day and kind.

    The row is written in the same transaction that claims the user, before the request goes
    to Telegram; the unique key is what makes a second send impossible, whatever crashes.
    """

    __tablename__ = "pushes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    # No index of its own: the unique key below starts with it.
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    # morning | reminder (a snooze sends the reminder once, at its own due time) | check (the
    # pain question alone on a rest day after a sore routine; see bot/services/morning_check)
    kind: Mapped[str] = mapped_column(String(8))
    # The reminder's morning push, whose buttons and answers it shares.
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("pushes.id", ondelete="CASCADE"),
    )
    due_at: Mapped[datetime]
    # pending | sending | sent | blocked | failed | unknown | dropped | cancelled
    status: Mapped[str] = mapped_column(String(12))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(64))
    asked_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    # started | snoozed | skipped — the user's answer to the morning buttons; answered — a check's.
    response: Mapped[str | None] = mapped_column(String(12))
    responded_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "local_date", "kind", name="uq_pushes_user_day_kind"),
        # Claims look up pending reminders by due time; the sweep looks up stale sends.
        Index("ix_pushes_status_due_at", "status", "due_at"),
    )


class MorningPain(Base):
    """The 0–10 answer to "How is your back this morning?", once per user and local day.

    It says whether today's morning question is answered (the first answer counts here);
    every answer, and every other pain report, is also a row of `pain_reports`, which the plan,
    the routine builder and /progress read.
    """

    __tablename__ = "morning_pain"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    pain: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime]


class PlayedRoutine(Base):
    """One day's routine as played: its exercises, where the user stands, and how it ended.

    Everything the player needs to continue after a crash is in this row (and the pending
    timer it points at); the chat layer keeps nothing that cannot be rebuilt from it.
    """

    __tablename__ = "routines"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    local_date: Mapped[date] = mapped_column(Date)
    # open | done | stopped | declined | safety | expired
    status: Mapped[str] = mapped_column(String(10))
    # The player's place: see bot.domain.player.State.
    phase: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    segment: Mapped[int] = mapped_column(SmallInteger, default=0)
    left_ms: Mapped[int | None] = mapped_column(Integer)
    back_phase: Mapped[str | None] = mapped_column(String(12))
    hurt_kind: Mapped[str | None] = mapped_column(String(16))
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes_planned: Mapped[int] = mapped_column(SmallInteger)
    short: Mapped[bool] = mapped_column(Boolean, default=False)
    gentle: Mapped[bool] = mapped_column(Boolean, default=False)
    pain_used: Mapped[int] = mapped_column(SmallInteger)
    # [{exercise_id, section, dose, est_seconds}] as built, so a restart replays the same plan.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The message whose buttons are live; a button on any other message is stale.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The pending timer of a running hold or rest (no foreign key: the two rows point at
    # each other, and the timer row already names its routine).
    timer_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped on every change; the chat layer records a sent card only if nothing moved since.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    end_pain: Mapped[int | None] = mapped_column(SmallInteger)
    # The answer to "How did that feel?" (bot.domain.feel.Feel: easy | right | hard), once.
    feel: Mapped[str | None] = mapped_column(String(8))
    feel_at: Mapped[datetime | None]
    # What the plan changed when this routine was built (bot.domain.adaptation.Change as
    # JSON), shown on its intro card.
    plan_notes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_routines_user_id_local_date", "user_id", "local_date"),
        # One open routine per user: two /routine at once cannot open two.
        Index(
            "uq_routines_open_user",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class ExerciseRecord(Base):
    """One exercise of a played routine: its dose, and whether it was done, skipped or hurt."""

    __tablename__ = "exercise_records"

    routine_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("routines.id", ondelete="CASCADE"),
        primary_key=True,
    )
    idx: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    # Copied from the routine, so "what did this user do lately" is one indexed query.
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    exercise_id: Mapped[str] = mapped_column(String(40))
    dose: Mapped[dict[str, Any]]
    shown_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    # done | skipped | hurt | stopped; empty while open or never reached
    outcome: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime | None]
    # The latest pain report for this exercise (a bot.domain.safety.PainKind and 0–10).
    pain_kind: Mapped[str | None] = mapped_column(String(16))
    pain: Mapped[int | None] = mapped_column(SmallInteger)
    pain_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_exercise_records_user_id_local_date", "user_id", "local_date"),)


class PainReport(Base):
    """One pain report, whatever brought it: the one stream every reader of pain uses.

    `kind` and `source` are bot.domain.pain.ReportKind and Source; `local_date` is the user's
    day the report is about (the morning's, the routine's, or the day it was told).
    """

    __tablename__ = "pain_reports"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    local_date: Mapped[date] = mapped_column(Date)
    # baseline | morning | during | end | now
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(SmallInteger)
    # onboarding | settings | morning_question | rest_day_question | typed | end_question | hurt
    source: Mapped[str] = mapped_column(String(20))
    # The routine (and exercise) an end or during report belongs to.
    routine_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("routines.id", ondelete="CASCADE"),
    )
    exercise_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        # The newest report of a user (or of a batch of users) is one index scan.
        Index("ix_pain_reports_user_id_at", "user_id", "at"),
        CheckConstraint("value BETWEEN 0 AND 10", name="value_range"),
    )


class RoutineTimer(Base):
    """A hold or rest timer: fired at most once (claimed by pending → fired), kept as history."""

    __tablename__ = "routine_timers"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    routine_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("routines.id", ondelete="CASCADE"),
        index=True,
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[int] = mapped_column(SmallInteger)
    # hold | rest
    kind: Mapped[str] = mapped_column(String(8))
    # The whole part's length, and this run's (shorter after a pause).
    seconds: Mapped[int] = mapped_column(Integer)
    run_ms: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    # pending | fired | cancelled | missed
    status: Mapped[str] = mapped_column(String(10))
    # Whether the end of a fired timer was announced (or nothing was owed): one that stays
    # False belonged to a process that died in between, and the sweep announces it late.
    released: Mapped[bool] = mapped_column(default=False, server_default=true())
    fired_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_routine_timers_status_due_at", "status", "due_at"),)


class SummarySettings(Base):
    """When the weekly summary comes; made for each onboarded user by the summary tick."""

    __tablename__ = "summary_settings"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, default=6)  # 0 = Monday; Sunday default
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The next summary's due time; the tick claims rows whose time has come.
    next_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_summary_settings_next_at", "next_at"),)


class WeeklySummary(Base):
    """One weekly summary, written when it is claimed: at most one per user and ISO week."""

    __tablename__ = "weekly_summaries"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)  # the Monday of the summary day's week
    local_date: Mapped[date] = mapped_column(Date)  # the summary day; it covers the 7 up to it
    # sending | sent | blocked | failed | unknown
    status: Mapped[str] = mapped_column(String(8))
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("user_id", "week_start", name="uq_weekly_summaries_week"),)


class StoredPlan(Base):
    """A user's adaptive plan (bot.domain.adaptation.Plan as JSON) and what it has folded in."""

    __tablename__ = "plans"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class PlanChange(Base):
    """One change to a plan with its reason: the history /plan and the intro card show."""

    __tablename__ = "plan_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(24))
    exercise_id: Mapped[str | None] = mapped_column(String(40))
    # The Change as JSON (before/after doses or ids, until, params), for rendering.
    detail: Mapped[dict[str, Any]]


class PlanOffer(Base):
    """A change the plan suggests and the user decides on: a swap or a level up."""

    __tablename__ = "plan_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    # The Offer as JSON (kind, reason, exercise_id, alternatives, level).
    detail: Mapped[dict[str, Any]]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(40))
