"""The analyst's own Telegram login: credentials, the session file, and a connected Telethon client.

The api_id/api_hash come from ECHOSCOPE_API_ID / ECHOSCOPE_API_HASH or `api_id`/`api_hash` in
echoscope.toml, never from the command line (where they would land in shell history and process lists).
The session file is as good as a password: it is created 0600 in the user's data folder
($XDG_DATA_HOME/echoscope, else ~/.local/share/echoscope) and never inside a git repository, where it
could be committed by accident. One process at a time uses it (collect, monitor, login): Telegram may
revoke a session whose key is used by two connections at once (AuthKeyDuplicatedError), which would cost
the analyst the login.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from echoscope import config
from echoscope.errors import ConfigError, SourceUnavailable

SESSION_NAME = "telegram.session"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "echoscope"


def credentials() -> tuple[int, str]:
    api_id, api_hash = config.setting("api_id"), config.setting("api_hash")
    if api_id is None or api_hash is None:
        raise ConfigError(
            "no Telegram API credentials: set ECHOSCOPE_API_ID and ECHOSCOPE_API_HASH (or api_id / api_hash in "
            "echoscope.toml) to your own app's values from https://my.telegram.org"
        )
    try:
        return int(api_id), str(api_hash)
    except ValueError:
        raise ConfigError(f"api_id must be a number, not {str(api_id)[:20]!r}") from None


def session_file() -> Path:
    """The session file, created empty and private (0600, folder 0700) if it is not there yet."""
    folder = data_dir().absolute()
    repository = next((parent for parent in (folder, *folder.parents) if (parent / ".git").exists()), None)
    if repository is not None:
        raise ConfigError(
            f"{folder} is inside the git repository {repository}: the Telegram session must not live where it "
            "could be committed; point XDG_DATA_HOME elsewhere"
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / SESSION_NAME
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)  # also tightens a file that was created by hand
    return path


@contextmanager
def session_in_use() -> Iterator[Path]:
    """The session file, held by this process until the block ends; SourceUnavailable, before anything
    connects, if another process holds it. (An advisory lock on a file beside it: released by the system
    when a holder dies, so a crashed collector never leaves it taken.)"""
    path = session_file()
    handle = os.open(path.with_name(SESSION_NAME + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise SourceUnavailable(
            f"the Telegram session {path} is in use by another echoscope process (collect, monitor or login); "
            "let it finish first: one session used twice at once can be revoked by Telegram"
        ) from None
    try:
        yield path
    finally:
        os.close(handle)


def _client(path: Path, api: tuple[int, str]):
    from telethon import TelegramClient

    api_id, api_hash = api
    # flood_sleep_threshold=0: every FloodWait reaches the collector, which says so before it sleeps.
    return TelegramClient(str(path), api_id, api_hash, flood_sleep_threshold=0)


@asynccontextmanager
async def connected_client() -> AsyncIterator:
    """A logged-in client for the collector; ConfigError if `echoscope login` was never run."""
    api = credentials()  # first: nothing is created for a run that could not log in
    with session_in_use() as path:
        client = _client(path, api)
        try:
            await client.connect()
        except OSError as exc:
            raise SourceUnavailable(f"cannot connect to Telegram: {exc}") from None
        try:
            if not await client.is_user_authorized():
                raise ConfigError("not logged in to Telegram: run `echoscope login` once")
            yield client
        finally:
            await client.disconnect()


async def login(phone: Callable[[], str], code: Callable[[], str], password: Callable[[], str]) -> str:
    """The interactive login, once; returns who is logged in. The prompts are the caller's."""
    from telethon.errors import SessionPasswordNeededError
    from telethon.utils import get_display_name

    api = credentials()
    with session_in_use() as path:
        client = _client(path, api)
        await client.connect()
        try:
            if not await client.is_user_authorized():
                number = phone()
                await client.send_code_request(number)
                try:
                    await client.sign_in(number, code())
                except SessionPasswordNeededError:  # two-step verification is on
                    await client.sign_in(password=password())
            return get_display_name(await client.get_me())
        finally:
            await client.disconnect()
