"""Load Code for America's `open311` client (PyPI open311 1.1, 2011) on Python 3 without changing its code.

The package is Python 2: it cannot even be imported on Python 3. This adapter does the least that lets its own code
build the URLs and request bodies it always built, and says what it changes:

1. Imports. Its modules use Python 2's implicit relative imports (`from api import API`, `from xml2dict import
   xml2dict`, `from object_dict import object_dict`), and its `__init__` imports itself. The adapter loads the
   package's files under the top-level names they ask for (`api`, `xml2dict`, `object_dict`) and the client module
   itself under `open311_py2`.
2. POST bodies. It passes `urlencode(...)` (a str) to `urlopen`, which Python 3 refuses ("POST data should be
   bytes"); the adapter's `urlopen` encodes that str as UTF-8 and calls the real one. URL, method, query string
   and form fields stay the library's own.
3. XML. Its XML-to-dict helper calls `Element.getchildren()`, removed in Python 3.9. The library documents
   `_xml_to_dict` as the method to override "to use their favorite XML parser"; the adapter does exactly that, with
   xmltodict (the parser georeport uses).

Not adapted, so not used by the tests: `service_definition`, which asks for `service/<code>` where the GeoReport v2
spec (and this server) has `services/<code>`.
"""
from __future__ import annotations

import importlib.util
import sys
import urllib.request
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import xmltodict  # type: ignore[import-untyped]


def _package_dir() -> Path:
    spec = importlib.util.find_spec("open311")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("open311 is not installed (pip install -r requirements/test-peers.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def _load(name: str, path: Path, *, package: bool = False) -> ModuleType:
    kwargs: dict[str, Any] = {"submodule_search_locations": [str(path.parent)]} if package else {}
    spec = importlib.util.spec_from_file_location(name, path, **kwargs)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _urlopen_bytes(url: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return urllib.request.urlopen(url, data, *args, **kwargs)


@cache
def open311_class() -> type:
    """The library's `Open311` class, importable and able to POST and read XML on Python 3."""
    root = _package_dir()
    xml_dir = root / "api" / "xml2dict"
    aliases = ("object_dict", "xml2dict", "xml2dict.xml2dict", "api", "api.api")
    try:
        _load("object_dict", xml_dir / "object_dict.py")
        _load("xml2dict", xml_dir / "__init__.py", package=True)
        api = _load("api", root / "api" / "api.py")
        sys.modules["api.api"] = api  # `from api.api import urlopen, urlencode` in open311.py
        client = _load("open311_py2", root / "open311.py")
    finally:  # the generic top-level names are not left behind for other tests to trip over
        for name in aliases:
            sys.modules.pop(name, None)
    client.urlopen = _urlopen_bytes  # type: ignore[attr-defined]  # (2) the library's POST goes through this name

    class Open311(client.Open311):  # type: ignore[name-defined, misc]
        def _xml_to_dict(self, xml: bytes) -> Any:  # (3) the library's documented override point
            return xmltodict.parse(xml)

    return Open311
