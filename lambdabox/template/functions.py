"""The intrinsic functions besides Ref, Fn::GetAtt, Fn::Sub and conditions: one function
each, `(resolver, argument, where) -> value`, and the table the resolver dispatches on."""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdabox.template.errors import ResolveError

if TYPE_CHECKING:
    from lambdabox.template.intrinsics import Resolver


def join(r: Resolver, arg: Any, where: str) -> str:
    delimiter, items = r.items(arg, where, "!Join", 2)
    if not isinstance(items, list):
        raise ResolveError(
            "!Join's second item must be a list", where=where, fix="write !Join [',', [a, b]]"
        )
    return str(delimiter).join(str(item) for item in items)


def select(r: Resolver, arg: Any, where: str) -> Any:
    index, items = r.items(arg, where, "!Select", 2)
    try:
        return items[int(index)]
    except (ValueError, TypeError, IndexError):
        raise ResolveError(
            f"!Select index {index!r} is not in a list of {len(items)}",
            where=where,
            fix="use an index within the list",
        ) from None


def split(r: Resolver, arg: Any, where: str) -> list[str]:
    delimiter, text = r.items(arg, where, "!Split", 2)
    return str(text).split(str(delimiter))


def if_(r: Resolver, arg: Any, where: str) -> Any:
    if not isinstance(arg, list) or len(arg) != 3:
        raise ResolveError(
            "!If takes [Condition, value if true, value if false]",
            where=where,
            fix="write !If [IsProd, a, b]",
        )
    chosen = arg[1] if r.condition(arg[0], where) else arg[2]
    return r.value(chosen, where)


def find_in_map(r: Resolver, arg: Any, where: str) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise ResolveError(
            "!FindInMap takes [Map, TopKey, SecondKey]",
            where=where,
            fix="write !FindInMap [Map, !Ref AWS::Region, Key]",
        )
    keys = [r.string(arg[i], where, "!FindInMap's key") for i in range(3)]
    table: Any = r.mappings
    for depth, key in enumerate(keys):
        if not isinstance(table, dict) or key not in table:
            if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return r.value(arg[3]["DefaultValue"], where)
            level = ("map", "top-level key", "second-level key")[depth]
            raise ResolveError(
                f"!FindInMap: no {level} {key!r} in Mappings"
                + (f".{'.'.join(keys[:depth])}" if depth else ""),
                where=where,
                fix="add it to Mappings or fix the key",
            )
        table = table[key]
    return table


def import_value(r: Resolver, arg: Any, where: str) -> str:
    name = r.string(arg, where, "!ImportValue")
    if name in r.imports:
        return r.imports[name]
    fix = f"pass its value: lambdabox up --import-value {name}=VALUE"
    if r.runs_locally(where):  # a function would run with a wrong value: refuse
        raise ResolveError(
            f"!ImportValue {name!r} names another stack's export, which has no value here",
            where=where,
            fix=fix,
        )
    r.warn(f"{where}: !ImportValue {name!r} resolves to an empty string ({fix})")
    return ""


def cidr(r: Resolver, arg: Any, where: str) -> list[str]:
    block, count, bits = r.items(arg, where, "!Cidr", 3)
    try:
        network = ipaddress.ip_network(str(block), strict=False)
        prefix = network.max_prefixlen - int(bits)
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(int(count))]
    except (ValueError, StopIteration):
        raise ResolveError(
            f"!Cidr cannot cut {count} subnets of {bits} host bits from {block}",
            where=where,
            fix="fix the block, count or bits",
        ) from None


def _equals(r: Resolver, arg: Any, where: str) -> bool:
    left, right = r.items(arg, where, "!Equals", 2)
    return str(left) == str(right)


def _and(r: Resolver, arg: Any, where: str) -> bool:
    items = arg if isinstance(arg, list) else []
    if not 2 <= len(items) <= 10:
        raise ResolveError("!And takes 2 to 10 conditions", where=where)
    return all(r.boolean(item, where) for item in items)


def _or(r: Resolver, arg: Any, where: str) -> bool:
    items = arg if isinstance(arg, list) else []
    if not 2 <= len(items) <= 10:
        raise ResolveError("!Or takes 2 to 10 conditions", where=where)
    return any(r.boolean(item, where) for item in items)


def _not(r: Resolver, arg: Any, where: str) -> bool:
    items = arg if isinstance(arg, list) else []
    if len(items) != 1:
        raise ResolveError("!Not takes a list of one condition", where=where, fix="!Not [Cond]")
    return not r.boolean(items[0], where)


def _base64(r: Resolver, arg: Any, where: str) -> str:
    return base64.b64encode(r.string(arg, where, "!Base64").encode()).decode()


def _get_azs(r: Resolver, arg: Any, where: str) -> list[str]:
    region = r.value(arg, where) or r.region
    return [f"{region}{zone}" for zone in "abc"]


FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Fn::Join": join,
    "Fn::Select": select,
    "Fn::Split": split,
    "Fn::If": if_,
    "Fn::Equals": _equals,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Fn::Not": _not,
    "Fn::FindInMap": find_in_map,
    "Fn::ImportValue": import_value,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
    "Fn::Cidr": cidr,
    "Fn::Length": lambda r, a, w: len(r.items(a, w, "!Length")),
    "Fn::ToJsonString": lambda r, a, w: json.dumps(r.value(a, w), separators=(",", ":")),
}
