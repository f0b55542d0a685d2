"""Discrete-event simulation of a service centre through the real engine and store: the demo."""

from liucheng.sim.centre import Centre, GroupSpec, Person, demo_centre, load_centre
from liucheng.sim.demo import DEFAULT_DEMO_URL, DemoSummary, format_summary, history_end, run_demo
from liucheng.sim.simulation import SimStats, Simulation, SimulationError

__all__ = [
    "DEFAULT_DEMO_URL",
    "Centre",
    "DemoSummary",
    "GroupSpec",
    "Person",
    "SimStats",
    "Simulation",
    "SimulationError",
    "demo_centre",
    "format_summary",
    "history_end",
    "load_centre",
    "run_demo",
]
