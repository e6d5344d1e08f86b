"""Template parameters: declared defaults, `--parameter-overrides`, pseudo parameters.

Overrides come as `Key=Value` (one per argument) or in SAM's form
`ParameterKey=Key,ParameterValue=Value` (several may share one argument, separated by
spaces). Values are checked against the declaration's Type, AllowedValues, AllowedPattern,
MinValue/MaxValue and MinLength/MaxLength, as CloudFormation does at deploy time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.template.errors import ParameterError

_SAM_FORM = re.compile(r"ParameterKey=([^,\s]+),ParameterValue=(\"[^\"]*\"|'[^']*'|\S*)")


@dataclass(frozen=True)
class Stack:
    """Where the template runs: the values of the pseudo parameters."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    name: str = "lambdabox"
    # Other stacks' exports, for `!ImportValue` (`--import-value NAME=VALUE`).
    imports: Mapping[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws"

    def pseudo(self) -> dict[str, Any]:
        """`AWS::Region`, `AWS::AccountId`, ... (AWS::NoValue is handled by the resolver)."""
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        stack_id = (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/"
            f"{self.name}/00000000-0000-0000-0000-000000000000"
        )
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.name,
            "AWS::StackId": stack_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": suffix,
            "AWS::NotificationARNs": [],
        }


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """`Key=Value` / `ParameterKey=K,ParameterValue=V` arguments as a dict."""
    found: dict[str, str] = {}
    for item in items:
        if "ParameterKey=" in item:
            pairs = _SAM_FORM.findall(item)
            leftover = _SAM_FORM.sub("", item).strip()
            if not pairs or leftover:
                raise ParameterError(
                    f"cannot read {item!r}",
                    where="--parameter-overrides",
                    fix="write ParameterKey=Name,ParameterValue=value (or Name=value)",
                )
            for key, value in pairs:
                found[key] = value.strip("\"'")
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(
                f"{item!r} is not Name=value",
                where="--parameter-overrides",
                fix="write Name=value (or ParameterKey=Name,ParameterValue=value)",
            )
        found[key.strip()] = value
    return found


def _check_number(where: str, decl: Mapping[str, Any], value: str) -> None:
    try:
        number = float(value)
    except ValueError:
        raise ParameterError(
            f"{value!r} is not a number", where=where, fix="pass a number"
        ) from None
    low, high = decl.get("MinValue"), decl.get("MaxValue")
    if (low is not None and number < float(low)) or (high is not None and number > float(high)):
        raise ParameterError(
            f"{value} is outside MinValue {low} .. MaxValue {high}",
            where=where,
            fix="pass a value in that range",
        )


def _check(name: str, decl: Mapping[str, Any], value: str) -> None:
    where = f"Parameters.{name}"
    kind = str(decl.get("Type", "String"))
    if kind == "Number":
        _check_number(where, decl, value)
    if kind == "List<Number>":
        for item in value.split(","):
            _check_number(where, decl, item.strip())
    allowed = decl.get("AllowedValues")
    if isinstance(allowed, list) and value not in [str(a) for a in allowed]:
        raise ParameterError(
            f"{value!r} is not one of its AllowedValues {allowed}", where=where, fix="pass one"
        )
    pattern = decl.get("AllowedPattern")
    if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
        raise ParameterError(
            f"{value!r} does not match its AllowedPattern {pattern!r}",
            where=where,
            fix=str(decl.get("ConstraintDescription") or "pass a matching value"),
        )
    shortest, longest = decl.get("MinLength"), decl.get("MaxLength")
    if (shortest is not None and len(value) < int(shortest)) or (
        longest is not None and len(value) > int(longest)
    ):
        raise ParameterError(
            f"{value!r} is not between MinLength {shortest} and MaxLength {longest}",
            where=where,
            fix="pass a value of that length",
        )


def ssm_parameters(declared: Any, overrides: Mapping[str, str]) -> list[str]:
    """Warning lines for SSM-typed parameters whose value would come from Parameter Store."""
    if not isinstance(declared, dict):
        return []
    return [
        f"Parameters.{name}: {decl.get('Type')} is read from SSM Parameter Store in the "
        f"cloud; here its value is the parameter's name {decl.get('Default')!r} "
        f"(pass --parameter-overrides {name}=VALUE)"
        for name, decl in declared.items()
        if isinstance(decl, dict)
        and str(decl.get("Type", "")).startswith("AWS::SSM::Parameter::Value")
        and name not in overrides
    ]


def resolve_parameters(
    declared: Any, overrides: Mapping[str, str], *, strict: bool = True
) -> dict[str, Any]:
    """Each declared parameter's value (override, else Default); lists for list types.

    With `strict`, an override for an undeclared parameter is an error (SAM ignores it
    silently; here nothing given is lost without a word). Nested stacks pass strict=False.
    """
    if declared is None:
        declared = {}
    if not isinstance(declared, dict):
        raise ParameterError(
            "Parameters must be a mapping of names to declarations", where="Parameters"
        )
    if strict:
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise ParameterError(
                f"the template declares no parameter {', '.join(unknown)}",
                where="--parameter-overrides",
                fix=f"use one of: {', '.join(sorted(declared)) or '(none declared)'}",
            )
    values: dict[str, Any] = {}
    for name, decl in declared.items():
        if not isinstance(decl, dict):
            raise ParameterError(
                "a parameter must be a mapping with a Type", where=f"Parameters.{name}"
            )
        if name in overrides:
            raw = str(overrides[name])
        elif "Default" in decl:
            default = decl["Default"]
            raw = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        else:
            raise ParameterError(
                "has no Default and no value was given",
                where=f"Parameters.{name}",
                fix=f"pass --parameter-overrides {name}=VALUE",
            )
        _check(name, decl, raw)
        kind = str(decl.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            values[name] = [part.strip() for part in raw.split(",")] if raw else []
        else:
            values[name] = raw
    return values
