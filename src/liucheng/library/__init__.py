"""The process library: BPMN 2.0 files drawn from the training material, ready to deploy or copy.

Files are listed callee first, so deploying them in this order never meets a call activity whose
process is not there yet.
"""

from __future__ import annotations

from pathlib import Path

from liucheng.core.errors import NotFoundError

LIBRARY_DIR = Path(__file__).parent

#: Process key -> file name in ``LIBRARY_DIR``; ``urgent_ticket`` is called by ``complaint``.
PROCESS_FILES: dict[str, str] = {
    "urgent_ticket": "sub_urgent_ticket.bpmn",
    "complaint": "complaint.bpmn",
    "inquiry": "inquiry.bpmn",
    "feedback": "feedback.bpmn",
    "emergency": "emergency.bpmn",
    "internal_request": "internal_request.bpmn",
}


def library_path(key: str) -> Path:
    """Path of the library file that defines process ``key``."""
    try:
        return LIBRARY_DIR / PROCESS_FILES[key]
    except KeyError:
        raise NotFoundError(
            "library process", key, hint=f"pick one of: {', '.join(PROCESS_FILES)}"
        ) from None


def library_paths() -> list[Path]:
    """Every library file, in deployment order (called processes first)."""
    return [LIBRARY_DIR / name for name in PROCESS_FILES.values()]


__all__ = ["LIBRARY_DIR", "PROCESS_FILES", "library_path", "library_paths"]
