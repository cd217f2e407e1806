"""/plan through the real Application: before set-up, a fresh plan, and one with changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from test_onboarding import FULL, USER, answer_all

from bot.chat.transports.shell import Conversation
from bot.db.tables import PlanChange
from bot.domain.adaptation import Change, ChangeKind, Reason
from bot.services import Services


async def test_plan_before_set_up_points_to_start(chat: Conversation) -> None:
    await chat.say("/plan")
    assert "/start" in chat.last_text()


async def test_a_fresh_plan_says_nothing_changed_yet(chat: Conversation) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/plan"])
    text = chat.last_text()
    assert "level 2" in text and "Nothing has changed yet" in text


async def test_plan_lists_the_last_changes_with_their_reasons(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    library = services.plans.library
    bridge = library.get("glute_bridge")
    lighter = bridge.dose_start.model_copy(update={"amount": bridge.dose_start.amount - 2})
    changes = [
        Change(
            kind=ChangeKind.DOSE_DOWN, reason=Reason.HURT_ACHE, on=date(2026, 11, 20),
            exercise_id="glute_bridge", before=bridge.dose_start, after=lighter,
            params={"pain": 4},
        ),
        Change(
            kind=ChangeKind.LADDER_DOWN, reason=Reason.HURT_SHARP, on=date(2026, 11, 20),
            exercise_id="single_leg_bridge", before="single_leg_bridge", after="glute_bridge",
        ),
    ]  # fmt: skip
    async with services.sessions.begin() as s:
        for n, change in enumerate(changes):
            s.add(
                PlanChange(
                    user_id=USER, at=datetime.now().astimezone() - timedelta(minutes=5 - n),
                    local_date=change.on, kind=change.kind.value, reason=change.reason.value,
                    exercise_id=change.exercise_id, detail=change.model_dump(mode="json"),
                )
            )  # fmt: skip
    await chat.say("/plan")
    text = chat.last_text()
    assert "Recent changes" in text
    assert "Glute bridge: 10 reps × 2 sets, rest 30 s → 8 reps × 2 sets, rest 30 s" in text
    assert "it ached (4/10)" in text
    assert "Single-leg bridge → Glute bridge (easier) — it gave a sharp or shooting pain" in text
    # Newest first.
    assert text.index("Single-leg bridge") < text.index("it ached")
