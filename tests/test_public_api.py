"""Each package's public surface is what its __all__ says, and every name resolves."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["runtime_interface", "builder", "lambdabox.testing"])
def test_all_names_resolve(package: str) -> None:
    module = importlib.import_module(package)
    names = module.__all__
    assert names == sorted(set(names), key=names.index), "duplicates in __all__"
    for name in names:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_runtime_interface_lazy_exports() -> None:
    import runtime_interface

    assert set(dir(runtime_interface)) == set(runtime_interface.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        runtime_interface.nope  # noqa: B018
