"""The docs and the comments cite only what ships in the repository.

A clone has no sibling `../shared`: every `docs/<name>.md` that a tracked file names must exist, and
no tracked file sends the reader to the design or reference documents kept outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC_PATH = re.compile(r"docs/[A-Za-z0-9_.-]+\.md")
MARKDOWN_LINK = re.compile(r"\]\((?!https?:|#|mailto:)([^)#\s]+)")
# Documents that live outside the repository; a comment or doc citing them leaves a clone stranded.
OUTSIDE = ("connect-reference", "../shared/DESIGN", "shared/docs/")


def tracked(*suffixes: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [REPO / name for name in listed if name.endswith(suffixes) and (REPO / name).is_file()]


def test_every_docs_file_a_source_or_doc_names_exists() -> None:
    # Given every tracked source and document / When each docs/*.md it names is looked up
    missing = [
        f"{path.relative_to(REPO)}: {cited}"
        for path in tracked(".py", ".md", ".json", ".toml", "Makefile")
        for cited in DOC_PATH.findall(path.read_text(encoding="utf-8"))
        if not (REPO / cited).is_file()
    ]
    # Then it is in the repository
    assert missing == []


def test_nothing_cites_documents_kept_outside_the_repository() -> None:
    this_file = Path(__file__).resolve()
    found = [
        f"{path.relative_to(REPO)}: {outside}"
        for path in tracked(".py", ".md")
        if path.resolve() != this_file
        for outside in OUTSIDE
        if outside in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    # Given README.md and docs/*.md / Then each relative Markdown link names a file in the repository
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = [
        f"{page.relative_to(REPO)}: {target}"
        for page in pages
        for target in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8"))
        if not (page.parent / target).exists()
    ]
    assert broken == []


# A repository path in backquotes: a top-level package or folder, then at least one more part.
CODE_PATH = re.compile(r"`((?:lambdas|infra|tandem|flowdoc|flows|tests|docs|bench)/[A-Za-z0-9_./*{},-]*)`")


def test_every_path_the_architecture_map_names_exists() -> None:
    # Given docs/architecture.md / When each backquoted path is looked up (globs expanded)
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    cited = {match.rstrip("/") for match in CODE_PATH.findall(text)}
    missing = sorted(path for path in cited if not any(REPO.glob(path)))
    # Then every one is in the repository, and the map names enough of them to be a map
    assert len(cited) >= 40
    assert missing == []
