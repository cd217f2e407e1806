"""Texts and keyboards of the profile conversation (onboarding and /settings)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.chat import render_player
from bot.chat.dates import WEEKDAYS, when_text
from bot.chat.keyboards import Button, chunked, keyboard
from bot.db.tables import User
from bot.domain import onboarding as ob
from bot.domain.safety import SCREEN_ORDER
from bot.services.onboarding import View
from bot.texts import t

PREFIX = "p"

Rendered = tuple[str, InlineKeyboardMarkup | None]


def callback(version: int, value: str) -> str:
    """Callback data of a profile button: the dialog version it belongs to and its value."""
    return f"{PREFIX}:{version}:{value}"


def parse_callback(data: str) -> tuple[int, str] | None:
    """The (version, value) of a profile button, or None if it is not one of ours."""
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def days_text(mask: int) -> str:
    """Chosen weekdays as 'Mon · Wed · Fri'."""
    days = ob.days_from_mask(mask)
    return " · ".join(WEEKDAYS[d] for d in sorted(days)) or "no days yet"


def local_time(zone: str, now: datetime) -> str:
    """The wall-clock time in `zone` at `now`, as HH:MM."""
    return now.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def local_when(when: datetime, zone: str) -> str:
    """A due time in the user's zone: 'Mon 23 Nov at 07:30'."""
    return when_text(when.astimezone(ZoneInfo(zone)))


CLEARANCE = "clearance"  # callback data of the all-clear button under a red-flag message


def question(view: View, now: datetime) -> Rendered:
    """The current question of `view` with its buttons."""
    assert view.step is not None
    v = view.version

    def b(label_key: str, value: str) -> Button:
        return (t(f"onboarding.{label_key}"), callback(v, value))

    yes_no = [[b("btn_yes", "yes"), b("btn_no", "no")]]
    step, data, user = view.step, view.data, view.user
    match step:
        case ob.Step.CONSENT:
            return t("onboarding.consent"), keyboard(
                [[b("btn_agree", "agree")], [b("btn_later", "later")]]
            )
        case ob.Step.SAFETY:
            return _safety_question(view), keyboard(yes_no)
        case ob.Step.CLEARANCE:
            return t("onboarding.clearance"), keyboard(yes_no)
        case ob.Step.HURT_SCORE:
            return render_player.hurt_later_score(
                int(data["routine"]), int(data["idx"]), str(data["kind"])
            )
        case ob.Step.FLAG:
            flag = str(data["flag"])
            key = "safety.leg_question" if flag == ob.LEG else f"safety.{flag}"
            return t(key), keyboard(yes_no)
        case ob.Step.PAIN:
            grid = [(str(n), callback(v, str(n))) for n in range(11)]
            return t("onboarding.pain"), keyboard([grid[:6], grid[6:]])
        case ob.Step.DURATION:
            rows = [[b(f"btn_{d.value}", d.value)] for d in ob.Duration]
            return t("onboarding.duration"), keyboard(rows)
        case ob.Step.ACTIVITY:
            rows = [[b(f"btn_{a.value}", a.value)] for a in ob.Activity]
            return t("onboarding.activity"), keyboard(rows)
        case ob.Step.LEVEL:
            return t("onboarding.level"), keyboard(
                [[b(f"btn_level_{n}", str(n))] for n in (1, 2, 3)]
            )
        case ob.Step.DAYS:
            rows = [[b("btn_three", "three")], [b("btn_four", "four")], [b("btn_pick", "pick")]]
            return t("onboarding.days"), keyboard(rows)
        case ob.Step.DAYS_PICK:
            picked = set(data.get("picked", []))

            def day(d: int) -> Button:
                # The button sets the opposite of what it shows (see ob.day_toggle).
                label = f"✅ {WEEKDAYS[d]}" if d in picked else WEEKDAYS[d]
                return label, callback(v, ob.day_toggle(d, picked))

            toggles = [day(d) for d in range(7)]
            return t("onboarding.days_pick"), keyboard(
                [*chunked(toggles, 4), [b("btn_done", "done")]]
            )
        case ob.Step.TIME:
            times = [(x, callback(v, x)) for x in ob.TIME_CHOICES]
            return t("onboarding.time"), keyboard(chunked(times, 3))
        case ob.Step.TIME_CONFIRM:
            text = t("onboarding.time_confirm", time=data["time"])
            return text, keyboard([[b("btn_keep", "yes"), b("btn_other_time", "no")]])
        case ob.Step.ZONE:
            return t("onboarding.zone"), keyboard([[b("btn_offset", "offset")]])
        case ob.Step.ZONE_CHOOSE:
            rows = [
                [(str(label), callback(v, str(i)))] for i, (label, _z) in enumerate(data["zones"])
            ]
            return t("onboarding.zone_choose"), keyboard([*rows, [b("btn_other_city", "other")]])
        case ob.Step.ZONE_OFFSET:
            offsets = [(_offset_label(h), callback(v, f"{h:+d}")) for h in ob.OFFSET_CHOICES]
            return t("onboarding.zone_offset"), keyboard(chunked(offsets, 4))
        case ob.Step.ZONE_CONFIRM:
            zone = str(data["zone"])
            text = t("onboarding.zone_confirm", local_time=local_time(zone, now), zone=zone)
            return text, keyboard([[b("btn_right", "yes"), b("btn_wrong", "no")]])
        case ob.Step.SUMMARY:
            assert user is not None
            rows = [[b("btn_start", "start")], [b("btn_wait", "wait")], [b("btn_change", "change")]]
            return summary(user), keyboard(rows)
        case ob.Step.CHANGE:
            keys = ("pain", "level", "days", "time", "zone")
            rows = chunked([b(f"btn_ch_{k}", k) for k in keys], 3)
            return t("onboarding.change"), keyboard([*rows, [b("btn_back", "back")]])
        case ob.Step.SETTINGS:
            assert user is not None
            return settings_text(user), _settings_keyboard(user, v)
    raise AssertionError(f"no rendering for {step}")


def _safety_question(view: View) -> str:
    flag = ob.current_flag(view.data)
    assert flag is not None
    n = SCREEN_ORDER.index(flag) + 1
    parts = [t("safety." + flag.value)]
    parts.insert(0, t("onboarding.safety_progress", n=n, total=len(SCREEN_ORDER)))
    if n == 1:
        parts.insert(0, t("onboarding.safety_intro"))
    return "\n\n".join(parts)


def _offset_label(hours: int) -> str:
    return "UTC" if hours == 0 else f"UTC{hours:+d}".replace("-", "−")


def summary(user: User) -> str:
    """The plan in four lines."""
    return t(
        "onboarding.summary",
        level=user.level,
        days=days_text(user.days_mask),
        time=user.push_time.strftime("%H:%M") if user.push_time else "—",
        zone=user.tz or "—",
        pain=user.baseline_pain if user.baseline_pain is not None else "—",
    )


def settings_text(user: User) -> str:
    """The settings menu's description of the current profile."""
    paused = user.paused_indefinitely or user.paused_until is not None
    return t(
        "onboarding.settings",
        level=user.level,
        pain=user.baseline_pain if user.baseline_pain is not None else "—",
        days=days_text(user.days_mask),
        time=user.push_time.strftime("%H:%M") if user.push_time else "—",
        zone=user.tz or "—",
        pushes=t("onboarding.pushes_paused" if paused else "onboarding.pushes_on"),
    )


def _settings_keyboard(user: User, v: int) -> InlineKeyboardMarkup:
    def b(label_key: str, value: str) -> Button:
        return (t(f"onboarding.{label_key}"), callback(v, value))

    paused = user.paused_indefinitely or user.paused_until is not None
    keys = ("pain", "level", "days", "time", "zone")
    rows = chunked([b(f"btn_ch_{k}", k) for k in keys], 3)
    rows.append(
        [
            b("btn_safety", "safety"),
            b("btn_resume", "resume") if paused else b("btn_pause", "pause"),
        ]
    )
    rows.append([b("btn_close", "close")])
    return keyboard(rows)


def hint(step: ob.Step) -> str:
    """What to say when an answer to `step` was not understood."""
    return t(f"onboarding.hint_{step.value}")


def ending(view: View, *, name: str) -> Rendered:
    """The message that closes the conversation, if the end has one of its own."""
    end, user = view.end, view.user
    match end:
        case ob.End.DECLINED:
            return t("onboarding.declined"), None
        case ob.End.EMERGENCY | ob.End.DOCTOR:
            cleared = keyboard([[(t("onboarding.btn_clearance"), CLEARANCE)]])
            return t(f"onboarding.{end.value}"), cleared
        case ob.End.HELD:
            until = view.data.get("until")
            if until and user is not None and user.tz:
                when = local_when(datetime.fromisoformat(str(until)), user.tz)
                return t("onboarding.held_until", when=when), None
            if until:  # no time zone yet (flagged during set-up): no clock time to give
                return t("onboarding.held_day"), None
            return t("onboarding.held"), None
        case ob.End.START_NOW:
            return t("onboarding.start_now"), None
        case ob.End.WAIT:
            if user is not None and user.next_due_at is not None and user.tz:
                return t("onboarding.wait", when=local_when(user.next_due_at, user.tz)), None
            return t("onboarding.wait_unknown"), None
        case ob.End.CLOSED:
            return t("onboarding.settings_closed"), None
        case ob.End.CLEARED | ob.End.REASSURED:
            return t(f"safety.{end.value}"), None
    return welcome_back(user, name=name), None


def welcome_back(user: User | None, *, name: str) -> str:
    """The greeting of a known user, with their next routine when one is planned."""
    if user is not None and user.next_due_at is not None and user.tz:
        return t(
            "onboarding.welcome_back_next", name=name, when=local_when(user.next_due_at, user.tz)
        )
    return t("onboarding.welcome_back", name=name)
