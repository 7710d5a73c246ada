"""How the Store runs its work: one transaction each, SQLite's writers in turn, lost unique-key
races retried, driver errors turned into control_plane.errors, and the changes a write makes
announced to the other replicas in its own transaction and to this process once committed."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.errors import FailedPrecondition, PodgateError
from control_plane.store.changes import Change
from control_plane.store.engine import IMMEDIATE
from control_plane.store.feed import ChangeFeed
from control_plane.store.notify import send

__all__ = ["Changes", "PlainWork", "Transactions", "Work"]

_T = TypeVar("_T")
Work = Callable[[AsyncSession], Awaitable[_T]]
PlainWork = Callable[[AsyncConnection], Awaitable[_T]]
Changes = Callable[[_T], Sequence[Change]]


class Transactions:
    """Runs work on `engine`; changes are signed with `origin` and published to `changes`."""

    def __init__(self, engine: AsyncEngine, origin: str, changes: ChangeFeed) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._origin = origin
        self._changes = changes
        # SQLite has one writer at a time; waiting here in turn beats its busy handler, which
        # sleeps and retries (seconds under a burst of creates).
        self._one_writer = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    async def run(
        self,
        work: Work[_T] | PlainWork[_T],
        *,
        write: bool = False,
        retries: int = 0,
        notify: Changes[_T] | None = None,
        plain: bool = False,
    ) -> _T:
        """Run `work` in one transaction, retrying lost unique-key races `retries` times.

        `notify` names the changes to announce from `work`'s result; they are sent in the same
        transaction, so a write that rolls back announces nothing, and published to `changes`
        once committed. `plain` work gets a bare connection instead of an ORM session: half the
        cost, for the per-request queries.
        """
        while True:
            try:
                async with self._one_writer if write else contextlib.nullcontext():
                    if plain:
                        return await self._on_connection(work, write=write)
                    async with self._sessions() as session, session.begin():
                        if write:
                            await session.connection(execution_options={IMMEDIATE: True})
                        result = await work(session)
                        changes = tuple(notify(result)) if notify is not None else ()
                        await send(session, self._origin, changes)
                if changes:
                    await self._changes.publish(changes, own=True)
                return result
            except IntegrityError as exc:
                if retries > 0:
                    retries -= 1
                    continue
                raise FailedPrecondition(
                    "A concurrent change conflicts with this one; try again"
                ) from exc
            except DBAPIError as exc:
                raise PodgateError(f"Database error ({type(exc.orig).__name__})") from exc

    async def _on_connection(self, work: PlainWork[_T], *, write: bool) -> _T:
        async with self._engine.connect() as connection:
            if write:
                await connection.execution_options(**{IMMEDIATE: True})
            async with connection.begin():
                return await work(connection)
