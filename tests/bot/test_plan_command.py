"""/plan through the real Application: before set-up, a fresh plan, and one with changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telegram import Update
from test_onboarding import FULL, USER, answer_all

from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import PlanChange, PlanOffer
from bot.domain.adaptation import Change, ChangeKind, Offer, OfferKind, Plan, Reason
from bot.domain.adaptation_inputs import alternatives
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


async def _offer(services: Services, offer: Offer) -> None:
    async with services.sessions.begin() as s:
        s.add(
            PlanOffer(
                user_id=USER, created_at=services.clock.now(), detail=offer.model_dump(mode="json")
            )
        )


async def test_a_level_offer_is_shown_and_taken_once(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    today = date(2026, 11, 21)
    await _offer(services, Offer(kind=OfferKind.LEVEL_UP, reason=Reason.STEADY, on=today, level=3))
    await chat.say("/plan")
    assert "Move up to level 3?" in chat.last_text()
    plan_message = chat.api.last_message(USER)
    await chat.press("Yes, level 3")
    assert "Level 2 → 3 — you chose it" in chat.last_text()
    user = await services.users.get(USER)
    assert user is not None and user.level == 3
    # The same button again changes nothing.
    data = next(d for label, d in MemoryBotApi.buttons(plan_message) if label == "Yes, level 3")
    update = chat.api.user_presses(USER, plan_message["message_id"], data)
    await chat.app.process_update(Update.de_json(update, chat.app.bot))
    toast = chat.api.calls("answerCallbackQuery")[-1].params.get("text")
    assert toast == "That suggestion has already been answered."
    await chat.say("/plan")
    assert "Move up" not in chat.last_text() and "level 3" in chat.last_text()


async def test_a_swap_offer_can_be_taken_or_kept(chat: Conversation, services: Services) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    library = services.plans.library
    today = date(2026, 11, 21)
    plan = Plan.start(level=2)
    options = alternatives(plan, library, "bird_dog", today, limit=3)
    assert options
    offer = Offer(
        kind=OfferKind.SWAP, reason=Reason.SKIPPED_OFTEN, on=today, exercise_id="bird_dog",
        alternatives=tuple(options),
    )  # fmt: skip
    await _offer(services, offer)
    await chat.say("/plan")
    assert "skipped Bird dog a few times" in chat.last_text()
    await chat.press(library.get(options[0]).name)
    assert f"Bird dog → {library.get(options[0]).name} — you chose it" in chat.last_text()
    view = await services.plans.view(USER)
    assert view is not None and view.plan.swaps == {"bird_dog": options[0]}

    await _offer(services, offer)
    await chat.say("/plan")
    await chat.press("Keep it")
    assert chat.last_text() == "Okay, nothing changes."
