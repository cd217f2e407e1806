#!/bin/sh
# Container entrypoint: migrations first, then the bot.
#   run          polling, or webhook mode when BACKCOACH_WEBHOOK_URL is set
#   anything     passed to `backcoach` unchanged (db upgrade, run --webhook, shell ...)
set -eu

if [ "${1:-run}" = "run" ] && [ "$#" -le 1 ]; then
    # `backcoach run` migrates too; doing it first makes a failed migration its own exit.
    backcoach db upgrade
    if [ -n "${BACKCOACH_WEBHOOK_URL:-}" ]; then
        exec backcoach run --webhook
    fi
    exec backcoach run
fi
exec backcoach "$@"
