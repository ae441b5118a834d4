"""Print each asset of a cloud assembly with its size on disk and zipped.

    python -m infra.asset_report cdk.out

Lambda's limits are 250 MB unzipped and 50 MB zipped for direct upload, and cold starts grow
with package size, so `make synth` shows where the bytes go after every synth, and which packages
under lambdas/ each function's asset carries (its own, shared, and those its code imports).
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AssetSize:
    name: str  # the function (e.g. "crm_lookup") or the asset's display name / id
    packaging: str  # "zip" (a directory) or "file"
    disk_bytes: int
    zipped_bytes: int | None  # None for file assets, uploaded as they are
    packages: tuple[str, ...] = ()  # the packages under lambdas/ in a function's asset


def asset_sizes(assembly: Path) -> list[AssetSize]:
    sizes: list[AssetSize] = []
    for manifest in sorted(assembly.glob("*.assets.json")):
        files = json.loads(manifest.read_text()).get("files", {})
        for asset_id, asset in files.items():
            source = assembly / asset["source"]["path"]
            packaging = asset["source"].get("packaging", "file")
            name = _name(asset.get("displayName"), asset_id)
            if packaging == "zip" and source.is_dir():
                disk = sum(f.stat().st_size for f in source.rglob("*") if f.is_file())
                packages = tuple(sorted(p.name for p in (source / "lambdas").glob("*") if p.is_dir()))
                sizes.append(AssetSize(name, packaging, disk, _zipped_size(source), packages))
            elif source.is_file():
                sizes.append(AssetSize(name, packaging, source.stat().st_size, None))
    return sizes


def format_table(sizes: list[AssetSize]) -> str:
    rows = [("asset", "kind", "on disk", "zipped", "lambdas/ packages")]
    rows += [
        (
            s.name,
            s.packaging,
            _human(s.disk_bytes),
            _human(s.zipped_bytes) if s.zipped_bytes is not None else "-",
            ", ".join(s.packages) or "-",
        )
        for s in sizes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}  "
        + row[4]
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    assembly = Path(args[0] if args else "cdk.out")
    if not assembly.is_dir():
        print(
            f"tandem: {assembly} is not a cloud assembly directory; run `make synth` first", file=sys.stderr
        )
        return 2
    sizes = asset_sizes(assembly)
    if not sizes:
        print(f"tandem: no assets in {assembly}/*.assets.json", file=sys.stderr)
        return 1
    print(format_table(sizes))
    return 0


def _name(display_name: str | None, asset_id: str) -> str:
    # CDK names function code "<path>/<function>/Function/Code"; TandemFunction's id is the
    # function's directory under lambdas/, so that segment is the function name.
    if display_name:
        parts = display_name.split("/")
        if parts[-2:] == ["Function", "Code"] and len(parts) >= 3:
            return parts[-3]
        return display_name
    return asset_id[:12]


def _zipped_size(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(directory.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(directory).as_posix())
    return buffer.tell()


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


if __name__ == "__main__":
    sys.exit(main())
