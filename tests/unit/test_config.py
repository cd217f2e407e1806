"""Configuration: defaults, validation, and the one-line errors `backcoach` exits with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_defaults_need_nothing_but_give_sqlite_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("BACKCOACH_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///backcoach.db"
    assert settings.push_rate == 30
    assert settings.token is None


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BACKCOACH_PUSH_RATE=12\nBACKCOACH_LOG_LEVEL=DEBUG\n")
    settings = load_settings()
    assert settings.push_rate == 12
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1/test", "postgresql+asyncpg://postgres@127.0.0.1/test"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_the_async_driver(url: str, expected: str) -> None:
    assert load_settings(database_url=url).database_url == expected


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"database_url": "not a url"}, "BACKCOACH_DATABASE_URL"),
        ({"database_url": "mysql://root@localhost/db"}, "BACKCOACH_DATABASE_URL"),
        ({"default_timezone": "Mars/Olympus"}, "BACKCOACH_DEFAULT_TIMEZONE"),
        ({"push_rate": 0}, "BACKCOACH_PUSH_RATE"),
        ({"webhook_port": 70000}, "BACKCOACH_WEBHOOK_PORT"),
    ],
)
def test_bad_settings_name_the_setting(overrides: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(**overrides)
    assert str(err.value).startswith(names)
    assert "\n" not in str(err.value)


def test_secrets_do_not_show_in_repr() -> None:
    settings = load_settings(token="123456:SECRET-TOKEN-VALUE", webhook_secret="s" * 20)
    assert "SECRET-TOKEN-VALUE" not in repr(settings)
    assert "s" * 20 not in repr(settings)


def test_malformed_database_url_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", BACKCOACH_DATABASE_URL="nonsense://", BACKCOACH_TOKEN="1:x")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BACKCOACH_DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_webhook_without_secret_exits_2(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "run",
        "--webhook",
        BACKCOACH_TOKEN="1:x",
        BACKCOACH_WEBHOOK_URL="https://example.org/telegram",
    )
    assert result.returncode == 2
    assert "BACKCOACH_WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_polling_without_token_explains_botfather_and_the_shell(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "backcoach shell" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "backcoach.db").exists()


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "backcoach.db").exists()


def test_env_example_lists_every_setting() -> None:
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"BACKCOACH_{name.upper()}=" in example, name
