"""The one wiring file: builds the PTB Application, registers handlers in order, starts jobs."""

from __future__ import annotations

import asyncio

from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.chat import timers as player_timers
from bot.chat.commands import bot_commands
from bot.chat.context import SERVICES_KEY, App, Ctx
from bot.chat.handlers import afterwards, basic, delivery, feel, plan, profile, router
from bot.chat.handlers import player as player_handlers
from bot.chat.handlers import privacy as privacy_handlers
from bot.chat.handlers import progress as progress_handlers
from bot.chat.handlers import pushes as push_handlers
from bot.chat.jobs import schedule_housekeeping, schedule_pushes
from bot.chat.metrics import METRICS_KEY, Metrics, SideServer, TimedUpdates, count_error
from bot.chat.rate_limit import build_rate_limiter
from bot.chat.resilience import build_bot
from bot.domain import timezones, understanding
from bot.services import Services

# Handler groups run in order; the first matching handler of a group wins.
GROUP_REPEATS = -2
GROUP_GUARDS = -1
GROUP_MAIN = 0
GROUP_AFTER = 1

PRIVATE = filters.ChatType.PRIVATE
TYPED = filters.TEXT & ~filters.COMMAND
HOUSEKEEPING_SECONDS = 3600
PRELOAD_KEY = "preload"  # holds the task, so it is not garbage-collected mid-way
SIDE_SERVER_KEY = "side_server"


def build_application(
    services: Services,
    token: str,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    base_url: str | None = None,
    rate_limited: bool = True,
) -> App:
    """The Application with every handler and job, over the given Bot API transport."""
    metrics = Metrics()
    limiter = build_rate_limiter(services.settings, token, metrics) if rate_limited else None
    # Retries what is safe to retry, and cosmetic calls never end a handler (see resilience).
    bot = build_bot(
        token,
        request=request,
        updates_request=updates_request,
        base_url=base_url,
        rate_limiter=limiter,
    )
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder().bot(bot).context_types(ContextTypes(context=Ctx))
    )
    # No Updater: it confirms updates before they are handled (see transports.polling).
    builder = builder.updater(None)
    # One update at a time, as PTB's default, but timed for /metrics.
    builder = builder.concurrent_updates(TimedUpdates(metrics))
    app: App = builder.post_init(on_startup).build()
    app.bot_data[SERVICES_KEY] = services
    app.bot_data[METRICS_KEY] = metrics
    register_handlers(app)
    app.add_error_handler(count_error)
    schedule_pushes(app)
    schedule_housekeeping(app, HOUSEKEEPING_SECONDS)
    player_timers.install(app)
    progress_handlers.schedule_summaries(app)
    return app


def register_handlers(app: App) -> None:
    """Every handler, in the order they must be tried."""
    app.add_handler(delivery.Redelivered(), group=GROUP_REPEATS)
    app.add_handler(basic.NeverSent(app.bot), group=GROUP_GUARDS)
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, basic.on_group), group=GROUP_GUARDS)
    app.add_handler(
        ChatMemberHandler(basic.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        group=GROUP_GUARDS,
    )

    main = [
        CommandHandler("start", profile.on_start, filters=PRIVATE),
        CommandHandler("help", basic.on_help, filters=PRIVATE),
        CommandHandler("plan", plan.on_plan, filters=PRIVATE),
        CallbackQueryHandler(plan.on_offer, pattern=r"^o:"),
        *player_handlers.handlers(),
        *afterwards.handlers(),
        *feel.handlers(),
        *push_handlers.handlers(),
        *privacy_handlers.handlers(),
        *progress_handlers.handlers(),
        CommandHandler("settings", profile.on_settings, filters=PRIVATE),
        CommandHandler("cancel", profile.on_cancel, filters=PRIVATE),
        CallbackQueryHandler(profile.on_button, pattern=r"^p:"),
        CallbackQueryHandler(profile.on_rescreen, pattern=r"^rescreen$"),
        CallbackQueryHandler(profile.on_clearance, pattern=r"^clearance$"),
        MessageHandler(PRIVATE & (TYPED | filters.LOCATION | filters.CAPTION), router.on_text),
        MessageHandler(PRIVATE & filters.COMMAND, basic.on_unknown_text),
        MessageHandler(PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, basic.on_media),
    ]
    app.add_handlers(main, group=GROUP_MAIN)
    app.add_handler(delivery.Handled(), group=GROUP_AFTER)
    app.add_error_handler(basic.on_error)


async def on_startup(app: App) -> None:
    """Work every transport does once the bot is initialised: the command menu, lookups."""
    await app.bot.set_my_commands(bot_commands())
    services: Services = app.bot_data[SERVICES_KEY]
    port = services.settings.metrics_port
    if port and SIDE_SERVER_KEY not in app.bot_data:
        app.bot_data[SIDE_SERVER_KEY] = SideServer(
            app.bot_data[METRICS_KEY],
            services.db_ok,
            asyncio.get_running_loop(),
            services.settings.webhook_listen,
            port,
        ).start()
    # The city index takes about a second to build, the understanding step's vocabulary a
    # tenth of one; do both now, off the event loop, rather than inside a user's first answer.
    app.bot_data[PRELOAD_KEY] = asyncio.create_task(asyncio.to_thread(_preload))


def _preload() -> None:
    timezones.preload()
    understanding.lexicon()
