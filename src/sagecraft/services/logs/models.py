"""CloudWatch Logs domain objects. Times are epoch milliseconds, as the service counts them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sagecraft.core.arns import arn


@dataclass(frozen=True)
class LogScope:
    """Log groups belong to an account in a region."""

    account_id: str
    region: str

    def group_arn(self, group: str) -> str:
        return arn("logs", self.region, self.account_id, f"log-group:{group}")

    def stream_arn(self, group: str, stream: str) -> str:
        return arn("logs", self.region, self.account_id, f"log-group:{group}:log-stream:{stream}")


@dataclass(frozen=True)
class LogGroup:
    name: str
    arn: str  # without the ":*" suffix AWS adds in the deprecated `arn` member
    created_ms: int
    retention_days: int | None
    kms_key_id: str | None
    group_class: str
    deletion_protection: bool
    stored_bytes: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogStream:
    name: str
    arn: str
    created_ms: int
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    stored_bytes: int
    upload_sequence: int


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str
    ingestion_ms: int
    event_id: int  # ingestion order, unique across the store
    stream_name: str = ""


@dataclass(frozen=True)
class EventsPage:
    """A GetLogEvents page: the tokens are never empty (the SDK's tail loop reads the forward one)."""

    events: list[LogEvent]
    forward_token: str
    backward_token: str


@dataclass(frozen=True)
class FilteredPage:
    events: list[LogEvent]
    next_token: str | None


@dataclass(frozen=True)
class PutResult:
    next_sequence_token: str
    accepted: int
    too_new_start: int | None = None  # index of the first event too far in the future (inclusive)
    too_old_end: int | None = None  # events before this index are older than 14 days
    expired_end: int | None = None  # events before this index are older than the retention
