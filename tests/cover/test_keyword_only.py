"""Exported functions take their optional arguments by keyword only (the style of the package).

A public function or method of a public class, exported by its module's ``__all__`` (or any
public one in a module without ``__all__``), whose parameters with defaults can be passed by
position fails this test, unless it is listed below with the reason.
"""

from __future__ import annotations

import ast

from tests.helpers.paths import ROOT

#: Positional on purpose: signatures fixed by others.
FIXED = {
    ("kmodel/cli/main.py", "main"): "console-script entry point: main(argv)",
    ("kmodel/cli/schemas.py", "main"): "module entry point: main(argv)",
    ("kmodel/pytest_plugin.py", "KmodelSpecItem.repr_failure"): "pytest's Item.repr_failure",
}

#: Functions allowed to wait for a module split before becoming keyword-only (none now: the
#: registry, semantics and placement splits have landed). Names may only leave this list.
PENDING: dict[str, set[str]] = {}


def _exported(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return None


def _optional_positional(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    return [p.arg for p in positional[len(positional) - len(arguments.defaults) :]]


def positional_options() -> dict[tuple[str, str], list[str]]:
    """Every exported function with optional parameters passable by position, by file and name."""
    found = {}
    for path in sorted((ROOT / "kmodel").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _exported(tree)
        where = path.relative_to(ROOT).as_posix()
        for node in tree.body:
            members = [(node, None)]
            if isinstance(node, ast.ClassDef):
                members = [(m, node.name) for m in node.body]
            for member, owner in members:
                if not isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                top = owner or member.name
                if member.name.startswith("_") or top.startswith("_"):
                    continue
                if names is not None and top not in names:
                    continue
                options = _optional_positional(member)
                if options:
                    qualified = f"{owner}.{member.name}" if owner else member.name
                    found[where, qualified] = options
    return found


def test_exported_functions_take_options_by_keyword():
    pending = {(file, name) for file, names in PENDING.items() for name in names}
    offending = {
        key: options
        for key, options in positional_options().items()
        if key not in FIXED and key not in pending
    }
    assert offending == {}


def test_the_lists_name_only_functions_that_still_take_positional_options():
    still = set(positional_options())
    listed = set(FIXED) | {(file, name) for file, names in PENDING.items() for name in names}
    assert listed - still == set()
