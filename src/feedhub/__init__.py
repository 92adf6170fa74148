"""feedhub: news listing pages and scattered feeds in, clean per-category feeds out."""

__version__ = "0.1.0"
