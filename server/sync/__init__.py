"""The sync protocol over HTTP: change log, push, pull, bootstrap, review.

See docs/sync-protocol.md; the protocol logic itself is in the top-level ``sync`` package.
"""
