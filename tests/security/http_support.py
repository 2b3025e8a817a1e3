"""Browser tabs over real HTTP, posting at the same moment: for races against a served
app (``serve`` in security_support)."""

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from support import csrf_token


class Tab:
    """One browser tab on a form's page: its own cookies, the form's CSRF token."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )
        self.opener.addheaders = list((headers or {}).items())
        with self.opener.open(url, timeout=30) as page:
            self.token = csrf_token(page.read().decode())

    def post(self, data: dict[str, str] | list[str]) -> tuple[int, str]:
        """Send the form (a list: lines pasted as raters); the status and the page."""
        if isinstance(data, list):
            data = {"raters": "\n".join(data)}
        body = urllib.parse.urlencode({"csrf_token": self.token, **data})
        try:
            with self.opener.open(self.url, data=body.encode(), timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


def all_at_once(tabs: list[Tab], data_of) -> list[tuple[int, str]]:
    """Each tab posts ``data_of(index)`` at the same moment; their statuses and pages."""
    barrier = threading.Barrier(len(tabs))

    def go(index: int) -> tuple[int, str]:
        barrier.wait(timeout=30)
        return tabs[index].post(data_of(index))

    with ThreadPoolExecutor(len(tabs)) as pool:
        return list(pool.map(go, range(len(tabs))))
