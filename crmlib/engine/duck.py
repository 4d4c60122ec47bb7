"""The DuckDB engine (embedded, no set-up): the pipeline of :mod:`crmlib.engine.pipeline` in-process,
on an Arrow table of the export read by :mod:`crmlib.engine.reader`."""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crmlib import validate as v
from crmlib.arrays import distinct
from crmlib.engine import pipeline
from crmlib.engine.reader import read_arrow
from crmlib.io import LINE_COLUMN

#: DuckDB's memory budget (it spills to disk beyond it); ``$CRM_DUCKDB_MEMORY`` overrides it.
MEMORY_LIMIT = os.environ.get("CRM_DUCKDB_MEMORY", "1GB")


class DuckBackend:
    """An in-memory DuckDB on every core, within :data:`MEMORY_LIMIT` plus what the tables it was given
    and released held (see :class:`pipeline.Backend`).

    :meth:`repeated` and :meth:`arrow_later` run in the background, one after the other on a
    second connection, while the pipeline parses distinct texts in Python (one core); the
    table of :meth:`repeated` is there for the next :meth:`materialise`.
    """

    def __init__(self):
        self.con = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": MEMORY_LIMIT,
                                          "preserve_insertion_order": False})
        try:
            self.con.execute("SET enable_progress_bar = false")
        except duckdb.Error:  # in Jupyter without ipywidgets DuckDB refuses the setting (and shows no bar)
            pass
        self._tables = {}
        self._memory_limit = _size_bytes(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        self._pending: dict[str, Future] = {}
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmlib-duckdb")

    def register(self, name: str, table: pa.Table) -> None:
        self._tables[name] = table  # DuckDB scans registered Arrow tables in place: keep them alive
        self.con.register(name, table)

    def release(self, name: str) -> None:
        self.con.unregister(name)
        table = self._tables.pop(name, None)
        freed = table.nbytes if table is not None else 0
        del table
        pa.default_memory_pool().release_unused()  # the table's memory goes back to the system now
        if freed:  # and into DuckDB's budget: the sort of the kept rows then stays in memory
            self._memory_limit += freed
            self.con.execute(f"SET memory_limit = '{self._memory_limit}B'")

    def unpadded(self, names) -> set:
        """The columns of ``raw`` among ``names`` whose texts all start and end with a printable
        ASCII character (read from the Arrow buffers: a first and last byte per text)."""
        raw = self._tables["raw"]
        return {name for name in names if not any(_may_be_padded(chunk) for chunk in raw.column(name).chunks)}

    def materialise(self, name: str, sql: str) -> None:
        self._finish_pending()
        # a DuckDB table, within MEMORY_LIMIT (as Arrow it would be faster to make, but hold its
        # memory besides DuckDB's budget: 10 million lines then peak near 2.5 GB)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def repeated(self, name: str, sql: str) -> None:
        self._pending[name] = self._background.submit(_repeated_lines, self._cursor(), sql)

    def arrow_later(self, sql: str):
        future = self._background.submit(_arrow_of, self._cursor(), sql)
        return future.result

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for the background (it sees none of this one's tables)."""
        cursor = self.con.cursor()
        for table_name, table in self._tables.items():
            cursor.register(table_name, table)
        return cursor

    def _finish_pending(self) -> None:
        while self._pending:
            name, future = self._pending.popitem()
            self.register(name, future.result())

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)  # a started query reads this database
        self._pending.clear()
        self.con.close()
        self._tables.clear()
        pa.default_memory_pool().release_unused()


_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _size_bytes(text: str) -> int:
    """Bytes of a DuckDB size setting as it shows it (``953.6 MiB``)."""
    number, unit = text.split()
    return int(float(number) * _UNITS[unit.upper()])


def _may_be_padded(chunk: pa.Array) -> bool:
    """Whether a text of ``chunk`` may start or end with white space (which is either ASCII
    below ``!`` or not ASCII): its first or last byte is outside ``!``..``~``, or it is not a
    plain string array without nulls (then the SQL strips it, as always)."""
    if chunk.type != pa.string() or chunk.null_count:
        return True
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
    if offsets.size < 2 or offsets[-1] == offsets[0]:
        return False  # no text, or only empty ones
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    first, last = data[starts[filled]], data[ends[filled] - 1]
    return bool(((first < 0x21) | (first > 0x7E) | (last < 0x21) | (last > 0x7E)).any())


def _arrow_of(cursor: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        return cursor.sql(sql).to_arrow_table()
    finally:
        cursor.close()


def _repeated_lines(cursor: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The ``_line`` of the rows of ``sql`` (``_line``, ``h``) whose ``h`` occurs more than once.

    Sorting ten million hashes in NumPy takes a second, DuckDB's GROUP BY of as many groups
    several; NumPy, Arrow and DuckDB all release the GIL, so this overlaps the parsing."""
    rows = _arrow_of(cursor, sql)
    ordered = np.sort(rows.column("h").to_numpy())
    shared = distinct(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    found = pc.is_in(rows.column("h"), value_set=pa.array(shared, type=rows.schema.field("h").type))
    return rows.select([LINE_COLUMN]).filter(found)


def classify(path, delimiter: str | None = None, encoding: str | None = None, **options) -> pipeline.Classified:
    """Read ``path`` into DuckDB and classify every row (arguments of :func:`crmlib.validate.load_transactions`)."""
    table, path, delimiter, encoding = read_arrow(path, delimiter, encoding)
    db = DuckBackend()
    db.register("raw", table)
    export = pipeline.Export(headers=tuple(c for c in table.column_names if c != LINE_COLUMN), path=path,
                             delimiter=delimiter, encoding=encoding)
    try:
        return pipeline.classify(db, export, **options)
    except BaseException:
        db.close()
        raise


def load_tables(path, **options) -> v.ValidatedTables:
    """The validation of ``path`` as :class:`~crmlib.validate.ValidatedTables` (kept rows in Arrow)."""
    with system_allocator():
        classified = classify(path, **options)
        try:
            return classified.tables()
        finally:
            classified.db.close()


@contextlib.contextmanager
def system_allocator():
    """Arrow allocates from the C library's allocator meanwhile (then the default again).

    Arrow's default, mimalloc, keeps what the background thread's work freed in that thread's
    heaps: on 10 million lines the process then holds some 250 MB more when the classified table
    is made, at the peak (1.96-1.98 GB against 1.81-1.87 GB on the 10-million-line bench export,
    in no more time)."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def load_transactions(path, **options) -> v.ValidationResult:
    """:func:`crmlib.validate.load_transactions` on DuckDB: the same tables and report."""
    return load_tables(path, **options).result()
