"""Build each function's deployment directory locally, without Docker.

Layout of `.build/assets/<function>/` (what `Code.from_asset` zips):

    lambdas/__init__.py
    lambdas/shared/...
    lambdas/<function>/...
    lambdas/<shared package>/...  (the packages the function's code imports: policy, documents, ...)
    <runtime dependencies from lambdas/requirements.txt>

Dependencies are installed once per (requirements, Python version, platform) into
`.build/deps/<hash>/` with pip's cross-platform flags (`--platform manylinux2014_aarch64
--only-binary=:all:`), so repeated synths and tests reuse them; see docs/decision_log.md for why
this beats Docker bundling and layers here. A lock serialises builds because pytest-xdist
workers and the CLI may synthesize at the same time.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from infra import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = Path("lambdas") / "requirements.txt"

# Never bundled: the Lambda runtime ships boto3/botocore, and the rest are dev tools or the CLI's
# (rich draws its tables). Finding one means a runtime dependency dragged it in, which should be a
# conscious decision, not a surprise.
FORBIDDEN_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "moto", "pytest", "ruff", "mypy", "rich"}
)

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


class PackagingError(RuntimeError):
    """An asset cannot be built; the message says which function or requirement and why."""


def build_function_asset(
    function: str,
    python_version: str,
    *,
    root: Path = REPO_ROOT,
    shared_packages: tuple[str, ...] | None = None,
) -> Path:
    """Return `.build/assets/<function>/`, rebuilt only when its sources or dependencies change.

    `shared_packages` (default: `imported_packages(function)`) are the packages under lambdas/
    beside the function's own that it needs; they are copied in and are part of the fingerprint.
    """
    source = root / "lambdas" / function
    if not source.is_dir():
        raise PackagingError(f"tandem: function {function!r} has no directory lambdas/{function}/")
    wanted = imported_packages(function, root=root) if shared_packages is None else shared_packages
    # In order, once each, never the packages every asset has anyway.
    extras = tuple(dict.fromkeys(p for p in wanted if p not in ("shared", function)))
    for package in extras:
        if not (root / "lambdas" / package).is_dir():
            raise PackagingError(
                f"tandem: function {function!r} bundles lambdas/{package}/, which does not exist"
            )
    build = root / ".build"
    build.mkdir(exist_ok=True)
    with _locked(build / ".lock"):
        deps = ensure_dependencies(python_version, root=root)
        packages = ("shared", function, *extras)
        sources = [root / "lambdas" / "__init__.py", *(root / "lambdas" / package for package in packages)]
        fingerprint = _fingerprint([deps.name.encode(), *(_tree_digest(path, root) for path in sources)])
        assets = build / "assets"
        target = assets / function
        stamp = assets / f"{function}.fingerprint"  # beside the asset, so it is not zipped
        if target.is_dir() and stamp.is_file() and stamp.read_text() == fingerprint:
            return target
        assets.mkdir(exist_ok=True)
        staging = assets / f".{function}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        _copy_tree(deps, staging, link=True)
        (staging / "lambdas").mkdir(exist_ok=True)
        shutil.copy2(root / "lambdas" / "__init__.py", staging / "lambdas" / "__init__.py")
        for package in packages:
            _copy_tree(root / "lambdas" / package, staging / "lambdas" / package, link=False)
        _replace_dir(staging, target)
        stamp.write_text(fingerprint)
        return target


def imported_packages(function: str, *, root: Path = REPO_ROOT) -> tuple[str, ...]:
    """The packages under lambdas/ that `function`'s code imports, directly or through another
    of them, sorted: what its asset carries besides its own package.

    Read from the source (every `import lambdas.X` / `from lambdas.X ...`, inside functions and
    TYPE_CHECKING blocks too), so the asset follows the code and there is no list to keep. A
    function package (one with a handler.py) importing another is refused: shared code belongs
    in a package of its own.
    """
    lambdas = root / "lambdas"
    found: set[str] = set()
    pending = [function]
    while pending:
        package = pending.pop()
        for name in sorted(_lambdas_imports(lambdas / package) - found - {package}):
            if not (lambdas / name).is_dir():
                continue  # a module directly under lambdas/ (its __init__.py) is always bundled
            if (lambdas / name / "handler.py").is_file():
                raise PackagingError(
                    f"tandem: lambdas/{package}/ imports lambdas.{name}, another function's package; "
                    "move what they share to a package of its own"
                )
            found.add(name)
            pending.append(name)
    return tuple(sorted(found))


def _lambdas_imports(package: Path) -> set[str]:
    """First-level names under `lambdas` that the modules of `package` import."""
    names: set[str] = set()
    for file in sorted(package.rglob("*.py")):
        stat = file.stat()
        names |= _file_imports(str(file), stat.st_mtime_ns, stat.st_size)
    return names


@functools.lru_cache(maxsize=2048)
def _file_imports(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    # Keyed by modification time and size: every synth of a test session reads the same files.
    names: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_bytes(), filename=path)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "lambdas":  # from lambdas import X
                modules = [f"lambdas.{alias.name}" for alias in node.names]
        else:
            continue
        names.update(m.split(".")[1] for m in modules if m.startswith("lambdas."))
    return frozenset(names)


def ensure_dependencies(python_version: str, *, root: Path = REPO_ROOT) -> Path:
    """`.build/deps/<hash>/` with lambdas/requirements.txt installed for the Lambda platform."""
    requirements = root / REQUIREMENTS
    key = _fingerprint(
        [
            requirements.read_bytes(),
            python_version.encode(),
            constants.PIP_PLATFORM.encode(),
            constants.LAMBDA_ARCHITECTURE.encode(),
        ]
    )[:16]
    deps = root / ".build" / "deps" / key
    if deps.is_dir():
        return deps
    staging = deps.with_name(f".{key}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(staging),
        "--platform", constants.PIP_PLATFORM,
        "--implementation", "cp",
        "--python-version", python_version,
        "--only-binary=:all:",
        "--no-compile",
        "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise PackagingError(f"tandem: installing {REQUIREMENTS} for python{python_version} failed: {last}")
    # Console scripts are useless inside a function and pip writes them for the build host.
    shutil.rmtree(staging / "bin", ignore_errors=True)
    forbidden = sorted(installed_distributions(staging) & FORBIDDEN_DISTRIBUTIONS)
    if forbidden:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackagingError(
            f"tandem: {REQUIREMENTS} pulls in {', '.join(forbidden)}, which must not be bundled"
        )
    staging.rename(deps)
    return deps


def installed_distributions(directory: Path) -> set[str]:
    """Normalised names of the distributions pip installed into `directory`."""
    names = set()
    for info in directory.glob("*.dist-info"):
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        names.add(name.lower().replace("_", "-"))
    return names


def python_version_of(runtime_name: str) -> str:
    """ "python3.14" → "3.14"."""
    if not runtime_name.startswith("python"):
        raise PackagingError(f"tandem: {runtime_name!r} is not a Python runtime")
    return runtime_name.removeprefix("python")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: builds are not concurrent there
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fingerprint(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _tree_digest(path: Path, root: Path) -> bytes:
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if "__pycache__" in file.parts or file.suffix == ".pyc":
            continue
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.digest()


def _copy_tree(source: Path, target: Path, *, link: bool) -> None:
    # Hard links make the per-function copy of the shared dependency cache nearly free.
    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    shutil.copytree(
        source, target, ignore=_SKIP, dirs_exist_ok=True, copy_function=link_or_copy if link else shutil.copy2
    )


def _replace_dir(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
