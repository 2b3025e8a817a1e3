"""The layers of docs/architecture.md, read off the imports of every module of
``feedback/``: dependencies point one way, and no two top-level parts import each
other, directly or round a ring."""

import ast
import re
from pathlib import Path

import pytest

import feedback

PACKAGE = Path(feedback.__file__).parent

#: Parts that know no domain: they are used by the domains and never use them.
INFRASTRUCTURE = {
    "analysis",
    "charts",
    "database",
    "errors",
    "extensions",
    "i18n",
    "links",
    "mail",
    "questionnaires",
    "security",
    "settings",
    "timeutil",
    "vocabulary",
    "web",
}
#: The domains, in the order they may use each other: each only those before it.
DOMAINS = [
    "accounts",
    "coaching",
    "ratings",
    "raters",
    "plans",
    "pulses",
    "reports",
    "journey",
    "webhooks",
]
#: The cycle's life, above every domain.
ABOVE = {"cycles"}
#: The JSON API, beside the pages: it may use the cycle's life and everything below.
INTERFACES = {"api"}
#: What builds and runs the app: the app factory, the console script, the demo and the
#: commands that serve no one domain.
TOP = {"__init__", "__main__", "demo", "cli"}


def _part(module: str) -> str:
    """The top-level part of ``feedback.x.y`` (``x``); ``__init__`` for the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """The ``feedback`` modules that the file at ``path`` imports (absolute names)."""
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(relative.parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "feedback":
                found.update(f"feedback.{alias.name}" for alias in node.names)
            elif target.startswith("feedback."):
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("feedback."))
    return found


def _graph() -> dict[str, set[str]]:
    """Which top-level parts each top-level part imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "migrations":
            continue
        source = "__init__" if relative == Path("__init__.py") else relative.parts[0]
        source = source.removesuffix(".py")
        targets = {_part(module) for module in _imports(path)}
        graph.setdefault(source, set()).update(targets - {source, "create_app"})
    return graph


GRAPH = _graph()


def test_every_part_has_a_layer():
    known = INFRASTRUCTURE | set(DOMAINS) | ABOVE | INTERFACES | TOP
    assert set(GRAPH) <= known, f"parts without a layer: {set(GRAPH) - known}"


def test_no_import_cycle_between_the_top_level_parts():
    done: set[str] = set()

    def visit(part: str, path: list[str]) -> None:
        if part in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(part) :], part]))
        if part in done:
            return
        for target in sorted(GRAPH.get(part, ())):
            visit(target, [*path, part])
        done.add(part)

    for part in sorted(GRAPH):
        visit(part, [])


@pytest.mark.parametrize("part", sorted(INFRASTRUCTURE))
def test_infrastructure_imports_no_domain(part):
    assert GRAPH.get(part, set()) <= INFRASTRUCTURE, GRAPH[part] - INFRASTRUCTURE


@pytest.mark.parametrize("index", range(len(DOMAINS)))
def test_a_domain_uses_only_infrastructure_and_the_domains_below_it(index):
    allowed = INFRASTRUCTURE | set(DOMAINS[:index])
    used = GRAPH.get(DOMAINS[index], set())
    assert used <= allowed, f"{DOMAINS[index]} uses {used - allowed}"


def test_the_cycles_life_uses_no_part_above_it():
    assert GRAPH["cycles"] <= INFRASTRUCTURE | set(DOMAINS)


def test_the_api_uses_no_part_above_it():
    assert GRAPH["api"] <= INFRASTRUCTURE | set(DOMAINS) | ABOVE


def _drawn_layers() -> dict[str, list[str]]:
    """The parts drawn in each layer of the diagram in docs/architecture.md, by its
    label: the lines from the one with the label to the next label, without what follows
    a "──" (a description) or the lines under a "│" (the description goes on)."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    layers: dict[str, list[str]] = {}
    label = None
    for line in text.split("```")[1].splitlines():
        first = line.split(maxsplit=1)
        if first and first[0] in ("top", "interface", "above", "domains", "infra"):
            label, line = first[0], first[1]
        if label is not None and not line.strip().startswith("│"):
            layers.setdefault(label, []).append(line.split("──")[0])
    return layers


def test_the_documented_layers_are_these():
    """docs/architecture.md draws every part in its layer, the domains in their order."""
    layers = _drawn_layers()

    def words(label: str) -> set[str]:
        return set(re.findall(r"\w+", " ".join(layers[label])))

    for label, parts in [
        ("infra", INFRASTRUCTURE),
        ("domains", set(DOMAINS)),
        ("above", ABOVE),
        ("interface", INTERFACES),
        ("top", TOP),
    ]:
        assert parts <= words(label), f"{label} lacks {parts - words(label)}"
    drawn = [part.strip() for part in layers["domains"][0].split("─►")]
    assert drawn == DOMAINS[::-1], "the domains are drawn in another order"


def test_the_graph_is_read_from_the_code():
    """The checks above see real edges (a parser that found nothing would pass them)."""
    assert {"coaching", "ratings", "mail"} <= GRAPH["raters"]
    assert "reports" in GRAPH["cycles"]


def test_the_analysis_is_pure():
    """pandas in, pandas out: no web framework, no database (docs/architecture.md)."""
    for path in (PACKAGE / "analysis").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"flask", "sqlalchemy", "flask_sqlalchemy"}, (
                    f"{path.name} imports {name}"
                )
