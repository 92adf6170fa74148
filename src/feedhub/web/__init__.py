"""Serving: the Flask app (``gunicorn 'feedhub.web:create_app()'``) and what it is made of.

The modules, from the bottom floor up (each imports only the ones above it in this list):

- headers: media types, Content-Security-Policy, CORS headers, the HTTP date format.
- published: published files held ready to answer (Ready, Variant, make_ready, Published).
- conditional: which answer a request gets (ETag, If-Modified-Since, gzip, CORS origin).
- storepublished: the same files from the store, on web nodes without a build of their own.
- filters: ``?limit=&q=&since=`` feeds rendered from the store.
- embeds: embed URL options; iframes with options rendered from the store.
- status: who is an operator; the /healthz and /status.json bodies.
- fastpath: feed URLs answered before Flask's routing.
- app: create_app() and its routes.

This face hands on the names other modules and the tests use; nothing is defined here.
"""

from __future__ import annotations

from .app import create_app, relative_location
from .headers import MEDIA_TYPES
from .published import Published, Ready
from .storepublished import StorePublished, published_for

__all__ = ["MEDIA_TYPES", "Published", "Ready", "StorePublished", "create_app",
           "published_for", "relative_location"]
