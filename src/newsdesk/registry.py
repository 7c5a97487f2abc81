"""Named catalogues of pluggable parts (readers now; components, stores, indexes later).

A :class:`Registry` maps a name to a factory. Parts register with a decorator next to their own code, and
third-party packages add parts through the entry-point group named after the registry
(``newsdesk.<name>``), loaded only when a name is first looked up and not found.

>>> fruit: Registry[type] = Registry("fruit")
>>> @fruit.register("apple")
... class Apple: ...
>>> fruit.get("apple").__name__
'Apple'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from newsdesk.errors import NotFound

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object catalogue with entry-point discovery."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.name}: '{name}' is already registered")
            self._items[name] = obj
            return obj

        return add

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a part registered for a while, e.g. by a test); unknown names are ignored."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        if name not in self._items:
            self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise NotFound(f"no {self.name} named '{name}'; known: {known}") from None

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"newsdesk.{self.name}"):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()
