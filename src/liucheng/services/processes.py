"""Deploying process models: a changed model becomes a new version; running cases keep theirs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from liucheng.process.bpmn import read_bpmn
from liucheng.services.platform import Platform
from liucheng.store.rows import DefinitionRow


@dataclass(frozen=True, slots=True)
class Deployment:
    key: str
    name: str
    version: int
    #: False when the model equals the latest version (moving shapes does not count as a change).
    created: bool


def deploy(
    platform: Platform, source: str | bytes | Path, *, by: str = "system", filename: str | None = None
) -> list[Deployment]:
    """Validate and store every executable process in a BPMN file, all or nothing."""
    if isinstance(source, Path):
        filename = filename or str(source)
        source = source.read_bytes()
    definitions = read_bpmn(source, filename=filename)  # raises ModelError listing every problem
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    now = platform.clock.now()
    out: list[Deployment] = []
    with platform.store.unit_of_work() as uow:
        for definition in definitions:
            latest = uow.definitions.latest_version(definition.key)
            if latest is not None:
                current = platform.definition(uow, definition.key, latest)
                if current.source_hash == definition.source_hash:
                    out.append(Deployment(definition.key, definition.name, latest, created=False))
                    continue
            version = (latest or 0) + 1
            uow.definitions.add(
                definition.key, version, definition.name, text, definition.source_hash, now, by
            )
            out.append(Deployment(definition.key, definition.name, version, created=True))
            platform.forget_latest(definition.key)
    return out


def list_definitions(platform: Platform) -> list[DefinitionRow]:
    with platform.store.unit_of_work(read_only=True) as uow:
        return uow.definitions.list()
