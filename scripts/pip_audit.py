"""Run pip-audit on the installed environment and say clearly what it could check.

pip-audit needs PyPI's advisory data over the network. Without it, every package is
reported as "could not be audited" and pip-audit still says "No known vulnerabilities
found": that is not a pass. Exit codes: 0 audited and clean, 1 known vulnerabilities
(or pip-audit failed), 3 nothing could be audited (no network), which the test script
reports as skipped.
"""

import json
import subprocess
import sys
from pathlib import Path

TIMEOUT_SECONDS = 300


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    try:
        run = subprocess.run(  # noqa: S603  (a fixed command, no shell)
            [str(pip_audit), "--format", "json", "--progress-spinner", "off"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit could not run: {exc}", file=sys.stderr)
        return 3
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
        print("pip-audit gave no report (no network to PyPI?):", *tail, sep="\n  ")
        return 3
    packages = report.get("dependencies", [])
    audited = [p for p in packages if "skip_reason" not in p]
    vulnerable = [p for p in audited if p.get("vulns")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        return 1
    if not audited:
        print(
            f"pip-audit could not audit any of {len(packages)} packages: PyPI's advisory "
            "data is out of reach from here (no network?). Nothing was checked."
        )
        return 3
    skipped = len(packages) - len(audited)
    print(
        f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"
        + (f" ({skipped} not on PyPI, not audited)" if skipped else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
