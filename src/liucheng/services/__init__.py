"""Use cases: each opens one unit of work, calls the engine, persists state and events together."""

from liucheng.services.cases import CaseService, run_command
from liucheng.services.platform import Config, Platform, load_config, save_assignment_rules
from liucheng.services.processes import Deployment, deploy, list_definitions
from liucheng.services.worker import Worker, WorkerStats

__all__ = [
    "CaseService",
    "Config",
    "Deployment",
    "Platform",
    "Worker",
    "WorkerStats",
    "deploy",
    "list_definitions",
    "load_config",
    "run_command",
    "save_assignment_rules",
]
