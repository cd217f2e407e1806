"""deploy/: the compose file, the Dockerfile, the entrypoint and the systemd units, checked.

No Docker engine or systemd init runs here: files are parsed and checked for what they must say;
the entrypoint and the image's health-check command are run for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.chat.metrics import Metrics, SideServer
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


# ---------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def services(compose: dict[str, object]) -> dict[str, dict[str, object]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def test_compose_names_the_bot_postgres_migrate_and_the_webhook_proxy(
    compose: dict[str, object],
) -> None:
    assert set(services(compose)) == {"postgres", "migrate", "bot", "proxy"}
    assert set(compose["volumes"]) >= {"pgdata"}  # type: ignore[arg-type]


def test_postgres_keeps_its_data_in_a_volume_and_reports_health(
    compose: dict[str, object],
) -> None:
    postgres = services(compose)["postgres"]
    assert str(postgres["image"]).startswith("postgres:")
    assert "pgdata:/var/lib/postgresql/data" in postgres["volumes"]  # type: ignore[operator]
    assert "pg_isready" in str(postgres["healthcheck"])


def test_migrate_runs_once_before_the_bot(compose: dict[str, object]) -> None:
    migrate, bot = services(compose)["migrate"], services(compose)["bot"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["depends_on"]["migrate"] == {  # type: ignore[index]
        "condition": "service_completed_successfully"
    }


def test_the_bot_polls_by_default_and_uses_the_postgres_service(
    compose: dict[str, object],
) -> None:
    bot = services(compose)["bot"]
    # `run` without --webhook: the entrypoint picks webhook mode only if the URL is set.
    assert bot["command"] == ["run"]
    url = bot["environment"]["BACKCOACH_DATABASE_URL"]  # type: ignore[index]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    build = bot["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (  # type: ignore[index]
        DEPLOY / "Dockerfile"
    )


def test_the_proxy_runs_only_in_webhook_mode_with_the_caddyfile(
    compose: dict[str, object],
) -> None:
    proxy = services(compose)["proxy"]
    assert proxy["profiles"] == ["webhook"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])  # type: ignore[arg-type]
    mounted = [v.split(":")[0] for v in proxy["volumes"]]  # type: ignore[union-attr]
    assert "./Caddyfile" in mounted and (DEPLOY / "Caddyfile").is_file()
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "dynamic a" in caddyfile and "name bot" in caddyfile and "port 8080" in caddyfile


def test_compose_sets_only_real_settings(compose: dict[str, object]) -> None:
    known = {f"BACKCOACH_{name.upper()}" for name in Settings.model_fields}
    for service in services(compose).values():
        env = service.get("environment", {})
        assert isinstance(env, dict)
        assert {k for k in env if k.startswith("BACKCOACH_")} <= known


# ---------------------------------------------------------------- Dockerfile


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, in order."""
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions(path):
        if instruction[0] == "FROM":
            result.append([])
        result[-1].append(instruction)
    return result


def test_dockerfile_is_multi_stage_on_a_slim_python() -> None:
    built = stages(DEPLOY / "Dockerfile")
    assert len(built) >= 2
    for stage in built:
        assert re.fullmatch(r"python:3\.11-slim AS \w+", stage[0][1]), stage[0]
    runtime = built[-1]
    assert any(i == "COPY" and a.startswith("--from=build ") for i, a in runtime)
    # No compiler toolchain is installed into the image that runs.
    assert not any(i == "RUN" and "apt-get install" in a for i, a in runtime)


def test_the_image_runs_as_a_non_root_user() -> None:
    runtime = stages(DEPLOY / "Dockerfile")[-1]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert any(i == "RUN" and "useradd --system --uid 10001" in a for i, a in runtime)
    # USER comes after the last RUN, so nothing later runs as root.
    positions = [n for n, (i, _) in enumerate(runtime) if i in {"RUN", "USER"}]
    assert runtime[positions[-1]][0] == "USER"


def test_the_image_migrates_at_start_through_its_entrypoint() -> None:
    runtime = dict(stages(DEPLOY / "Dockerfile")[-1])
    assert json.loads(runtime["ENTRYPOINT"]) == ["backcoach-entrypoint"]
    assert json.loads(runtime["CMD"]) == ["run"]
    assert "backcoach db upgrade" in (DEPLOY / "entrypoint.sh").read_text()


def test_every_copied_file_exists_and_gets_past_the_ignore_file() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore  # everything else stays out of the build context
    for instruction, args in instructions(DEPLOY / "Dockerfile"):
        if instruction != "COPY" or "--from=" in args:
            continue
        sources = [w for w in shlex.split(args) if not w.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is ignored by the build"


def healthcheck_command() -> list[str]:
    runtime = dict(stages(DEPLOY / "Dockerfile")[-1])
    options, _, command = runtime["HEALTHCHECK"].partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert isinstance(argv, list)
    return [str(a) for a in argv]


@pytest.mark.parametrize("healthy", [True, False])
async def test_the_image_healthcheck_asks_healthz(healthy: bool) -> None:
    argv = healthcheck_command()
    assert argv[0] == "python" and "/healthz" in argv[-1]

    async def check() -> bool:
        return healthy

    server = SideServer(Metrics(), check, asyncio.get_running_loop(), "127.0.0.1", 0).start()
    try:
        env = {**os.environ, "BACKCOACH_METRICS_PORT": str(server.port)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, *argv[1:], env=env, stderr=asyncio.subprocess.DEVNULL
        )
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        server.stop()
    assert (code == 0) is healthy


# ---------------------------------------------------------------- entrypoint


@pytest.fixture
def fake_backcoach(tmp_path: Path) -> Path:
    """A `backcoach` on PATH that only records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "backcoach"
    script.write_text(
        '#!/bin/sh\necho "$*" >> "$CALLS"\n[ "$*" != "db upgrade" ] || exit "${UPGRADE_EXIT:-0}"\n'
    )
    script.chmod(0o755)
    return bin_dir


def run_entrypoint(bin_dir: Path, *args: str, **env: str) -> tuple[int, list[str]]:
    calls = bin_dir / "calls.txt"
    calls.unlink(missing_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    clean.update(PATH=f"{bin_dir}:{os.environ['PATH']}", CALLS=str(calls), **env)
    done = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), *args], env=clean, timeout=30, check=False
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, lines


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, ["db upgrade", "run"]),
        (("run",), {}, ["db upgrade", "run"]),
        (("run",), {"BACKCOACH_WEBHOOK_URL": "https://bot.example/telegram"}, None),
        (("db", "upgrade"), {}, ["db upgrade"]),
        (("run", "--webhook"), {}, ["run --webhook"]),
        (("shell", "--fresh"), {}, ["shell --fresh"]),
    ],
)
def test_entrypoint_migrates_then_polls_or_serves_the_webhook(
    fake_backcoach: Path, args: tuple[str, ...], env: dict[str, str], expected: list[str] | None
) -> None:
    code, calls = run_entrypoint(fake_backcoach, *args, **env)
    assert code == 0
    assert calls == (expected or ["db upgrade", "run --webhook"])


def test_a_failed_migration_stops_the_container(fake_backcoach: Path) -> None:
    code, calls = run_entrypoint(fake_backcoach, "run", UPGRADE_EXIT="3")
    assert code == 3 and calls == ["db upgrade"]


# ---------------------------------------------------------------- systemd


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as {section: [(key, value), ...]} (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line}"
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


@pytest.mark.parametrize("name", ["backcoach.service", "backcoach@.service"])
def test_units_run_as_a_dedicated_user_with_an_environment_file_and_restart(name: str) -> None:
    parsed = unit(DEPLOY / name)
    assert set(parsed) == {"Unit", "Service", "Install"}
    service = parsed["Service"]
    assert values(service, "User") == ["backcoach"] and values(service, "Group") == ["backcoach"]
    assert values(service, "EnvironmentFile") == ["/etc/backcoach/backcoach.env"]
    assert values(service, "Restart") == ["on-failure"]
    assert values(service, "RestartPreventExitStatus") == ["2"]  # a wrong setting
    assert values(service, "KillSignal") == ["SIGTERM"]
    assert values(service, "StateDirectory") == ["backcoach"]
    assert values(service, "NoNewPrivileges") == ["yes"]
    assert "network-online.target" in " ".join(values(parsed["Unit"], "After"))
    assert values(parsed["Install"], "WantedBy") == ["multi-user.target"]
    (start,) = values(service, "ExecStart")
    assert "/opt/backcoach/bin/backcoach run" in start


def test_the_single_unit_migrates_first_and_picks_the_mode_from_the_environment() -> None:
    service = unit(DEPLOY / "backcoach.service")["Service"]
    assert values(service, "ExecStartPre") == ["/opt/backcoach/bin/backcoach db upgrade"]
    (start,) = values(service, "ExecStart")
    assert "$${BACKCOACH_WEBHOOK_URL:+--webhook}" in start


def test_the_worker_template_listens_on_its_instance_port() -> None:
    service = unit(DEPLOY / "backcoach@.service")["Service"]
    assert "BACKCOACH_WEBHOOK_PORT=%i" in values(service, "Environment")
    assert values(service, "ExecStart") == ["/opt/backcoach/bin/backcoach run --webhook"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize(
    ("name", "instance"),
    [("backcoach.service", "backcoach.service"), ("backcoach@.service", "backcoach@8081.service")],
)
def test_systemd_analyze_finds_nothing_to_say(tmp_path: Path, name: str, instance: str) -> None:
    # The executable must exist for verify to be quiet: point it at the one in this venv.
    here = Path(sys.executable).with_name("backcoach")
    text = (DEPLOY / name).read_text().replace("/opt/backcoach/bin/backcoach", str(here))
    (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / instance)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and output == "", output


# ---------------------------------------------------------------- README


def test_deploy_readme_covers_every_setup_and_says_what_was_run() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for needed in ["SQLite", "PostgreSQL", "docker compose", "reverse proxy", "TLS"]:
        assert needed in readme, needed
    assert re.search(r"443, 80, 88 or 8443", readme)
    assert "What was run here and what was only checked" in readme
