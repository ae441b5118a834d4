"""Find modules that pin a clock and also read the wall clock: a test that passes today and fails later.

A module *pins* a clock when it fixes the moment the code under test decides by:
- `box.clock(moment)` (any call of a `clock` attribute with arguments);
- assigning or patching a `clock` (`handler.clock = ...`, `monkeypatch.setattr(handler, "clock", ...)`),
  binding the name `clock`, taking a `clock` parameter, or passing `clock=` a fake;
- building a fixed moment: `datetime(2026, 11, 23, ...)`, `date(2026, 1, 10)`,
  `datetime.fromisoformat("2026-...")`, `datetime.fromtimestamp(1741097700)`, `datetime.strptime("...")`;
- using, from another scanned module, a constant holding a fixed moment (`OPEN_MOMENT`) or a
  function that pins, directly or through further calls (`simulate`, which enters `box.clock`).

It *reads the wall clock* with `time.time()`, `time.time_ns()`, `time.gmtime()`, `time.localtime()`,
`time.ctime()` (no argument), `datetime.now()`, `datetime.utcnow()`, `datetime.today()`,
`date.today()` (whatever they are imported as), by passing `time.time` as a clock, or by reading a
sandbox's `now` (the moment its demo data was seeded: the wall clock).

A module is the unit because a helper reading the wall clock for a pinned test is the same bug.
A wall-clock read that is right next to a pin carries an allowance on its own line:
`# clock-mix: <why, in at least four words>`. An allowance with no reason, or on a line that reads
no wall clock, is itself reported, so none can outlive the read it excuses. `time.monotonic` and
`time.perf_counter` measure intervals, not dates, and are never a mix.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ALLOWANCE = re.compile(r"#\s*clock-mix:(?P<reason>.*)$")
MIN_REASON_WORDS = 4
TIME_READS = {"time", "time_ns"}  # a read as soon as referenced (`clock=time.time` reads later)
TIME_READS_WITHOUT_ARGUMENT = {"gmtime", "localtime", "ctime", "asctime"}
DATETIME_READS = {"now", "utcnow", "today"}
FIXED_MOMENT_CONSTRUCTORS = {"fromisoformat", "fromtimestamp", "strptime", "fromordinal"}


@dataclass(frozen=True)
class Use:
    line: int
    what: str


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Module:
    """One parsed source file and what it pins, reads and allows."""

    name: str  # dotted, e.g. tests.integration.test_ivr_decision_handler
    path: str
    tree: ast.Module
    lines: list[str]
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name → (module, name)
    module_aliases: dict[str, str] = field(default_factory=dict)  # local name → module
    sandboxes: set[str] = field(default_factory=set)  # names a Sandbox is bound to


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def parse(path: Path, root: Path) -> Module:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    module = Module(module_name(path, root), str(path.relative_to(root)), tree, text.splitlines())
    module.sandboxes = _sandbox_names(module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.module_aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    module.module_aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                local = alias.asname or alias.name
                module.imported[local] = (node.module, alias.name)
    return module


class _Scanner(ast.NodeVisitor):
    """Collects a module's pins and wall-clock reads; `pinners` are (module, name) pairs known to pin."""

    def __init__(self, module: Module, pinners: set[tuple[str, str]]) -> None:
        self.module = module
        self.pinners = pinners
        self.pins: list[Use] = []
        self.reads: list[Use] = []

    # What a name or attribute chain stands for: "time" (the module), "time.time", "datetime.datetime"...
    def resolve(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self.module.imported:
                source, name = self.module.imported[node.id]
                return f"{source}.{name}"
            return self.module.module_aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def is_wall_read(self, node: ast.expr) -> str | None:
        target = self.resolve(node)
        if target in {f"time.{name}" for name in TIME_READS}:
            return target
        owner, _, method = (target or "").rpartition(".")
        if owner in {"datetime.datetime", "datetime.date"} and method in DATETIME_READS:
            return target
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "now"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.module.sandboxes
        ):
            return f"{node.value.id}.now (the sandbox's seeding moment, read from the wall clock)"
        return None

    def is_fixed_moment(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call) or not node.args:
            return False
        target = self.resolve(node.func) or ""
        first = node.args[0]
        if target in {"datetime.datetime", "datetime.date"}:
            return isinstance(first, ast.Constant) and isinstance(first.value, int)
        owner, _, method = target.rpartition(".")
        return (
            owner in {"datetime.datetime", "datetime.date"}
            and method in FIXED_MOMENT_CONSTRUCTORS
            and isinstance(first, ast.Constant)
        )

    def pin(self, node: ast.AST, what: str) -> None:
        self.pins.append(Use(getattr(node, "lineno", 0), what))

    def read(self, node: ast.AST, what: str) -> None:
        self.reads.append(Use(getattr(node, "lineno", 0), what))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        wall = self.is_wall_read(node)
        if wall:
            self.read(node, wall)
            return
        target = self.resolve(node)
        if target and tuple(target.rsplit(".", 1)) in self.pinners:
            self.pin(node, target)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        wall = self.is_wall_read(node)
        if wall:
            self.read(node, wall)
        elif node.id in self.module.imported and self.module.imported[node.id] in self.pinners:
            self.pin(node, ".".join(self.module.imported[node.id]))
        elif (self.module.name, node.id) in self.pinners and isinstance(node.ctx, ast.Load):
            self.pin(node, node.id)
        if node.id == "clock" and isinstance(node.ctx, ast.Store):
            self.pin(node, "binds a clock")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        target = self.resolve(func) or ""
        if target.startswith("time.") and target[5:] in TIME_READS_WITHOUT_ARGUMENT and not node.args:
            self.read(node, f"{target}()")
        if self.is_fixed_moment(node):
            self.pin(node, f"a fixed moment ({ast.unparse(node)[:60]})")
        if isinstance(func, ast.Attribute) and func.attr == "clock" and (node.args or node.keywords):
            self.pin(node, f"{ast.unparse(func)}(...)")
        if isinstance(func, (ast.Name, ast.Attribute)) and ast.unparse(func).endswith("setattr"):
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(n == "clock" or n.endswith(".clock") for n in names):
                self.pin(node, "patches a clock")
        for keyword in node.keywords:
            # time.monotonic or time.perf_counter is the real clock; time.time is a read (above)
            if keyword.arg == "clock" and not (self.resolve(keyword.value) or "").startswith("time."):
                self.pin(keyword, "passes clock=")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "clock":
                self.pin(target, f"assigns {ast.unparse(target)}")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        if node.arg == "clock":
            self.pin(node, "takes a clock")
        self.generic_visit(node)


def _sandbox_names(module: Module) -> set[str]:
    """`box` (the fixture), parameters annotated `Sandbox`, and `with sandbox(...) as name`."""
    names = {"box"}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if ast.unparse(node.annotation).endswith("Sandbox"):
                names.add(node.arg)
        elif isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and ast.unparse(call.func).endswith("sandbox")
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    names.add(item.optional_vars.id)
    return names


def _scan(module: Module, node: ast.AST, pinners: set[tuple[str, str]]) -> _Scanner:
    scanner = _Scanner(module, pinners)
    scanner.visit(node)
    return scanner


# Pins that make a top-level function a pinner for its callers: not taking or binding a clock
# (a caller passes the clock it has), but deciding the moment itself.
_LOCAL_ONLY = {"takes a clock", "binds a clock"}


def _top_level_pinners(module: Module, pinners: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Top-level functions and constants of `module` that pin, given what is already known to.

    A class is not one: using `Sandbox` pins nothing, calling its `clock(...)` does (seen directly).
    A name imported from a pinner is one too, so a package that re-exports it passes it on.
    """
    found = set()
    for statement in module.tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module and statement.level == 0:
            found |= {
                (module.name, alias.asname or alias.name)
                for alias in statement.names
                if (statement.module, alias.name) in pinners
            }
            continue
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [statement.name]
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        else:
            continue
        if any(pin.what not in _LOCAL_ONLY for pin in _scan(module, statement, pinners).pins):
            found |= {(module.name, name) for name in names}
    return found


def pinners_of(modules: Iterable[Module]) -> set[tuple[str, str]]:
    """Every top-level (module, name) that pins, directly or through other pinners (a fixed point)."""
    modules = list(modules)
    pinners: set[tuple[str, str]] = set()
    while True:
        grown = set(pinners)
        for module in modules:
            grown |= _top_level_pinners(module, grown)
        if grown == pinners:
            return pinners
        pinners = grown


def _allowances(module: Module) -> dict[int, str]:
    """Line → reason, for each `# clock-mix:` comment (comments only: not the same text in a string)."""
    found = {}
    source = io.StringIO("\n".join(module.lines) + "\n")
    for token in tokenize.generate_tokens(source.readline):
        match = ALLOWANCE.match(token.string) if token.type == tokenize.COMMENT else None
        if match:
            found[token.start[0]] = match["reason"].strip()
    return found


def findings_for(module: Module, pinners: set[tuple[str, str]]) -> Iterator[Finding]:
    scanner = _scan(module, module.tree, pinners)
    allowed = _allowances(module)
    read_lines = {read.line for read in scanner.reads}
    for line, reason in sorted(allowed.items()):
        if line not in read_lines:
            yield Finding(module.path, line, "a clock-mix allowance on a line that reads no wall clock")
        elif len(reason.split()) < MIN_REASON_WORDS:
            yield Finding(module.path, line, "a clock-mix allowance must say why the mix is right")
    if not scanner.pins:
        return
    pin = scanner.pins[0]
    for read in scanner.reads:
        if read.line in allowed:
            continue
        yield Finding(
            module.path,
            read.line,
            f"reads the wall clock ({read.what}) in a module that pins a clock ({pin.what}, line "
            f"{pin.line}); derive the expectation from the pinned clock",
        )


def find_mixes(paths: Iterable[Path], root: Path) -> list[Finding]:
    modules = [parse(path, root) for path in sorted(paths)]
    pinners = pinners_of(modules)
    return [finding for module in modules for finding in findings_for(module, pinners)]
