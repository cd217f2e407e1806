"""Repeated deliveries of one update: one effect and one reply, whatever Telegram resends.

Telegram sends an update again when it never got its confirmation: the process died after
handling it, or a webhook answer was lost. The services store each answer together with its
update id (`first_delivery`, reply still owed), so the effect is never applied twice; these
two handlers make the reply happen once too. The last one runs after every flow and records
the update as handled and answered; the first runs before every flow and drops an update on
record as answered. One that died in between comes back with its reply owed: the flows then
show the step where the conversation stands.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler

from bot.chat.context import Ctx
from bot.domain.delivery import Delivery

log = logging.getLogger(__name__)


def _from_a_person(update: object) -> bool:
    return isinstance(update, Update) and update.effective_user is not None


class Redelivered(BaseHandler[Update, Ctx, None]):
    """Before every flow: drops an update whose effect and reply are both on record."""

    def __init__(self) -> None:
        super().__init__(self._check)

    def check_update(self, update: object) -> bool:
        """Every update from a person (only those can be on record)."""
        return _from_a_person(update)

    async def _check(self, update: Update, context: Ctx) -> None:
        user = update.effective_user
        assert user is not None
        state = await context.services.users.delivery(update.update_id, user.id)
        if state is Delivery.DONE:
            log.debug("update %s delivered again: already answered", update.update_id)
            raise ApplicationHandlerStop
        if state is Delivery.OWED:
            log.debug("update %s delivered again: its reply is owed", update.update_id)


class Handled(BaseHandler[Update, Ctx, None]):
    """After every flow: the update is on record as handled and answered."""

    def __init__(self) -> None:
        super().__init__(self._record)

    def check_update(self, update: object) -> bool:
        """Every update from a person."""
        return _from_a_person(update)

    async def _record(self, update: Update, context: Ctx) -> None:
        user = update.effective_user
        assert user is not None
        await context.services.users.handled(update.update_id, user.id)
