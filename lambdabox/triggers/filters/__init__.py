"""Event filtering of event source mappings (`FilterCriteria`), as Lambda documents it.

`compile_criteria` validates a mapping's `FilterCriteria` once (up to five patterns, the
documented operators) into a `FilterCriteria` value whose `matches(record)` says whether a
record is sent to the function; records that no pattern matches are dropped by the mapping.
Used by the SQS, Kinesis and DynamoDB Streams mappings.

May import: the standard library only.
"""

from lambdabox.triggers.filters.criteria import MAX_FILTERS, FilterCriteria, compile_criteria
from lambdabox.triggers.filters.pattern import FilterError, Pattern, compile_pattern

__all__ = [
    "MAX_FILTERS",
    "FilterCriteria",
    "FilterError",
    "Pattern",
    "compile_criteria",
    "compile_pattern",
]
