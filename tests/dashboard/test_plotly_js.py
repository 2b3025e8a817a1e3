"""plotly.js as the results pages load it: the partial bundle when it was built for the
plotly package's plotly.js, compressed, cached by browsers for a year (README "Page
weight")."""

import gzip
import re

import brotli

from feedback.web import assets


def plotly_url(html: str) -> str:
    return re.search(r'<meta name="plotly-js" content="(/vendor/plotly-[^"]+)"', html).group(1)


def test_plotly_js_is_served_by_the_app_compressed_and_cached(closed_cycle, coach_browser):
    url = plotly_url(coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}").text)
    bundle = assets.plotly_bundle()
    assert url == f"/vendor/plotly-{bundle.token}.min.js"
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = coach_browser.get(url, headers={"Accept-Encoding": f"{encoding}, identity"})
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert response.headers["Content-Encoding"] == encoding
        assert decode(response.data) == bundle.data
        assert len(response.data) < len(bundle.data) / 2.5
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.immutable
    plain = coach_browser.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == bundle.data
    assert b"Plotly" in plain.data[:5000] or b"plotly" in plain.data[:5000]
    # An old page's URL still draws its charts, but is not kept under that name.
    old = coach_browser.get("/vendor/plotly-full-1.0.0-0000000000.min.js")
    assert old.status_code == 200 and old.cache_control.no_cache


def test_the_partial_bundle_is_served_only_for_the_same_plotly_js(tmp_path, monkeypatch):
    full = assets.FULL_BUNDLE.read_bytes()
    _, version = assets.bundle_version(full[:300])
    partial = tmp_path / "plotly-cartesian.min.js"
    monkeypatch.setattr(assets, "PARTIAL_BUNDLE", partial)
    try:
        for banner, kind in (
            (f"/** plotly.js (cartesian - minified) v{version} */ var Plotly;", "cartesian"),
            ("/** plotly.js (cartesian - minified) v0.0.1 */ var Plotly;", "full"),
        ):
            partial.write_text(banner)
            assets.plotly_bundle.cache_clear()
            assert assets.plotly_bundle().token.startswith(f"{kind}-{version}-"), banner
    finally:
        assets.plotly_bundle.cache_clear()
        assets.encoded.cache_clear()
