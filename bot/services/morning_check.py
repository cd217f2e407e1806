"""The rest-day morning question: after every routine (or a hurt), ask the next morning anyway.

The next morning judges every routine, and no answer is not "settled" (bot.domain.adaptation).
A chosen morning's push asks "How is your back this morning?" itself (`needs_morning_check`).
When the morning after a routine, or after an exercise was said to hurt, is a rest day, this
module queues the question as a push of kind "check": a row in `pushes`, pending until the
usual time, claimed by the push tick like a snooze reminder. The unique (user, local date,
kind) key keeps it to one question per morning, whatever repeats.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.repos import insert_ignoring_conflicts
from bot.db.tables import ExerciseRecord, Push, User
from bot.domain.onboarding import days_from_mask
from bot.domain.safety import PainKind
from bot.domain.schedule import local_fire_time, rest_day_check

CHECK = "check"


async def had_sharp_pain(s: AsyncSession, routine_id: int) -> bool:
    """Whether any exercise of this routine gave a sharp or shooting pain."""
    stmt = select(
        exists().where(
            ExerciseRecord.routine_id == routine_id,
            ExerciseRecord.pain_kind.in_([PainKind.SHARP.value, PainKind.SHOOTING.value]),
        )
    )
    return bool(await s.scalar(stmt))


async def plan_check(s: AsyncSession, user: User, *, after: date, now: datetime) -> None:
    """Queue the question for the first morning after local date `after`, if it is a rest day.

    Call inside the transaction that ends the routine or stores the hurt; a second call for
    the same morning finds the first one's row and adds nothing.
    """
    if user.tz is None or user.push_time is None or not user.days_mask:
        return
    due = rest_day_check(
        now, tz=user.tz, days=days_from_mask(user.days_mask), at=user.push_time, after=after
    )
    if due is None:
        return
    row = {
        "user_id": user.id,
        "local_date": due.local_date,
        "kind": CHECK,
        "due_at": due.due_utc,
        "status": "pending",
        "attempts": 0,
        "asked_pain": True,
    }
    await s.execute(insert_ignoring_conflicts(s, Push, [row], ["user_id", "local_date", "kind"]))


async def retime_checks(s: AsyncSession, user: User) -> None:
    """Follow a changed time, zone or weekdays: pending checks move, or go if not needed.

    A check whose morning became a chosen day is cancelled (that push asks instead).
    """
    checks = list(
        await s.scalars(
            select(Push).where(
                Push.user_id == user.id, Push.kind == CHECK, Push.status == "pending"
            )
        )
    )
    if not checks:
        return
    if user.tz is None or user.push_time is None or not user.days_mask:
        await _cancel(s, [c.id for c in checks])
        return
    days = days_from_mask(user.days_mask)
    gone = []
    for check in checks:
        if check.local_date.weekday() in days:
            gone.append(check.id)
        else:
            check.due_at = local_fire_time(check.local_date, user.push_time, ZoneInfo(user.tz))
    await _cancel(s, gone)


async def _cancel(s: AsyncSession, ids: list[int]) -> None:
    if ids:
        await s.execute(
            update(Push)
            .where(Push.id.in_(ids), Push.status == "pending")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
