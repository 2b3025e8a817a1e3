"""plotly.js as the pages load it: the smallest bundle that draws our charts, compressed
once per process, cached by browsers for a year (README "Page weight").

The charts use three trace types (scatter, bar, heatmap), all in plotly.js's published
*cartesian* bundle, a third of the full one. ``scripts/build_assets.py`` fetches that
bundle for the plotly.js version of the installed plotly package into
``feedback/static/vendor/``; without it (a plain ``pip install``), the full bundle that
the plotly package ships is served instead, so the charts work either way and offline.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import brotli
import plotly
from werkzeug.security import safe_join

#: The full bundle inside the plotly package.
FULL_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
#: Where scripts/build_assets.py puts the partial bundle.
PARTIAL_BUNDLE = (
    Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly-cartesian.min.js"
)
#: Content codings the bundle is sent in, the browser's preference first among equals.
ENCODINGS = ("br", "gzip")

_VERSION = re.compile(rb"plotly\.js(?: \(([a-z]+)[^)]*\))? v(\d+\.\d+\.\d+)")


@dataclass(frozen=True)
class Bundle:
    """The plotly.js file the pages load."""

    path: Path
    #: What the URL carries: kind, version and a hash of the bytes, so that a new file
    #: gets a new URL and a browser may keep each one for a year.
    token: str
    data: bytes


def bundle_version(head: bytes) -> tuple[str, str] | None:
    """(kind, version) from a plotly.js bundle's banner (kind "full" when it names none)."""
    found = _VERSION.search(head)
    return (
        (found.group(1).decode() if found.group(1) else "full", found.group(2).decode())
        if found
        else None
    )


@functools.cache
def plotly_bundle() -> Bundle:
    """The partial bundle when it is there and matches the plotly package's plotly.js
    version (charts are written for that version), else the full bundle."""
    full = FULL_BUNDLE.read_bytes()
    wanted = bundle_version(full[:300])
    path, data = FULL_BUNDLE, full
    if PARTIAL_BUNDLE.is_file():
        partial = PARTIAL_BUNDLE.read_bytes()
        found = bundle_version(partial[:300])
        if found and wanted and found[1] == wanted[1]:
            path, data = PARTIAL_BUNDLE, partial
    kind, version = bundle_version(data[:300]) or ("full", plotly.__version__)
    digest = hashlib.sha256(data).hexdigest()[:10]
    return Bundle(path=path, token=f"{kind}-{version}-{digest}", data=data)


@functools.cache
def encoded(encoding: str) -> bytes:
    """The bundle compressed with ``encoding`` (one of ENCODINGS), computed once."""
    data = plotly_bundle().data
    if encoding == "br":
        return brotli.compress(data, quality=9, mode=brotli.MODE_TEXT)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    raise ValueError(f"no such content coding: {encoding}")


@functools.cache
def static_version(folder: str, filename: str) -> str | None:
    """A short hash of a static file's bytes, for its URL (``?v=``): a new file gets a
    new URL, so a proxy may let browsers keep each one for a year (deploy/nginx/).
    Computed once per process and file; None for a file that is not there."""
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
