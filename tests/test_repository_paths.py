"""The project's docs and scripts speak only of paths inside the repository or on the user's
machine: never a folder of the machines it was built on."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACES = ["README.md", "docs", "scripts", "packaging", "benchmarks", ".ci", "voicepanel"]
# Build-machine folders, the team's documents outside the repository, a home of root.
FOREIGN = re.compile(r"/work/|\.\./\.\./shared|shared/(notes|DESIGN|STYLE)|DESIGN\.md|/root/")


def _files() -> list[Path]:
    found: list[Path] = []
    for place in PLACES:
        path = ROOT / place
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix in {".md", ".py", ".sh", ".spec", ".ps1", ".iss", ".txt", ""}
                and "__pycache__" not in p.parts
            ]
    return found


def test_docs_and_scripts_name_no_folder_of_the_build_machines() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if FOREIGN.search(line)
    ]
    assert offenders == []
