"""Function assets: built locally for arm64, runtime dependencies only, cached between synths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from infra_support import REPO_ROOT, Synthesized

from infra.asset_report import asset_sizes, format_table, main
from infra.packaging import (
    FORBIDDEN_DISTRIBUTIONS,
    build_function_asset,
    ensure_dependencies,
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
    assert len(staged) == len(new_instance.stack.functions.all) == 2
    functions = set()
    for asset in staged:
        assert {"lambdas", "aws_lambda_powertools", "phonenumbers", "tzdata"} <= top_level(asset)
        assert not {"boto3", "botocore"} & top_level(asset)
        functions |= {p.name for p in (asset / "lambdas").iterdir()} - {"__init__.py", "shared"}
    assert functions == {"crm_lookup", "ivr_decision"}


def test_asset_report_lists_the_function_with_disk_and_zipped_sizes(
    new_instance: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a cloud assembly / When the report runs / Then crm_lookup is listed with both sizes
    sizes = {s.name: s for s in asset_sizes(new_instance.assembly_dir)}
    crm = sizes["crm_lookup"]
    assert crm.packaging == "zip"
    assert crm.zipped_bytes is not None and 0 < crm.zipped_bytes < crm.disk_bytes < 50 * 1024 * 1024
    table = format_table(list(sizes.values()))
    assert table.splitlines()[0].split() == ["asset", "kind", "on", "disk", "zipped"]
    assert main([str(new_instance.assembly_dir)]) == 0
    assert "crm_lookup" in capsys.readouterr().out


def test_asset_report_on_a_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given no cloud assembly / Then the report exits 2 with one line
    assert main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("tandem: ")
