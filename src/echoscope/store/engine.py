"""Opening a store: URL resolution, SQLite pragmas, schema creation and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from echoscope.errors import StoreError
from echoscope.store import fts
from echoscope.store.tables import metadata

_MIGRATIONS = Path(__file__).parent / "migrations"
WRITES = "echoscope_writes"  # the execution option that marks a transaction that will write
_WRITE_LOCK = 0x6563686F  # "echo": the PostgreSQL advisory lock echoscope's writers take turns on


def database_url(db: str | Path) -> str:
    """A SQLAlchemy URL from what the analyst typed: a URL as it is, anything else is a SQLite file path."""
    db = str(db)
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (search, the web UI) work while an ingest writes; NORMAL is durable in WAL mode
    # except for the last commits on power loss, never corrupting. busy_timeout turns lock contention
    # between processes into waiting instead of "database is locked".
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "cache_size=-65536",
        "temp_store=MEMORY",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    # echoscope begins its transactions itself (_sqlite_begin). The driver would begin one only at the
    # first write, so the reads before it ("is this post stored already?") ran outside it, and two
    # processes writing at once could both decide to insert the same post.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    """A transaction that writes takes SQLite's write lock when it begins (BEGIN IMMEDIATE): nothing it
    reads can be changed by another writer before it writes; a second writer waits (busy_timeout).
    Reading connections begin deferred and never wait."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN")


def create_store_engine(db: str | Path) -> Engine:
    url = database_url(db)
    try:
        engine = create_engine(url, json_serializer=_json_dumps, json_deserializer=orjson.loads)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreError(
            f"cannot open {url.split('://')[0]} databases: {exc}. "
            "For PostgreSQL install the extra: pip install 'echoscope[postgres]'"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed when the block ends, rolled back if it raises. Writers
    take turns, as SQLite makes them: on PostgreSQL a transaction-scoped advisory lock does what BEGIN
    IMMEDIATE does on SQLite (two ingests would otherwise both find a post missing and both insert it)."""
    with engine.connect() as conn, conn.execution_options(**{WRITES: True}).begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))  # as SQLite's busy_timeout: an error, not a hang
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK})
        yield conn


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def prepare(engine: Engine) -> None:
    """Create a new database from the schema, or migrate an existing one to the newest revision."""
    try:
        with writing(engine) as conn:  # two processes opening a new store: the second waits, then migrates nothing
            existing = set(inspect(conn).get_table_names())
            config = _alembic_config(conn)
            if "alembic_version" in existing:
                command.upgrade(config, "head")
            elif existing & set(metadata.tables):
                raise StoreError(
                    f"{engine.url.render_as_string(hide_password=True)} has echoscope tables but no "
                    "migration record; it was not made by echoscope and will not be changed"
                )
            else:
                metadata.create_all(conn)
                fts.install(conn)
                command.stamp(config, "head")
    except DBAPIError as exc:
        raise StoreError(
            f"cannot open the store {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. If this is a damaged SQLite file, keep it as evidence and restore "
            "from a backup; echoscope never repairs a database in place"
        ) from exc
