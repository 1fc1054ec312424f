"""The documentation site builds from the repository with every internal link and anchor resolving, its API
reference carries the docstrings, and the tutorials' commands are ones the command line takes."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from spaceground.cli import build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIALS = os.path.join(ROOT, "docs", "tutorials")


def test_the_site_builds_strictly_with_the_api_reference(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", os.path.join(ROOT, "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr  # strict: a broken link, anchor or reference fails the build
    api = (site / "api" / "index.html").read_text()
    from spaceground import api as sg

    for name in ("contact_windows", "run_scenario", "compare", "Results", "sweep"):
        first_line = (getattr(sg, name).__doc__ or "").strip().splitlines()[0]
        assert f"spaceground.api.{name}" in api, name
        words = re.sub(r"[`*]", "", first_line).split()[:4]
        assert " ".join(words) in re.sub(r"<[^>]+>", "", api), (name, words)
    for page in ("tutorials/planner", "tutorials/analyst", "tutorials/researcher", "validation", "notebooks"):
        assert (site / page / "index.html").exists(), page


def _commands():
    for name in sorted(os.listdir(TUTORIALS)):
        text = open(os.path.join(TUTORIALS, name)).read()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S):
            for command in block.replace("\\\n", " ").strip().splitlines():
                yield name, command


@pytest.mark.parametrize("name, command", list(_commands()))
def test_each_tutorial_command_is_one_the_command_line_takes(name, command):
    argv = shlex.split(command)
    if argv[0].endswith("spaceground"):
        build_parser().parse_args(argv[1:])  # argparse exits on a flag or command it does not know
    for path in re.findall(r"scenarios/[\w./-]+\.yaml", command):
        assert os.path.exists(os.path.join(ROOT, path)), (name, path)
