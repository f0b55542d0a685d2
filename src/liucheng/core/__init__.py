"""Shared building blocks: clocks, errors, durations, business calendars."""
