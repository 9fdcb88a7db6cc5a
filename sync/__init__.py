"""The sync protocol as plain Python (no Flask): change log, mutations, merge, scope, cursor.

Built in the sync issue on top of ``server.records``, whose write layer reports
every change through ``server.records.on_change``.
"""
