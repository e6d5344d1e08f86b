"""Intrinsic functions and conditions, resolved to plain values.

`Resolver.value(node, where)` walks a template fragment and replaces every intrinsic
(`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`,
`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`, `Fn::FindInMap`,
`Fn::ImportValue`, `Fn::Base64`, `Fn::GetAZs`, `Fn::Cidr`, `Fn::Length`, `Fn::ToJsonString`)
by its value; `AWS::NoValue` removes the key or item. Errors name the place (`where`,
e.g. `Resources.Fn.Properties.Timeout`) and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lambdabox.template.errors import ResolveError
from lambdabox.template.functions import FUNCTIONS


class _NoValue:
    """AWS::NoValue: the property or list item is dropped."""


NO_VALUE = _NoValue()
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _single_key(node: dict[str, Any]) -> str | None:
    if len(node) != 1:
        return None
    (key,) = node
    return key if key in {"Ref", "Condition"} or key.startswith("Fn::") else None


class Resolver:
    """Resolve fragments of one stack: parameters, mappings, conditions, local resources."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        mappings: Mapping[str, Any],
        conditions: Mapping[str, Any],
        ref: Callable[[str, str], Any],
        get_att: Callable[[str, str, str], Any],
        warn: Callable[[str], None],
        region: str,
        imports: Mapping[str, str] | None = None,
        runs_locally: Callable[[str], bool] = lambda _where: False,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self.mappings = mappings
        self._conditions = conditions
        self._ref = ref
        self._get_att = get_att
        self.warn = warn
        self.region = region
        self.imports = imports or {}
        self.runs_locally = runs_locally  # an unresolved !ImportValue there is an error
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # -- conditions ---------------------------------------------------------------
    def condition(self, name: Any, where: str) -> bool:
        """The value of the named condition (evaluated once)."""
        if not isinstance(name, str) or name not in self._conditions:
            known = ", ".join(sorted(self._conditions)) or "none declared"
            raise ResolveError(
                f"unknown condition {name!r}",
                where=where,
                fix=f"declare it under Conditions (known: {known})",
            )
        if name not in self._condition_values:
            if name in self._evaluating:
                raise ResolveError(
                    "conditions refer to each other in a loop", where=f"Conditions.{name}"
                )
            self._evaluating.add(name)
            value = self.value(self._conditions[name], f"Conditions.{name}")
            self._evaluating.discard(name)
            if not isinstance(value, bool):
                raise ResolveError(
                    "a condition must be !Equals, !And, !Or, !Not or !Condition",
                    where=f"Conditions.{name}",
                )
            self._condition_values[name] = value
        return self._condition_values[name]

    # -- values -------------------------------------------------------------------
    def value(self, node: Any, where: str) -> Any:
        """`node` with every intrinsic resolved."""
        if isinstance(node, dict):
            key = _single_key(node)
            if key is not None:
                return self._call(key, node[key], where)
            out = {}
            for k, v in node.items():
                resolved = self.value(v, f"{where}.{k}")
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(node, list):
            items = (self.value(v, f"{where}[{i}]") for i, v in enumerate(node))
            return [item for item in items if item is not NO_VALUE]
        return node

    def _call(self, name: str, arg: Any, where: str) -> Any:
        handler = FUNCTIONS.get(name) or _CORE.get(name)
        if handler is None:
            raise ResolveError(
                f"unknown intrinsic function {name}",
                where=where,
                fix="use one CloudFormation supports (Ref, Fn::GetAtt, Fn::Sub, ...)",
            )
        return handler(self, arg, where)

    def string(self, node: Any, where: str, what: str) -> str:
        value = self.value(node, where)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ResolveError(
                f"{what} must be a string, not {type(value).__name__}",
                where=where,
                fix="pass a string",
            )
        return str(value)

    def items(self, node: Any, where: str, what: str, size: int | None = None) -> list[Any]:
        value = self.value(node, where)
        if not isinstance(value, list) or (size is not None and len(value) != size):
            shape = f"a list of {size}" if size is not None else "a list"
            raise ResolveError(f"{what} takes {shape}", where=where, fix=f"write {what} [...]")
        return value

    def ref(self, name: Any, where: str) -> Any:
        if not isinstance(name, str):
            raise ResolveError("!Ref takes a name", where=where, fix="write !Ref LogicalId")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._parameters:
            return self._parameters[name]
        if name in self._pseudo:
            return self._pseudo[name]
        return self._ref(name, where)

    def get_att(self, arg: Any, where: str) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            raise ResolveError(
                "!GetAtt takes Resource.Attribute", where=where, fix="write !GetAtt MyFunction.Arn"
            )
        logical_id = self.string(arg[0], where, "!GetAtt's resource")
        attribute = self.string(arg[1], where, "!GetAtt's attribute")
        return self._get_att(logical_id, attribute, where)

    def sub(self, arg: Any, where: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                raise ResolveError(
                    "!Sub takes a string, or [string, {Name: value}]",
                    where=where,
                    fix="write !Sub 'text ${Name}'",
                )
            arg, raw_vars = arg
            variables = {k: self.value(v, f"{where}.{k}") for k, v in raw_vars.items()}
        if not isinstance(arg, str):
            raise ResolveError("!Sub takes a string", where=where, fix="write !Sub 'text ${Name}'")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name not in self._pseudo:
                value = self.get_att(name, where)
            else:
                value = self.ref(name, where)
            if isinstance(value, list):
                raise ResolveError(
                    f"${{{name}}} is a list; !Sub needs a string",
                    where=where,
                    fix="use !Join or !Select",
                )
            return str(value)

        return _SUB_VAR.sub(replace, arg)

    def boolean(self, node: Any, where: str) -> bool:
        value = self.value(node, where)
        if not isinstance(value, bool):
            raise ResolveError(
                "expected a condition (!Equals, !And, !Or, !Not, !Condition)", where=where
            )
        return value


_CORE: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": lambda r, a, w: r.ref(a, w),
    "Condition": lambda r, a, w: r.condition(a, w),
    "Fn::GetAtt": lambda r, a, w: r.get_att(a, w),
    "Fn::Sub": lambda r, a, w: r.sub(a, w),
}
