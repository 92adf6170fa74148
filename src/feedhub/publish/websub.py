"""Tell a WebSub hub (https://www.w3.org/TR/websub/) which feeds changed in this build.

One form-encoded POST per changed feed URL: ``hub.mode=publish&hub.url=<feed URL>``, the
publish ping hubs such as WebSub's reference hubs accept. The hub then fetches the feed and
pushes it to subscribers.

Contract: never raises. A hub that is down, slow (``timeout`` seconds per request) or answers
with an error is reported in :class:`HubOutcome`, and the build goes on: the feeds are already
published and subscribers' own polling still finds them. Uses the standard library only.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .. import __version__

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub)"


@dataclass
class HubOutcome:
    notified: list[str] = field(default_factory=list)
    """Feed URLs the hub accepted (a 2xx answer)."""
    errors: list[str] = field(default_factory=list)
    """One line per failure, naming the hub, the feed and what to check."""


Notifier = Callable[[str, Sequence[str]], HubOutcome]


def notify(hub: str, feed_urls: Sequence[str], timeout: float = 10.0) -> HubOutcome:
    """POST a publish notification for each of ``feed_urls`` to ``hub``."""
    outcome = HubOutcome()
    for url in feed_urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
        request = urllib.request.Request(hub, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        })
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read(64 * 1024)
            outcome.notified.append(url)
        except urllib.error.HTTPError as exc:
            outcome.errors.append(f"WebSub hub {hub} answered {exc.code} {exc.reason} for "
                                  f"{url}; check site.websub_hub")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            rest = len(feed_urls) - len(outcome.notified) - len(outcome.errors) - 1
            more = f" (and {rest} more feed(s) not notified)" if rest > 0 else ""
            outcome.errors.append(f"WebSub hub {hub} unreachable for {url}{more} ({reason}); "
                                  "subscribers will see the change at their next poll")
            # One unreachable hub is unreachable for every feed: do not wait on each.
            break
    return outcome
