"""The process exit codes of every command, in one place (CI and cron read them)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # done; for retrain and promote: promoted (or already production)
    FAILED = 1  # an error: the command could not do what was asked
    NOT_PROMOTED = 3  # the gate refused the candidate
    TOO_LITTLE_DATA = 4  # monitor drift: no verdict either way
    PRODUCTION_CHANGED = 5  # promote/rollback/retrain: production moved meanwhile; nothing moved
    NOT_DUE = 6  # retrain --if-due: the last run started too recently (or one is under way)
    # monitor drift: its own code, so that a setup error (1) never reads as a verdict.
    RETRAIN_RECOMMENDED = 7
