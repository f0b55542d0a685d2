"""A generated service-desk log of about 1,000,000 events for the mining benchmark (seeded, reproducible).

    .venv/bin/python benchmarks/mining_service_log.py            # writes benchmarks/data/service_log_1m.xes.gz

Tickets arrive over a year; each is registered and classified by the first line, worked by one of
four support groups (with waits for the customer, transfers to another group and re-work), then
resolved, sometimes reopened, and closed. Every event has a resource and a group; lifecycle is
``complete``. The file is written once and reused (``benchmarks/data/`` is not committed).
"""

from __future__ import annotations

import argparse
import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT / "benchmarks" / "data" / "service_log_1m.xes.gz"
SEED = 20240601
GROUPS = ("Network", "Desktop", "Applications", "Accounts")
START = datetime(2024, 1, 1, tzinfo=UTC)

_HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<string key="concept:name" value="generated service desk"/>
"""


def ticket(rng: random.Random, opened: datetime) -> list[tuple[str, datetime, str, str]]:
    """One ticket's events: (activity, time, resource, group)."""
    events: list[tuple[str, datetime, str, str]] = []
    now = opened

    def add(activity: str, group: str, mean_minutes: float) -> None:
        nonlocal now
        now += timedelta(seconds=int(rng.expovariate(1 / (mean_minutes * 60))) + 1)
        events.append((activity, now, f"{group[:3].lower()}{rng.randrange(12):02d}", group))

    add("Register ticket", "Service Desk", 2)
    add("Classify ticket", "Service Desk", 10)
    group = rng.choice(GROUPS)
    add("Assign to group", "Service Desk", 30)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        add("Start work", group, 120)
        while rng.random() < 0.3:
            add("Wait for customer", group, 60)
            add("Customer replied", group, 600)
        if rng.random() < 0.15:
            group = rng.choice(GROUPS)
            add("Transfer to group", group, 20)
    add("Resolve ticket", group, 60)
    while rng.random() < 0.12:
        add("Reopen ticket", "Service Desk", 1440)
        add("Start work", group, 60)
        add("Resolve ticket", group, 60)
    if rng.random() < 0.6:
        add("Customer feedback", "Service Desk", 720)
    add("Close ticket", "Service Desk", 2880)
    return events


def write_log(path: Path, *, target_events: int = 1_000_000, seed: int = SEED) -> tuple[int, int]:
    """Write tickets until ``target_events`` events; returns (cases, events)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_cases = n_events = 0
    seconds_per_ticket = 365 * 86_400 * 10 / target_events
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as out:
        out.write(_HEADER)
        while n_events < target_events:
            opened = START + timedelta(seconds=n_cases * seconds_per_ticket + rng.random() * 60)
            events = ticket(rng, opened)[: target_events - n_events]
            n_cases += 1
            n_events += len(events)
            out.write(f'<trace><string key="concept:name" value="T{n_cases:07d}"/>\n')
            out.writelines(
                f'<event><string key="concept:name" value={quoteattr(activity)}/>'
                f'<date key="time:timestamp" value="{when.isoformat(timespec="milliseconds")}"/>'
                f'<string key="lifecycle:transition" value="complete"/>'
                f'<string key="org:resource" value="{resource}"/><string key="org:group" value={quoteattr(group)}/>'
                "</event>\n" for activity, when, resource, group in events)
            out.write("</trace>\n")
        out.write("</log>\n")
    return n_cases, n_events


def ensure_log(path: Path = DEFAULT_PATH) -> Path:
    """The generated log, written first if it is not there yet."""
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_log(partial)
        partial.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    cases, events = write_log(args.path, target_events=args.events)
    print(f"{args.path}: {cases} cases, {events} events")


if __name__ == "__main__":
    main()
