"""Process analytics over event tables (``liucheng.eventlog.table.EventTable``).

Each analysis is a function of an event table written once as Ibis expressions (DuckDB by
default): directly-follows graphs, variants, performance, bottlenecks, rework, handover and
ping-pong, period comparison, conformance, discovery. Import from the modules themselves
(``liucheng.mining.dfg``, ``liucheng.mining.conformance``, ...).
"""
