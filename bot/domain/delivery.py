"""Where one Telegram update stands: never seen, stored with its reply owed, or done."""

from __future__ import annotations

from enum import Enum


class Delivery(Enum):
    """What a (re)delivered update still needs."""

    NEW = "new"  # no effect on record: handle it as usual
    OWED = "owed"  # its effect is stored, its reply may not have gone out: show the step
    DONE = "done"  # effect stored and reply sent: a repeat is dropped quietly
