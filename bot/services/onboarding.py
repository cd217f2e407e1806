"""Onboarding and settings use cases: every answer is one transaction on the dialog row."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import UserRepo, first_delivery
from bot.db.tables import Dialog, SafetyScreen, User
from bot.domain import onboarding as ob
from bot.domain.pain import ReportKind, Source
from bot.domain.safety import Urgency, clearance_from
from bot.services import pain as pain_stream
from bot.services.clock import Clock

# Called inside the transaction whenever days, time, zone or the safety status change.
Reschedule = Callable[[AsyncSession, User, datetime], Awaitable[None]]

FLOW = "profile"
FLAGGED = frozenset({"doctor", "emergency"})  # safety statuses a red flag left
CLEARED_BY = "clinician_cleared"  # safety_screens.reason of a confirmed all-clear
VERSION_SPACE = 1_000_000_000
_SCHEDULE_FIELDS = {"days_mask", "push_time", "tz", "safety"}


@dataclass(frozen=True)
class View:
    """What the chat layer shows after an event: the question to ask or how things ended."""

    user: User | None
    step: ob.Step | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    hint: ob.Step | None = None
    end: ob.End | None = None
    action: str | None = None
    stale: bool = False
    resumed: bool = False
    is_new: bool = False
    repeated: bool = False  # a redelivered update: the question stands as it was
    heard: str | None = None  # why the bot asks a safety question now (see Heard)
    note: str | None = None  # a word before the next question ("high_pain")


class Heard:
    """Why a safety question comes now, for the one line the chat shows before it."""

    FLAG = "flag"  # a red-flag phrase: its question asked back
    LEG = "leg"  # leg symptoms: recorded, the screen comes back
    UNSURE_LEG = "unsure_leg"  # maybe leg symptoms: asked
    LATER = "later"  # mentioned during the screen: its question is still to come
    NO_CONSENT = "no_consent"  # before consent nothing is stored: the questions come next
    CLEARED = "cleared"  # a clinician's all-clear noted: one more pass through the screen


async def _noop(_s: AsyncSession, _u: User, _now: datetime) -> None:
    return None


class OnboardingService:
    """Start, continue, change and cancel the profile conversation."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        reschedule: Reschedule = _noop,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.reschedule = reschedule

    async def begin(self, user_id: int, chat_id: int, first_name: str) -> View:
        """/start: a new user starts at consent; a known one resumes or is welcomed back."""
        now = self.clock.now()
        try:
            async with self.sessions.begin() as s:
                return await self._begin(s, user_id, chat_id, first_name, now)
        except IntegrityError:
            # A second /start raced us to create the row: answer as the row now stands.
            async with self.sessions.begin() as s:
                return await self._begin(s, user_id, chat_id, first_name, now)

    async def _begin(
        self, s: AsyncSession, user_id: int, chat_id: int, first_name: str, now: datetime
    ) -> View:
        repo = UserRepo(s)
        user = await repo.get(user_id, for_update=True)
        if user is None:
            user = await repo.add(user_id, chat_id, first_name, now)
            step, data = ob.start()
            dialog = await self._open(s, user_id, step, data, now)
            return self._view(user, dialog, is_new=True)
        user.chat_id, user.active = chat_id, True
        existing = await s.get(Dialog, user_id)
        if existing is not None:
            return self._view(user, existing, resumed=True)
        if user.onboarded_at is not None or user.safety in {"doctor", "emergency"}:
            return View(user=user)
        # Known but never finished (for example after /cancel): pick up where it makes sense.
        step, data = ob.start() if user.consent_at is None else ob.start_safety(None)
        if user.consent_at is not None and user.safety == "clear":
            step, data = ob.Step.PAIN, {}
        dialog = await self._open(s, user_id, step, data, now)
        return self._view(user, dialog, resumed=True)

    async def open_settings(self, user_id: int) -> View:
        """/settings: the menu of what can be changed (onboarded users only)."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            if user is None or user.onboarded_at is None:
                return View(user=user)
            step, data = ob.start(settings=True)
            dialog = await self._open(s, user_id, step, data, now)
            return self._view(user, dialog)

    async def rescreen(
        self, user_id: int, reason: str, *, resume: dict[str, Any] | None = None
    ) -> View:
        """Ask the red-flag questions again (leg symptoms, sharp pain); no routine until clear.

        "retake" (the person's own choice) starts over and returns to the settings menu; the
        bot's own rescreen returns to whatever question it interrupted, or simply ends, and a
        screen already under way goes on where it is.
        """
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            if user is None:
                return View(user=None)
            dialog = await s.get(Dialog, user_id)
            if user.consent_at is None:
                return self._view(user, dialog, heard=Heard.NO_CONSENT) if dialog else View(user)
            flagged = reason == "retake" and user.safety in FLAGGED
            if flagged and not await self._cleared(s, user_id):
                # A red flag holds routines until a clinician's all-clear is confirmed.
                return View(user=user, end=ob.End(user.safety))
            user.safety = "pending"
            await self.reschedule(s, user, now)
            if dialog is not None and dialog.step == ob.Step.SAFETY.value and reason != "retake":
                return self._view(user, dialog, heard=Heard.LEG)
            if reason == "retake":
                step, data = ob.start_safety(ob.Step.SETTINGS if user.onboarded_at else None)
            else:
                back = _resumable(dialog) if dialog is not None else resume
                step, data = ob.start_safety(None, resume=back, close=back is None)
            data["reason"] = reason
            if reason == "retake" and _standing(dialog, step, data):
                return self._view(user, dialog, repeated=True)  # a second tap on the button
            s.add(SafetyScreen(user_id=user_id, reason=reason, started_at=now, answers={}))
            dialog = await self._open(s, user_id, step, data, now)
            return self._view(user, dialog, heard=Heard.LEG if reason != "retake" else None)

    async def ask_back(self, user_id: int, flags: list[str], *, update_id: int | None) -> View:
        """A red-flag phrase (or unsure leg words): ask that question back, yes or no.

        At the screen's own question about it, the words are its "yes". During the screen,
        flags still to come are left to it; one already answered is asked again.
        """
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            dialog = await s.get(Dialog, user_id)
            asking = _asking(dialog)
            if user is not None and dialog is not None and asking in flags:
                return await self._apply(s, user, dialog, ob.Press("yes"), update_id, now)
            if user is None or user.consent_at is None:
                return self._view(user, dialog, heard=Heard.NO_CONSENT) if dialog else View(user)
            if update_id is not None and not await first_delivery(s, update_id, user_id, now):
                return self._view(user, dialog, repeated=True) if dialog else View(user=user)
            if dialog is not None and dialog.step == ob.Step.SAFETY.value:
                answered = dialog.data.get("answers", {})
                flags = [f for f in flags if f in answered]
                if not flags:
                    return self._view(user, dialog, heard=Heard.LATER)
            step, data = ob.ask_back(flags, _resumable(dialog, keep_flag=True))
            dialog = await self._open(s, user_id, step, data, now)
            heard = Heard.UNSURE_LEG if flags == [ob.LEG] else Heard.FLAG
            return self._view(user, dialog, heard=heard)

    async def ask_clearance(self, user_id: int) -> View:
        """The all-clear button under a red-flag message: ask, or say how long to wait."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            if user is None or user.safety not in FLAGGED:
                return View(user=user, stale=True)
            flagged_at = await self._flagged_at(s, user_id) or now
            ready = clearance_from(Urgency(user.safety), flagged_at)
            if now < ready:
                return View(user=user, end=ob.End.HELD, data={"until": ready.isoformat()})
            data = {"was": user.safety}
            dialog = await s.get(Dialog, user_id)
            if _standing(dialog, ob.Step.CLEARANCE, data):
                return self._view(user, dialog, repeated=True)  # a second tap on the button
            dialog = await self._open(s, user_id, ob.Step.CLEARANCE, data, now)
            return self._view(user, dialog)

    async def clearance(self, user_id: int) -> datetime | None:
        """When the person confirmed a clinician's all-clear, if they have (for /privacy)."""
        async with self.sessions.begin() as s:
            return await s.scalar(
                select(func.max(SafetyScreen.started_at)).where(
                    SafetyScreen.user_id == user_id, SafetyScreen.reason == CLEARED_BY
                )
            )

    async def _flagged_at(self, s: AsyncSession, user_id: int) -> datetime | None:
        return await s.scalar(
            select(func.max(SafetyScreen.finished_at)).where(
                SafetyScreen.user_id == user_id, SafetyScreen.verdict.in_(sorted(FLAGGED))
            )
        )

    async def _cleared(self, s: AsyncSession, user_id: int) -> bool:
        """Whether a clinician's all-clear was confirmed after the latest red flag."""
        flagged_at = await self._flagged_at(s, user_id)
        cleared = await s.scalar(
            select(func.max(SafetyScreen.started_at)).where(
                SafetyScreen.user_id == user_id, SafetyScreen.reason == CLEARED_BY
            )
        )
        return cleared is not None and (flagged_at is None or cleared >= flagged_at)

    async def ask_score(self, user_id: int, about: dict[str, Any]) -> bool:
        """Keep "how strong was it?" open for a typed answer, unless another question is."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            dialog = await s.get(Dialog, user_id)
            if user is None or (dialog is not None and dialog.step != ob.Step.HURT_SCORE.value):
                return False
            await self._open(s, user_id, ob.Step.HURT_SCORE, dict(about), now)
            return True

    async def close(self, user_id: int, step: ob.Step) -> None:
        """Close the open question if it is `step` (it was answered another way)."""
        async with self.sessions.begin() as s:
            await s.execute(
                delete(Dialog).where(Dialog.user_id == user_id, Dialog.step == step.value)
            )

    async def current(self, user_id: int) -> View | None:
        """The question the user is on, if any (to route free text)."""
        async with self.sessions.begin() as s:
            dialog = await s.get(Dialog, user_id)
            if dialog is None:
                return None
            user = await s.get(User, user_id)
            return self._view(user, dialog)

    async def answer(
        self,
        user_id: int,
        event: ob.Event,
        version: int | None = None,
        *,
        update_id: int | None = None,
    ) -> View:
        """Apply a button press (with the version it was shown at) or a typed answer.

        The version names the question, not one drawing of it: a toggle redraws the same
        question and keeps it, so a quick second tap on the drawing before still applies,
        while a press on a question the conversation has left is stale.

        A typed answer carries its update id: if Telegram delivers it again after a crash,
        it is not taken as the answer to the next question too (a safety "no" twice, say).
        """
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await UserRepo(s).get(user_id, for_update=True)
            dialog = await s.get(Dialog, user_id)
            if user is None or dialog is None:
                return View(user=user, stale=True)
            if version is not None and version != dialog.version:
                return View(user=user, stale=True)
            return await self._apply(s, user, dialog, event, update_id, now)

    async def _apply(
        self,
        s: AsyncSession,
        user: User,
        dialog: Dialog,
        event: ob.Event,
        update_id: int | None,
        now: datetime,
    ) -> View:
        step = ob.Step(dialog.step)
        profile = ob.Profile(user.baseline_pain, user.pain_duration, user.activity)
        out = ob.advance(step, dialog.data, event, profile)
        if out.hint is not None:
            # Not understood here: nothing is written, so another step may take the words.
            return self._view(user, dialog, hint=out.hint)
        if update_id is not None and not await first_delivery(s, update_id, user.id, now):
            return self._view(user, dialog, repeated=True)
        if out.safety_answer is not None:
            await self._record_safety(s, user.id, dialog.data, out, now)
        answered = dict(out.profile)
        told = answered.get("baseline_pain")
        if told is not None and user.onboarded_at is not None:
            # /settings "Pain today" is today's pain, not a new usual level: mornings are still
            # judged against the baseline given at sign-up.
            del answered["baseline_pain"]
        changed = self._apply_profile(user, answered, now)
        if told is not None:
            # Onboarding's "pain now" and /settings "Pain today": a report like any other.
            today = user.onboarded_at is not None
            await pain_stream.record(
                s, user.id, at=now, local_date=pain_stream.local_date(user, now),
                kind=ReportKind.NOW if today else ReportKind.BASELINE, value=int(told),
                source=Source.SETTINGS if today else Source.ONBOARDING,
            )  # fmt: skip
        if out.end == ob.End.DECLINED:
            # "Not now" stores nothing: the row made at /start goes, with everything on it.
            await s.delete(user)
            return View(user=None, end=out.end)
        if out.end in {ob.End.START_NOW, ob.End.WAIT} and user.onboarded_at is None:
            user.onboarded_at = now
            changed = True
        if changed:
            await s.flush()
            await self.reschedule(s, user, now)
        if out.action == ob.CLEARED_ACTION:
            # Stored with its time (shown in /privacy, in /export), then one more full screen.
            s.add(
                SafetyScreen(
                    user_id=user.id,
                    reason=CLEARED_BY,
                    started_at=now,
                    finished_at=now,
                    answers={"clinician_said_exercise_is_fine": True},
                    verdict=str(dialog.data.get("was", "")) or None,
                )
            )
            user.safety = "pending"
            await self.reschedule(s, user, now)
            step, data = ob.start_safety(ob.Step.SETTINGS if user.onboarded_at else None)
            data["reason"] = "cleared"
            dialog = await self._open(s, user.id, step, data, now)
            return self._view(user, dialog, heard=Heard.CLEARED)
        if out.step is None:
            await s.delete(dialog)
            return View(user=user, end=out.end, action=out.action, data=dict(out.data))
        dialog.step, dialog.data = out.step.value, out.data
        if not out.redraw:
            # A new question: the buttons of the one before no longer act.
            dialog.version += 1
        dialog.updated_at = now
        return self._view(user, dialog, note=out.note)

    async def cancel(self, user_id: int) -> View:
        """/cancel: leave the question; answers already given stay, nothing half-written."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            result = await s.execute(delete(Dialog).where(Dialog.user_id == user_id))
            cancelled = bool(result.rowcount)  # type: ignore[attr-defined]
            return View(user=user, end=ob.End.CLOSED if cancelled else None)

    # --- internals ---------------------------------------------------------------------

    async def _open(
        self, s: AsyncSession, user_id: int, step: ob.Step, data: dict[str, Any], now: datetime
    ) -> Dialog:
        dialog = await s.get(Dialog, user_id)
        # Versions start at random, so buttons of an earlier, closed dialog never match.
        version = secrets.randbelow(VERSION_SPACE)
        if dialog is None:
            dialog = Dialog(user_id=user_id, flow=FLOW, updated_at=now)
            s.add(dialog)
        else:
            version = max(version, dialog.version + 1)
        dialog.step, dialog.data, dialog.version, dialog.updated_at = step.value, data, version, now
        await s.flush()
        return dialog

    def _view(self, user: User | None, dialog: Dialog, **extra: Any) -> View:
        return View(
            user=user, step=ob.Step(dialog.step), data=dict(dialog.data), version=dialog.version,
            **extra,
        )  # fmt: skip

    def _apply_profile(self, user: User, values: dict[str, Any], now: datetime) -> bool:
        """Store answered profile fields; True when the push schedule depends on a change."""
        schedule_changed = False
        for key, value in values.items():
            if key == "consent":
                user.consent_at = now
                continue
            if getattr(user, key) != value:
                setattr(user, key, value)
                schedule_changed = schedule_changed or key in _SCHEDULE_FIELDS
        return schedule_changed

    async def _record_safety(
        self, s: AsyncSession, user_id: int, data: dict[str, Any], out: ob.Outcome, now: datetime
    ) -> None:
        assert out.safety_answer is not None
        flag, answer = out.safety_answer
        stmt = (
            select(SafetyScreen)
            .where(SafetyScreen.user_id == user_id, SafetyScreen.finished_at.is_(None))
            .order_by(SafetyScreen.id.desc())
            .limit(1)
        )
        screen = (await s.execute(stmt)).scalar_one_or_none()
        if screen is None:
            reason = str(data.get("reason", "onboarding" if not data.get("return") else "settings"))
            screen = SafetyScreen(user_id=user_id, reason=reason, started_at=now, answers={})
            s.add(screen)
        screen.answers = {**screen.answers, flag.value: {"yes": answer, "at": now.isoformat()}}
        if out.step != ob.Step.SAFETY:
            screen.finished_at = now
            screen.verdict = str(out.profile.get("safety", "clear"))


def _standing(dialog: Dialog | None, step: ob.Step, data: dict[str, Any]) -> TypeGuard[Dialog]:
    """Whether this very question stands open, untouched: opening it again is a repeat."""
    return dialog is not None and dialog.step == step.value and dialog.data == data


def _resumable(dialog: Dialog | None, *, keep_flag: bool = False) -> dict[str, Any] | None:
    """The question a safety check interrupts, to come back to (a screen never nests)."""
    if dialog is None or dialog.step == ob.Step.SETTINGS.value:
        return None
    if dialog.step == ob.Step.FLAG.value and not keep_flag:
        return None
    return {"step": dialog.step, "data": dict(dialog.data)}


def _asking(dialog: Dialog | None) -> str | None:
    """The red flag (or LEG) the open dialog's current question is about, if any."""
    if dialog is None:
        return None
    if dialog.step == ob.Step.FLAG.value:
        return str(dialog.data.get("flag"))
    if dialog.step == ob.Step.SAFETY.value:
        flag = ob.current_flag(dialog.data)
        return flag.value if flag else None
    return None
