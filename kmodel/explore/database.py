"""Where Hypothesis keeps the examples it found: a folder by default, Redis when given.

Every search replays the examples stored under its key before it generates new ones, so a
counterexample found once (by any worker, in any earlier run) is reported again in seconds and a
fix is confirmed by replaying exactly what failed before. Keys name the spec's digest, the
invariants searched for and the run length, so a changed spec never takes another spec's (or its
own former self's) examples as its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Final

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from kmodel.errors import InputError

__all__ = [
    "DATABASE_ENV",
    "DEFAULT_DIRECTORY",
    "KeyedDatabase",
    "database_address",
    "open_database",
]

#: The environment variable naming the database when ``--database`` does not.
DATABASE_ENV: Final = "KMODEL_DATABASE"
#: The default database: a folder under the working directory.
DEFAULT_DIRECTORY: Final = ".kmodel/examples"
#: How long Redis keeps the examples of a search nobody ran (Hypothesis' default is 8 days).
_REDIS_TTL: Final = timedelta(days=30)


class KeyedDatabase(ExampleDatabase):
    """Another database seen through a key prefix: one spec digest, one set of invariants."""

    def __init__(self, inner: ExampleDatabase, prefix: str) -> None:
        super().__init__()
        self.inner = inner
        self.prefix = prefix.encode() + b":"

    def __repr__(self) -> str:
        return f"KeyedDatabase({self.inner!r}, {self.prefix!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, KeyedDatabase)
            and self.inner == other.inner
            and self.prefix == other.prefix
        )

    def __hash__(self) -> int:
        return hash(self.prefix)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        """The values stored under ``key`` (within this prefix)."""
        return self.inner.fetch(self.prefix + key)

    def save(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key`` (within this prefix)."""
        self.inner.save(self.prefix + key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        """Forget ``value`` under ``key`` (within this prefix)."""
        self.inner.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        """Move ``value`` from one key to another (both within this prefix)."""
        self.inner.move(self.prefix + src, self.prefix + dest, value)


def database_address(address: str | None) -> str:
    """``address``, else :data:`DATABASE_ENV`'s, else the default folder (made absolute)."""
    return address or os.environ.get(DATABASE_ENV) or str(Path(DEFAULT_DIRECTORY).resolve())


def open_database(address: str) -> ExampleDatabase:
    """The example database at ``address`` (see :func:`database_address`).

    ``redis://HOST:PORT/DB`` (or ``rediss://``, ``unix://``) is a Redis server, used through
    Hypothesis' ``RedisExampleDatabase``; anything else is a folder (created when first written).

    Raises:
        InputError: a Redis address without the ``redis`` package, or one Redis refuses.
    """
    if not address.startswith(("redis://", "rediss://", "unix://")):
        return DirectoryBasedExampleDatabase(Path(address))
    try:
        import redis  # noqa: PLC0415  # only a Redis database needs it
        from hypothesis.extra.redis import RedisExampleDatabase  # noqa: PLC0415
    except ImportError:
        raise InputError(
            "a Redis database needs the `redis` package (pip install redis)", path="--database"
        ) from None
    try:
        client = redis.Redis.from_url(address)
        client.ping()
    except (ValueError, redis.RedisError) as error:
        raise InputError(f"cannot use Redis at {address}: {error}", path="--database") from None
    return RedisExampleDatabase(client, expire_after=_REDIS_TTL, key_prefix=b"kmodel:")
