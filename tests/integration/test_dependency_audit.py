"""Security baseline, issue 9: no pinned requirement has a known vulnerability (pip-audit).

pip-audit reads requirements.txt and requirements-dev.txt (every package is pinned with ==, so it resolves nothing
and installs nothing: --no-deps --disable-pip) and asks a vulnerability service about each exact version: OSV when
it answers, else PyPI's own JSON API (`--vulnerability-service pypi`). `make audit` runs the same command by hand.

A package the service cannot answer for is "not audited", which is not "safe": the test fails on any vulnerability
found, and it is skipped, saying why, only when the service answered for no package at all (a machine that reaches
neither OSV nor PyPI's per-release pages; docs/reliability.md says where that is the case).
"""

import json
import re
import subprocess
import sys

import pytest

from tests.servers import ROOT

REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def osv_reachable() -> bool:
    import requests

    try:
        return requests.post("https://api.osv.dev/v1/query", json={"package": {"name": "django", "ecosystem": "PyPI"},
                                                                    "version": "5.2"}, timeout=5).ok
    except requests.RequestException:
        return False


def audit(*requirement_files: str) -> dict:
    service = "osv" if osv_reachable() else "pypi"
    args = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "--progress-spinner", "off",
            "--format", "json", "--vulnerability-service", service]
    for name in requirement_files:
        args += ["-r", name]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    # Exit 1 means "vulnerabilities found" and still prints the report; anything else without JSON is a failure.
    assert result.stdout.strip().startswith("{"), result.stdout + result.stderr
    return {"service": service, **json.loads(result.stdout)}


def pinned_names() -> set[str]:
    names = set()
    for name in REQUIREMENTS:
        for line in (ROOT / name).read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==", line.strip())
            if match:
                names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


@pytest.fixture(scope="module")
def report() -> dict:
    return audit(*REQUIREMENTS)


def test_every_requirement_is_pinned_exactly():
    loose = [f"{name}: {line}" for name in REQUIREMENTS for line in (ROOT / name).read_text().splitlines()
             if line.strip() and not line.startswith(("#", "-r ")) and "==" not in line]

    assert loose == []


def test_the_audit_covers_every_pinned_requirement(report):
    covered = {re.sub(r"[-_.]+", "-", d["name"]).lower() for d in report["dependencies"]}

    assert covered == pinned_names()


def test_pinned_requirements_have_no_known_vulnerability(report):
    vulnerable = {d["name"]: [f"{v['id']} (fixed in {', '.join(v['fix_versions']) or 'no release yet'})"
                              for v in d["vulns"]]
                  for d in report["dependencies"] if d.get("vulns")}
    audited = [d for d in report["dependencies"] if "skip_reason" not in d]
    print(f"pip-audit via {report['service']}: {len(audited)} of {len(report['dependencies'])} packages audited, "
          f"{len(vulnerable)} vulnerable")

    assert vulnerable == {}, f"Known vulnerabilities (upgrade these pins): {vulnerable}"
    if not audited:
        reasons = {d.get("skip_reason", "").split(":")[0] for d in report["dependencies"]}
        pytest.skip(f"The vulnerability service ({report['service']}) answered for none of the "
                    f"{len(report['dependencies'])} pinned packages ({'; '.join(sorted(reasons))}): nothing was audited.")
