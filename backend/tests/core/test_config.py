"""Settings do what `.env.example` says: every line is a setting, every setting has a line, and every value
written in a real `.env` file (what `make run` reads) reaches the running configuration, nested sections
included."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, TypeAdapter
from pydantic.fields import FieldInfo

from app.core.config import Settings

REPO = Path(__file__).resolve().parents[3]
ENV_EXAMPLE = REPO / ".env.example"
# Lines of .env.example that configure something else than the service: the Makefile's server address and
# docker-compose's own variables (commented out there, read by compose).
MAKEFILE = {"PORT", "HOST"}
COMPOSE = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "API_REPLICAS", "API_PORTS"}
NOT_SETTINGS = MAKEFILE | COMPOSE
LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(\S*)", re.M)


def setting_fields() -> dict[str, tuple[str | None, str, FieldInfo]]:
    """Env name -> (section, field, info): `SANDBOX_POOL_SIZE` -> ("sandbox", "pool_size", ...)."""
    found: dict[str, tuple[str | None, str, FieldInfo]] = {}
    for name, info in Settings.model_fields.items():
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            for sub, sub_info in section.model_fields.items():
                found[f"{name}_{sub}".upper()] = (name, sub, sub_info)
        else:
            found[name.upper()] = (None, name, info)
    return found


def example_lines() -> list[tuple[bool, str, str]]:
    """(active, name, value) for each `NAME=value` line, active or commented out."""
    text = ENV_EXAMPLE.read_text()
    return [(not commented, name, value) for commented, name, value in LINE.findall(text)]


def test_every_line_is_a_setting_and_every_setting_has_a_line() -> None:
    fields = setting_fields()
    listed = {name for _, name, _ in example_lines()}
    assert sorted(set(fields) - listed) == [], "settings missing from .env.example"
    assert sorted(listed - set(fields) - NOT_SETTINGS) == [], ".env.example lines no setting reads"


def test_the_example_values_are_the_defaults() -> None:
    """Copying .env.example to .env changes nothing: each value written there is the setting's default."""
    fields = setting_fields()
    for active, name, value in example_lines():
        if not active or name not in fields or not value:
            continue
        _, _, info = fields[name]
        default, value_read = info.get_default(call_default_factory=True), _typed(info, value)
        if isinstance(default, Path):  # `make run` reads .env from the checkout's root
            default, value_read = default.resolve(), (REPO / value_read).resolve()
        assert value_read == default, name


def _typed(info: FieldInfo, raw: str) -> Any:
    adapter: TypeAdapter[Any] = TypeAdapter(info.annotation)
    value = adapter.validate_json(raw) if raw.startswith("[") else adapter.validate_python(raw)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _changed(name: str, info: FieldInfo, tmp_path: Path) -> str:
    """A valid value different from the default, as it would be written in .env."""
    default = info.get_default(call_default_factory=True)
    special = {
        "ENVIRONMENT": "production",
        "QUEUE": "dramatiq",
        "DATABASE_URL": "postgresql+asyncpg://someone@db.internal/stratcrew",
        "REDIS_URL": "redis://cache.internal:6379/1",
        "SECRET_KEY": "a-real-secret-for-this-test-only",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "SANDBOX_INSTANCE": "5",
        "SANDBOX_CGROUP": "off",
        "SANDBOX_SITE_PACKAGES": f'["{tmp_path}"]',
    }
    if name in special:
        return special[name]
    if isinstance(default, bool):
        return str(not default).lower()
    if isinstance(default, int):
        return str(default + 1)
    if isinstance(default, float):
        return str(default / 2 if default >= 1 else default + 0.1)
    if isinstance(default, Path) or default is None:
        return str(tmp_path / name.lower())
    return f"changed-{name.lower()}"


def test_every_setting_is_read_from_a_real_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the SANDBOX_* lines of .env were ignored under `make run` (the section read only the
    process environment). Here every setting, nested ones included, comes from a `.env` file only."""
    fields = setting_fields()
    wanted: dict[str, str] = {}
    for name, (_, _, info) in fields.items():
        monkeypatch.delenv(name, raising=False)
        wanted[name] = _changed(name, info, tmp_path)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in wanted.items()))
    monkeypatch.chdir(tmp_path)

    settings = Settings()
    for name, (section, field, info) in fields.items():
        owner = getattr(settings, section) if section else settings
        got = getattr(owner, field)
        got = got.get_secret_value() if isinstance(got, SecretStr) else got
        assert got == _typed(info, wanted[name]), name
        assert got != info.get_default(call_default_factory=True), name


def test_sandbox_lines_of_the_example_file_reach_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cp .env.example .env`, change two sandbox limits, as a user would."""
    text = ENV_EXAMPLE.read_text()
    text = re.sub(r"^SANDBOX_WALL_TIMEOUT_S=\S+", "SANDBOX_WALL_TIMEOUT_S=12", text, flags=re.M)
    text = re.sub(r"^SANDBOX_POOL_SIZE=\S+", "SANDBOX_POOL_SIZE=3", text, flags=re.M)
    (tmp_path / ".env").write_text(text)
    for name in setting_fields():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert (settings.sandbox.wall_timeout_s, settings.sandbox.pool_size) == (12.0, 3)
    assert settings.memory.similar_k == 3 and settings.llm.model == "anthropic/claude-sonnet-4-5"


def test_the_secret_key_is_read_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, environment="dev", data_dir=tmp_path, secret_key="")
    first = settings.resolved_secret_key()
    assert (tmp_path / ".secret_key").read_text().strip() == first
    (tmp_path / ".secret_key").unlink()
    assert settings.resolved_secret_key() == first  # not read (or created) again per request
    assert not (tmp_path / ".secret_key").exists()
    assert Settings(_env_file=None, data_dir=tmp_path, secret_key="given").resolved_secret_key() == "given"


def test_production_refuses_a_placeholder_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY must be set"):
        Settings(_env_file=None, environment="production", data_dir=tmp_path, secret_key="changeme")
