"""The engine's result records: read-only mappings over a fixed set of keys, each read as the attribute of the
same name, so a record can compute a key (a message, a formatted value) only when somebody reads it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Record(Mapping):
    """A mapping of ``_KEYS`` to the attributes of the same names. Pickled or copied as a plain dict."""

    __slots__ = ()
    _KEYS: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        if key in self._KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._KEYS}

    def __reduce__(self):
        return (dict, (self.to_dict(),))
