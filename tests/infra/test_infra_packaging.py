"""Function assets: built locally for arm64, runtime dependencies only, cached between synths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from infra_support import REPO_ROOT, Synthesized

from infra.asset_report import asset_sizes, format_table, main
from infra.constants import FUNCTION_NAMES
from infra.packaging import (
    FORBIDDEN_DISTRIBUTIONS,
    PackagingError,
    build_function_asset,
    ensure_dependencies,
    imported_packages,
    installed_distributions,
    python_version_of,
)

pytestmark = pytest.mark.slow

PYTHON = "3.14"


def top_level(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_the_asset_holds_the_function_shared_code_and_runtime_dependencies() -> None:
    # Given the crm_lookup asset / When it is built (or reused)
    asset = build_function_asset("crm_lookup", PYTHON)
    # Then it has the handler package, the shared package and the bundled dependencies
    assert asset == REPO_ROOT / ".build" / "assets" / "crm_lookup"
    assert (asset / "lambdas" / "__init__.py").is_file()
    assert (asset / "lambdas" / "shared" / "tables.py").is_file()
    assert (asset / "lambdas" / "crm_lookup" / "__init__.py").is_file()
    assert {"aws_lambda_powertools", "phonenumbers"} <= top_level(asset)
    # And nothing the runtime already has, no dev tools, no other function, no bytecode
    assert not {"boto3", "botocore", "moto", "pytest", "ruff", "_pytest"} & top_level(asset)
    assert not FORBIDDEN_DISTRIBUTIONS & installed_distributions(asset)
    assert not list(asset.rglob("__pycache__")) and not list(asset.rglob("*.pyc"))
    assert sorted(p.name for p in (asset / "lambdas").iterdir()) == ["__init__.py", "crm_lookup", "shared"]
    assert not (asset / "bin").exists()


def test_dependencies_are_installed_once_per_requirements_and_runtime() -> None:
    # Given the cache from a previous build / When asked again for the same runtime
    first = ensure_dependencies(PYTHON)
    marker = first / "aws_lambda_powertools" / "__init__.py"
    before = marker.stat().st_mtime_ns
    again = ensure_dependencies(PYTHON)
    # Then the same directory is reused, untouched
    assert again == first and marker.stat().st_mtime_ns == before
    assert first.parent == REPO_ROOT / ".build" / "deps"


def test_an_asset_is_rebuilt_when_its_sources_change(tmp_path: Path) -> None:
    # Given a copy of the repo's lambdas with an extra function, sharing the real dependency cache
    shutil.copytree(REPO_ROOT / "lambdas", tmp_path / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "lambdas" / "probe").mkdir()
    handler = tmp_path / "lambdas" / "probe" / "handler.py"
    handler.write_text("VERSION = 1\n")
    (tmp_path / ".build" / "deps").mkdir(parents=True)
    real_deps = ensure_dependencies(PYTHON)
    os.symlink(real_deps, tmp_path / ".build" / "deps" / real_deps.name)
    # When it is built, changed, and built again
    first = build_function_asset("probe", PYTHON, root=tmp_path)
    assert (first / "lambdas" / "probe" / "handler.py").read_text() == "VERSION = 1\n"
    handler.write_text("VERSION = 2\n")
    second = build_function_asset("probe", PYTHON, root=tmp_path)
    # Then the asset has the new code, and other functions' directories are not included
    assert (second / "lambdas" / "probe" / "handler.py").read_text() == "VERSION = 2\n"
    assert not (second / "lambdas" / "crm_lookup").exists()


def test_a_missing_function_directory_is_a_clear_error() -> None:
    # Given a function with no code directory / Then packaging says so in one line
    from infra.packaging import PackagingError

    with pytest.raises(PackagingError, match=r"function 'nope' has no directory lambdas/nope/"):
        build_function_asset("nope", PYTHON)


def test_python_version_comes_from_the_runtime_name() -> None:
    # Given a runtime name / Then pip's --python-version is its X.Y
    assert python_version_of("python3.14") == "3.14"


def test_the_synthesized_assets_are_the_built_directories(new_instance: Synthesized) -> None:
    # Given the cloud assembly / Then each function's staged asset has the same layout
    staged = [p for p in new_instance.assembly_dir.glob("asset.*") if p.is_dir()]
    assert len(staged) == len(new_instance.stack.functions.all) == 6
    packages = []
    for asset in staged:
        assert {"lambdas", "aws_lambda_powertools", "phonenumbers", "tzdata"} <= top_level(asset)
        assert not {"boto3", "botocore"} & top_level(asset)
        packages.append(sorted({p.name for p in (asset / "lambdas").iterdir()} - {"__init__.py", "shared"}))
    # And each carries its own package plus the shared ones its code imports, no other function's
    assert sorted(packages) == [
        ["crm_lookup"],
        ["ctr_ingest"],
        ["documents", "escalation", "policy"],
        ["documents", "experiment_guard", "policy"],
        ["documents", "ivr_decision", "policy"],
        ["survey"],
    ]


def test_the_shared_packages_a_function_carries_are_the_ones_its_code_imports() -> None:
    # Given each function's source / When its imports are read
    carried = {function: imported_packages(function) for function in FUNCTION_NAMES}
    # Then ivr_decision, escalation and the experiment guard need the document store and the
    # condition language, the others only lambdas/shared, and no function needs another's package
    assert carried == {
        "crm_lookup": ("shared",),
        "ivr_decision": ("documents", "policy", "shared"),
        "escalation": ("documents", "policy", "shared"),
        "survey": ("shared",),
        "ctr_ingest": ("shared",),
        "experiment_guard": ("documents", "policy", "shared"),  # reads the experiment as ivr_decision does
    }


@pytest.mark.parametrize(
    "source",
    [
        "from lambdas.ivr_decision.decide import decide\n",
        "def later():\n    from lambdas.ivr_decision import decide\n",  # a function-level import
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lambdas.ivr_decision.decide\n",
    ],
)
def test_a_function_importing_another_functions_package_is_refused(tmp_path: Path, source: str) -> None:
    # Given escalation's code importing ivr_decision's, however the import is written
    copy_repo_lambdas(tmp_path)
    (tmp_path / "lambdas" / "escalation" / "probe.py").write_text(source)
    # When its asset is built / Then packaging says which package imports which, in one line
    with pytest.raises(
        PackagingError, match=r"lambdas/escalation/ imports lambdas.ivr_decision, another function's package"
    ):
        build_function_asset("escalation", PYTHON, root=tmp_path)


def test_a_shared_package_importing_a_function_package_is_refused(tmp_path: Path) -> None:
    # Given the document registry reaching into a function's package (a cycle through shared code)
    copy_repo_lambdas(tmp_path)
    (tmp_path / "lambdas" / "documents" / "probe.py").write_text("from lambdas.ivr_decision import decide\n")
    # When escalation's asset is built / Then it is refused, naming the shared package
    with pytest.raises(PackagingError, match=r"lambdas/documents/ imports lambdas.ivr_decision"):
        build_function_asset("escalation", PYTHON, root=tmp_path)


def test_the_escalation_asset_bundles_the_shared_packages_and_no_other_function() -> None:
    # Given the three function assets / When they are built (or reused)
    escalation = build_function_asset("escalation", PYTHON)
    # Then escalation's has its own package, lambdas/shared and the two it imports (defaults included)
    assert sorted(p.name for p in (escalation / "lambdas").iterdir()) == [
        "__init__.py",
        "documents",
        "escalation",
        "policy",
        "shared",
    ]
    for name in ("rules", "content", "calendar", "escalation"):
        assert (escalation / "lambdas" / "documents" / "defaults" / f"{name}.json").is_file()
    assert (escalation / "lambdas" / "documents" / "storage_format.py").is_file()
    assert (escalation / "lambdas" / "policy" / "conditions.py").is_file()
    assert not list(escalation.rglob("__pycache__"))
    # And crm_lookup's holds only its own package, ivr_decision's no other function's
    crm = build_function_asset("crm_lookup", PYTHON)
    assert sorted(p.name for p in (crm / "lambdas").iterdir()) == ["__init__.py", "crm_lookup", "shared"]
    decision = build_function_asset("ivr_decision", PYTHON)
    assert sorted(p.name for p in (decision / "lambdas").iterdir()) == [
        "__init__.py",
        "documents",
        "ivr_decision",
        "policy",
        "shared",
    ]


def copy_repo_lambdas(tmp_path: Path) -> None:
    """A copy of the repo's lambdas under tmp_path, sharing the real dependency cache."""
    shutil.copytree(REPO_ROOT / "lambdas", tmp_path / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / ".build" / "deps").mkdir(parents=True)
    real_deps = ensure_dependencies(PYTHON)
    os.symlink(real_deps, tmp_path / ".build" / "deps" / real_deps.name)


def test_an_asset_is_rebuilt_when_a_shared_package_changes(tmp_path: Path) -> None:
    # Given a copy of the repo's lambdas and the escalation asset built from it
    copy_repo_lambdas(tmp_path)
    first = build_function_asset("escalation", PYTHON, root=tmp_path)
    stamp = tmp_path / ".build" / "assets" / "escalation.fingerprint"
    before = stamp.read_text()
    # When a file of the bundled documents package changes and the asset is asked for again
    marker = tmp_path / "lambdas" / "documents" / "probe_marker.py"
    marker.write_text("CHANGED = True\n")
    second = build_function_asset("escalation", PYTHON, root=tmp_path)
    # Then the fingerprint moved and the asset holds the change
    assert second == first
    assert stamp.read_text() != before
    assert (second / "lambdas" / "documents" / "probe_marker.py").read_text() == "CHANGED = True\n"
    # And the same change leaves a function that does not bundle the documents package alone
    crm_first = build_function_asset("crm_lookup", PYTHON, root=tmp_path)
    crm_stamp = (tmp_path / ".build" / "assets" / "crm_lookup.fingerprint").read_text()
    marker.write_text("CHANGED = 2\n")
    assert build_function_asset("crm_lookup", PYTHON, root=tmp_path) == crm_first
    assert (tmp_path / ".build" / "assets" / "crm_lookup.fingerprint").read_text() == crm_stamp


def test_the_shared_packages_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    # Given the escalation asset built with its shared packages
    copy_repo_lambdas(tmp_path)
    build_function_asset("escalation", PYTHON, root=tmp_path)
    stamp = tmp_path / ".build" / "assets" / "escalation.fingerprint"
    with_extra = stamp.read_text()
    # When it is built without them / Then it is rebuilt, without them
    bare = build_function_asset("escalation", PYTHON, root=tmp_path, shared_packages=())
    assert stamp.read_text() != with_extra
    assert not (bare / "lambdas" / "documents").exists() and not (bare / "lambdas" / "policy").exists()


def test_a_missing_shared_package_is_a_clear_error(tmp_path: Path) -> None:
    # Given a function built with a shared package that does not exist / Then packaging says so
    with pytest.raises(
        PackagingError, match=r"function 'escalation' bundles lambdas/nope/, which does not exist"
    ):
        build_function_asset("escalation", PYTHON, shared_packages=("nope",))


def test_asset_report_lists_the_function_with_disk_and_zipped_sizes(
    new_instance: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a cloud assembly / When the report runs / Then crm_lookup is listed with both sizes
    sizes = {s.name: s for s in asset_sizes(new_instance.assembly_dir)}
    crm = sizes["crm_lookup"]
    assert crm.packaging == "zip"
    assert crm.zipped_bytes is not None and 0 < crm.zipped_bytes < crm.disk_bytes < 50 * 1024 * 1024
    # And each function's row names the packages under lambdas/ its asset carries
    assert crm.packages == ("crm_lookup", "shared")
    assert sizes["escalation"].packages == ("documents", "escalation", "policy", "shared")
    table = format_table(list(sizes.values()))
    assert table.splitlines()[0].split() == ["asset", "kind", "on", "disk", "zipped", "lambdas/", "packages"]
    assert "documents, escalation, policy, shared" in table
    assert main([str(new_instance.assembly_dir)]) == 0
    assert "crm_lookup" in capsys.readouterr().out


def test_asset_report_on_a_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given no cloud assembly / Then the report exits 2 with one line
    assert main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("tandem: ")
