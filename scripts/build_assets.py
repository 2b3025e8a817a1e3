"""Fetch the partial plotly.js bundle the charts need, for the plotly.js version of the
installed plotly package, into feedback/static/vendor/ (README "Page weight"); with
``--axe``, axe-core for the browser tests' accessibility checks instead.

    .venv/bin/python scripts/build_assets.py
    .venv/bin/python scripts/build_assets.py --axe

plotly.js publishes its partial bundles on the npm registry only, so this asks ``npm
pack`` for ``plotly.js-cartesian-dist-min`` at the exact version the plotly package
embeds, and keeps the one file. Nothing else of the package is used or run. Already
there and of the right version: nothing to do. Exit status 0 when the bundle is in
place, 1 when it could not be fetched (the app then serves the full bundle), 2 on a
bad command line.

axe-core (Deque's accessibility engine, MPL-2.0) is fetched the same way, ``npm pack
axe-core@AXE_VERSION``, keeping only ``axe.min.js``, into tests/e2e/vendor/ (git-ignored):
the tests inject it into each page they check (tests/e2e/test_accessibility.py). The app
never serves it. Exit status 1 when it could not be fetched: the accessibility tests then
fail in CI and are skipped elsewhere.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedback.web.assets import FULL_BUNDLE, PARTIAL_BUNDLE, bundle_version  # noqa: E402

PACKAGE = "plotly.js-cartesian-dist-min"
MEMBER = "package/plotly-cartesian.min.js"

#: axe-core for the browser tests: a fixed version, so that a new rule in a later
#: release shows up as a deliberate upgrade, not as a red build one morning.
AXE_PACKAGE = "axe-core"
AXE_VERSION = "4.14.1"
AXE_MEMBER = "package/axe.min.js"
AXE_FILE = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"


def wanted_version() -> str:
    """The plotly.js version that the installed plotly package embeds."""
    found = bundle_version(FULL_BUNDLE.read_bytes()[:300])
    if found is None:
        raise SystemExit(f"cannot read the plotly.js version from {FULL_BUNDLE}")
    return found[1]


def present(version: str) -> bool:
    """The partial bundle is in place, for ``version``."""
    if not PARTIAL_BUNDLE.is_file():
        return False
    return bundle_version(PARTIAL_BUNDLE.read_bytes()[:300]) == ("cartesian", version)


def fetch(version: str, package: str = PACKAGE, member_name: str = MEMBER) -> bytes:
    """One file of an npm package (by default the plotly bundle) from the npm registry,
    through ``npm pack`` (which downloads the archive and runs nothing of it)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [npm, "pack", f"{package}@{version}", "--silent", "--pack-destination", folder],
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
        (archive,) = Path(folder).glob("*.tgz")
        with tarfile.open(archive) as tar:
            member = tar.extractfile(member_name)
            if member is None:
                raise RuntimeError(f"{archive.name} holds no {member_name}")
            return member.read()


def axe_present() -> bool:
    """axe-core is in place, at :data:`AXE_VERSION`."""
    return AXE_FILE.is_file() and f"axe v{AXE_VERSION}".encode() in AXE_FILE.read_bytes()[:200]


def fetch_axe(force: bool = False) -> int:
    """Put axe-core's ``axe.min.js`` in :data:`AXE_FILE`; 0 when it is there."""
    if axe_present() and not force:
        print(f"axe-core {AXE_VERSION}: present")
        return 0
    try:
        data = fetch(AXE_VERSION, AXE_PACKAGE, AXE_MEMBER)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as error:
        print(f"axe-core {AXE_VERSION}: not fetched ({error})", file=sys.stderr)
        return 1
    if f"axe v{AXE_VERSION}".encode() not in data[:200]:
        print(f"{AXE_PACKAGE}@{AXE_VERSION} is not the file expected", file=sys.stderr)
        return 1
    AXE_FILE.parent.mkdir(parents=True, exist_ok=True)
    part = AXE_FILE.with_suffix(".part")
    part.write_bytes(data)
    part.replace(AXE_FILE)
    print(f"axe-core {AXE_VERSION}: {len(data):,} bytes in {AXE_FILE.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Fetch the bundle unless it is there; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="fetch even when present")
    parser.add_argument(
        "--axe", action="store_true", help="fetch axe-core for the browser tests instead"
    )
    args = parser.parse_args(argv)
    if args.axe:
        return fetch_axe(args.force)
    version = wanted_version()
    if present(version) and not args.force:
        print(f"plotly.js cartesian bundle {version}: present")
        return 0
    try:
        data = fetch(version)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as error:
        print(
            f"plotly.js cartesian bundle {version}: not fetched ({error}); "
            "the app serves the full bundle",
            file=sys.stderr,
        )
        return 1
    if bundle_version(data[:300]) != ("cartesian", version):
        print(f"{PACKAGE}@{version} is not the bundle expected", file=sys.stderr)
        return 1
    PARTIAL_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    part = PARTIAL_BUNDLE.with_suffix(".part")
    part.write_bytes(data)
    part.replace(PARTIAL_BUNDLE)
    where = PARTIAL_BUNDLE.relative_to(ROOT)
    print(f"plotly.js cartesian bundle {version}: {len(data):,} bytes in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
