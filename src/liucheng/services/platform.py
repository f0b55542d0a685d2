"""The application object the edges hold: a store, a clock, and cached configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from liucheng.core.calendar import BusinessCalendar
from liucheng.core.clock import Clock, SystemClock
from liucheng.core.errors import NotFoundError
from liucheng.engine.assignment import Strategy
from liucheng.engine.context import EngineContext
from liucheng.engine.policy import DEFAULT_CATEGORIES, SlaPolicy
from liucheng.process.bpmn import read_bpmn
from liucheng.process.spec import ProcessDefinition
from liucheng.store import Store, UnitOfWork

CATEGORIES_SETTING = "categories"


@dataclass
class Config:
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    policies: dict[str, SlaPolicy] = field(default_factory=dict)
    #: Queue (lane / group id) -> how its new tasks are assigned.
    assignment: dict[str, Strategy] = field(default_factory=dict)
    #: The work-order categories cases may have.
    categories: frozenset[str] = DEFAULT_CATEGORIES


class Platform:
    """Use cases run against this; it owns no connection, only the store to open them from."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        categories: frozenset[str] | None = None,
    ) -> None:
        """``categories`` overrides the stored ones (set with `liucheng config load`)."""
        self.store = store
        self.clock = clock or SystemClock()
        self.categories = categories
        self._definitions: dict[tuple[str, int], ProcessDefinition] = {}
        #: Newest version per process key, as last read; cases open on it. A deploy by another
        #: process is caught when the case is stored (``NewerVersionError``), then read again.
        self._latest: dict[str, int] = {}
        self._config: Config | None = None
        self._conditions: dict = {}

    # -- configuration --------------------------------------------------------------------------
    def config(self, uow: UnitOfWork) -> Config:
        if self._config is None:
            self._config = load_config(uow)
        return self._config

    def reload(self) -> None:
        """Forget cached calendars, policies and assignment rules (after someone changed them)."""
        self._config = None

    def definition(self, uow: UnitOfWork, key: str, version: int | None) -> ProcessDefinition:
        if version is None:
            version = uow.definitions.latest_version(key)
            if version is None:
                raise NotFoundError("process", key, hint="deploy it first: liucheng process deploy FILE.bpmn")
        cached = self._definitions.get((key, version))
        if cached is None:
            row = uow.definitions.get(key, version)
            cached = parse_version(row.source, key, version)
            self._definitions[(key, version)] = cached
        return cached

    def forget_latest(self, key: str | None = None) -> None:
        """Read the newest version of ``key`` (of every process) from the database next time."""
        if key is None:
            self._latest.clear()
        else:
            self._latest.pop(key, None)

    def _engine_definition(self, uow: UnitOfWork, key: str, version: int | None) -> ProcessDefinition:
        # The engine asks for the newest version only to open a case; the insert checks it.
        if version is None:
            version = self._latest.get(key)
            if version is None:
                definition = self.definition(uow, key, None)
                self._latest[key] = definition.version
                return definition
        return self.definition(uow, key, version)

    def engine_context(self, uow: UnitOfWork) -> EngineContext:
        config = self.config(uow)
        return EngineContext(
            definitions=lambda key, version: self._engine_definition(uow, key, version),
            calendars=config.calendars,
            policies=config.policies,
            categories=self.categories or config.categories,
            _conditions=self._conditions,
        )


def parse_version(source: str, key: str, version: int) -> ProcessDefinition:
    for definition in read_bpmn(source):
        if definition.key == key:
            return replace(definition, version=version)
    raise NotFoundError("process", key, hint="the stored file no longer contains it")


def load_config(uow: UnitOfWork) -> Config:
    calendars = {name: BusinessCalendar.from_dict(cfg) for name, cfg in uow.calendars.list().items()}
    policies: dict[str, SlaPolicy] = {}
    for cfg in uow.sla_policies.list().values():
        policy = SlaPolicy.from_dict(cfg)
        for key in cfg.get("processes", ["*"]):
            policies[key] = policy
    assignment = {queue: Strategy(strategy) for queue, strategy in uow.assignment.list().items()}
    categories = frozenset(uow.settings.get(CATEGORIES_SETTING) or DEFAULT_CATEGORIES)
    return Config(calendars=calendars, policies=policies, assignment=assignment, categories=categories)


def save_assignment_rules(uow: UnitOfWork, rules: Mapping[str, Strategy | str]) -> None:
    for queue, strategy in rules.items():
        uow.assignment.put(queue, str(Strategy(strategy)))
