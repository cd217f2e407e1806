"""Run the real `python -m bot run` as a child process against the HTTP Bot API fake."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from fakes.http_botapi import BotApiServer


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bot(
    cwd: Path, db_url: str, server: BotApiServer, *args: str, **env: str
) -> subprocess.Popen[str]:
    """`python -m bot run ARGS` talking to `server`, with only the given BACKCOACH_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    clean.update(
        BACKCOACH_TOKEN=server.api.token,
        BACKCOACH_API_BASE_URL=server.base_url,
        BACKCOACH_DATABASE_URL=db_url,
        BACKCOACH_LOG_LEVEL="INFO",
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=cwd,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, then the exit code and everything it logged; fails if it does not stop."""
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError("the bot did not stop on SIGTERM:\n" + err) from None
    return process.returncode, err


def kill_9(process: subprocess.Popen[str]) -> None:
    """Crash the bot the hard way: no cleanup, no goodbye."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
