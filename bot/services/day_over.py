"""The day is over once its routine is done, stopped or declined: its push and reminder go.

The rule is pure (bot.domain.schedule: `closes_day`, `day_over`, `next_due`'s `last_over`);
this module reads the routines it needs and moves the rows that follow it. The player calls
`routine_ended` in the transaction that closes a routine, so the user's next due morning is a
later day before the summary names it; the push tick checks again when it claims (a routine
closed before this rule existed, or a snooze tapped after the routine).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import PlayedRoutine, Push, User
from bot.domain.onboarding import days_from_mask
from bot.domain.schedule import DAY_OVER_ENDS, closes_day, day_over, next_due

_OVER = sorted(end.value for end in DAY_OVER_ENDS)


def following(
    user: User, after: datetime, last_local_date: date | None, last_over: date | None = None
) -> tuple[datetime, date] | tuple[None, None]:
    """The next push after `after`, as (due, local date), or (None, None) if none is scheduled.

    Never a date already pushed (up to `last_local_date`) or over (up to `last_over`).
    """
    if not user.days_mask or user.push_time is None or user.tz is None:
        return None, None
    if user.paused_indefinitely:
        return None, None
    due = next_due(
        after,
        tz=user.tz,
        days=days_from_mask(user.days_mask),
        at=user.push_time,
        paused_until=user.paused_until,
        last_local_date=last_local_date,
        last_over=last_over,
    )
    return (None, None) if due is None else (due.due_utc, due.local_date)


async def last_days_over(
    s: AsyncSession, user_ids: Collection[int], since: date | None = None
) -> dict[int, date]:
    """Each user's newest local date (from `since` on) whose routine is behind them; one query."""
    if not user_ids:
        return {}
    stmt = (
        select(PlayedRoutine.user_id, func.max(PlayedRoutine.local_date))
        .where(PlayedRoutine.user_id.in_(user_ids), PlayedRoutine.status.in_(_OVER))
        .group_by(PlayedRoutine.user_id)
    )
    if since is not None:
        # Older days cannot hold back a push for `since` or later: read only the recent rows.
        stmt = stmt.where(PlayedRoutine.local_date >= since)
    return {user_id: day for user_id, day in (await s.execute(stmt)).all()}


async def routine_ended(s: AsyncSession, user_id: int, day: date, end: str, now: datetime) -> None:
    """A routine of local date `day` ended as `end`: if that puts the day behind, so do pushes.

    Call inside the transaction that closes the routine (the user row is locked already).
    The day's snooze reminder or rest-day question, still pending, is cancelled, and a next
    due morning on that day moves to the next chosen one.
    """
    if not closes_day(end):
        return
    await s.execute(
        update(Push)
        .where(Push.user_id == user_id, Push.local_date <= day, Push.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    user = await s.get(User, user_id)
    if user is None or user.next_due_date is None or not day_over(user.next_due_date, day):
        return
    # Every date before the next due one is pushed or past, so only `day` needs naming.
    user.next_due_at, user.next_due_date = following(user, now, None, day)
