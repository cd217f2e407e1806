"""Scripted people for the end-to-end tests: each taps whatever question is on their screen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.chat.offline.botapi import MemoryBotApi

# The onboarding answers (label prefixes), ending with the choice to wait for the first push.
ONBOARDING: Final = (
    "I agree",
    "3",
    "Longer",
    "Active",
    "Mon · Tue · Thu · Fri",
    "08:00",
    "Yes,",
    "Wait for the morning",
)


def newest_buttons(api: MemoryBotApi, uid: int) -> dict[str, Any] | None:
    """The user's newest message with buttons (the one a person would tap)."""
    return _with_buttons(api.sent_to(uid))


def _with_buttons(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m for m in reversed(messages) if MemoryBotApi.buttons(m)), None)


@dataclass
class Player:
    """One user answering whatever question is on screen, the way a person taps through.

    The newest message with buttons is answered once, with the first of `wanted` among its
    labels (an exact label first, then a label starting so); red-flag questions get "No" and
    the time zone a typed city. Nothing new for `stuck_after` seconds: the person nudges by
    typing the next of `nudge_with`, and the bot must show the question they are at.
    """

    uid: int
    first_name: str = "Ann"
    wanted: Sequence[str] = ONBOARDING
    at_most: Mapping[str, int] = field(default_factory=dict)  # a label tapped at most so often
    finish: str | None = "Wait for the morning"  # done once the bot answers this tap
    finished: Callable[[list[dict[str, Any]]], bool] | None = None  # or: done once this holds
    city: str = "Sydney"
    stuck_after: float = 10.0
    nudge_with: Sequence[str] = ("/start",)
    answered: int = 0  # message_id of the last question answered
    at: float = 0.0
    actions: int = 0
    nudges: int = 0
    finishing: bool = False
    done: bool = False
    tapped: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    def step(self, api: MemoryBotApi, now: float) -> None:
        """Answer the newest question if it is new; nudge if nothing comes back."""
        messages = api.sent_to(self.uid)
        if self.finished is not None and self.finished(messages):
            self.done = True
            return
        if not messages:
            if not self.actions:
                self._do(api, now, "/start")
            elif now - self.at > self.stuck_after:
                self._nudge(api, now)
            return
        if self.finishing and messages[-1]["message_id"] > self.answered:
            self.done = True
            return
        question = _with_buttons(messages)
        if question is not None and question["message_id"] > self.answered:
            self.answered = question["message_id"]
            self._answer(api, now, question)
        elif now - self.at > self.stuck_after:
            # The answer to the last tap never came (a lost reply, a dead worker): as a
            # person would, say something; the bot shows the question where things stand.
            self._nudge(api, now)

    def _nudge(self, api: MemoryBotApi, now: float) -> None:
        self.nudges += 1
        self._do(api, now, self.nudge_with[(self.nudges - 1) % len(self.nudge_with)])

    def _choose(self, labels: list[str]) -> str:
        if labels == ["Yes", "No"]:  # a red-flag question
            return "No"
        allowed = [w for w in self.wanted if self.tapped[w] < self.at_most.get(w, 1_000_000)]
        exact = next((w for w in allowed if w in labels), None)
        if exact is not None:
            return exact
        prefix = next((w for w in allowed for label in labels if label.startswith(w)), "")
        assert prefix, f"user {self.uid}: unexpected question {labels}"
        return prefix

    def _answer(self, api: MemoryBotApi, now: float, question: dict[str, Any]) -> None:
        buttons = MemoryBotApi.buttons(question)
        labels = [label for label, _ in buttons]
        if "Pick a UTC offset" in labels:
            self._do(api, now, self.city)
            return
        choice = self._choose(labels)
        self.tapped[choice] += 1
        data = next((d for label, d in buttons if label == choice), None)
        data = data or next(d for label, d in buttons if label.startswith(choice))
        self.finishing = choice == self.finish
        self._do(api, now, f"[{choice}]", press=(question["message_id"], data))

    def _do(
        self, api: MemoryBotApi, now: float, action: str, press: tuple[int, str] | None = None
    ) -> None:
        if press is None:
            api.user_says(self.uid, action, first_name=self.first_name)
        else:
            api.user_presses(self.uid, *press)
        self.at, self.actions = now, self.actions + 1
        self.log.append(action)
