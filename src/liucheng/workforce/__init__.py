"""Workforce planning for contact centres: forecasting, Erlang B/C/A staffing, shift scheduling
and rostering, adherence and attendance."""
