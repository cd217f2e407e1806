"""The callback context every handler receives, with typed access to the services."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services

SERVICES_KEY = "services"

BotData = dict[str, Any]
ChatData = dict[Any, Any]
UserData = dict[Any, Any]


class Ctx(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    """CallbackContext plus `.services`; PTB's in-memory user/chat data is never relied on."""

    @property
    def services(self) -> Services:
        """The process-wide services (database, clock, use cases)."""
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services


App = Application[ExtBot[None], Ctx, UserData, ChatData, BotData, Any]
