"""The stream mappings' exceptions: each message names the fix."""

from __future__ import annotations


class StreamsError(Exception):
    """Base of the Kinesis / DynamoDB Streams mapping errors."""


class MappingConfigError(StreamsError, ValueError):
    """A `Kinesis`/`DynamoDB` event or EventSourceMapping that cannot run as written."""


class SourceError(StreamsError):
    """The stream endpoint cannot be reached, or the stream or table does not exist."""
