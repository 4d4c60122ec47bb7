"""The quarantine rules as ONE SQL expression (DuckDB dialect), run as is by DuckDB and transpiled
to Spark SQL by sqlglot: the row-level logic of :func:`crmlib.validate.validate_transactions`.

Text → value conversions (dates, amounts, status words) are not in SQL: they run in Python on the
distinct values only (the very functions of :mod:`crmlib.io`) and come in as lookup tables, so
both engines and the pandas path share one parser. The query reads these tables:

``raw``
    the export as text, one column per header plus ``_line`` (the row's line in the file);
``candidates(_line)``
    the rows that may repeat an earlier line (see :func:`row_hashes_sql`), when duplicates are rejected;
``date_map(text, value, out_of_range, blank)``, ``amount_map(text, value, blank)``,
``quantity_map(text, factor, value, blank)``, ``status_map(text, is_return, is_cancel, blank)``
    the conversions of each distinct text as in the file (``value`` NULL where unparseable,
    ``blank`` where it is only white space), so these columns are never stripped row by row.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crmlib import validate as v

#: What Python's ``str.strip()`` removes; SQL ``trim`` is given the same characters.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_OPTIONAL_TEXT = ("order_id", "category", "channel")


def quote(name: str) -> str:
    """A SQL identifier, quoted (headers may hold spaces, brackets or quotes)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def stripped(source: str) -> str:
    """The SQL of a column's text without surrounding white space (as ``str.strip()``).

    ``TRIM`` with a character set is slow, so it runs only where the text may start or end with
    white space: a first or last byte below ``!`` (ASCII white space) or not ASCII (every other
    white space character). Strings compare byte by byte in both engines, so these are two
    comparisons each, without cutting out characters.
    """
    column, spaces = quote(source), literal(WHITESPACE)
    last = f"REVERSE({column})"
    return (f"CASE WHEN {column} < '!' OR {column} >= '\u0080' OR {last} < '!' OR {last} >= '\u0080' "
            f"THEN TRIM({column}, {spaces}) ELSE {column} END")


#: Canonical columns converted through a lookup of their distinct texts, and its alias in the SQL.
LOOKUPS = {"date": "d", "amount": "a", "unit_price": "a", "quantity": "q", "status": "st"}


def looked_up(plan: "Plan") -> dict:
    """Canonical name -> alias of its lookup table, for the columns of ``plan`` that have one."""
    names = ["date", plan.amount_from] + [n for n in ("quantity", "status") if n in plan.mapping]
    return {name: LOOKUPS[name] for name in names}


@dataclass(frozen=True)
class Plan:
    """What one validation needs besides the data: resolved columns and the rule settings."""

    mapping: dict            # canonical name -> header in the file
    original: tuple          # every header in the file (the duplicate rule compares them all)
    amount_from: str         # "amount" or "unit_price" (then × quantity)
    as_of_next: pd.Timestamp | None   # the day after as_of_date: from here on a row is "future"
    returns_policy: str
    cancel_order_prefix: str | None
    reject_duplicates: bool
    reject_zero_amounts: bool
    unpadded: frozenset = frozenset()  # headers whose texts need no stripping (the backend checked)


def _c(name: str) -> str:
    """A computed column's name: prefixed so that no header of the export can clash with it."""
    return quote("__" + name)


def classified_sql(plan: Plan) -> str:
    """SELECT of every row's line, typed canonical values and ``__reason`` (NULL when kept, else the
    reason's position in :data:`crmlib.validate.REASONS`, see :func:`reason_name`): the
    columns :func:`kept_sql`, :func:`rejected_sql` and :func:`unusable_sql` read."""
    m = plan.mapping
    lookups = looked_up(plan)
    texts = "".join(f", {quote(source) if source in plan.unpadded else stripped(source)} AS {_c('t_' + name)}"
                    for name, source in m.items() if name not in lookups)
    t = {name: f"s.{_c('t_' + name)}" for name in m if name not in lookups}
    raw = {name: f"s.{quote(m[name])}" for name in lookups}
    joins = [f"LEFT JOIN date_map AS d ON d.text = {raw['date']}",
             f"LEFT JOIN amount_map AS a ON a.text = {raw[plan.amount_from]}"]
    parsed = "a.value * q.factor" if plan.amount_from == "unit_price" else "a.value"
    quantity = "CAST(NULL AS DOUBLE)"
    if "quantity" in m:
        joins.append(f"LEFT JOIN quantity_map AS q ON q.text = {raw['quantity']}")
        quantity = "q.value"
    status_return, cancelled = "FALSE", "FALSE"
    if "status" in m:
        joins.append(f"LEFT JOIN status_map AS st ON st.text = {raw['status']}")
        status_return, cancelled = "COALESCE(st.is_return, FALSE)", "COALESCE(st.is_cancel, FALSE)"
    if plan.cancel_order_prefix and "order_id" in m:
        prefix = plan.cancel_order_prefix
        cancelled += f" OR COALESCE(SUBSTR({t['order_id']}, 1, {len(prefix)}) = {literal(prefix)}, FALSE)"
    duplicates, duplicate = "", "FALSE"
    if plan.reject_duplicates:
        # a line repeating an earlier line's text in every column. Only rows sharing a hash of all
        # their text are candidates (table ``candidates``, see :func:`row_hashes_sql`: grouping or
        # sorting ten million wide rows by their text is what costs); among those, a row whose text
        # an earlier line has (NULLs equal) is a duplicate
        originals = ", ".join(f"r.{quote(c)}" for c in plan.original)
        duplicates = (f", later AS (\n  SELECT _line FROM (SELECT r._line, ROW_NUMBER() OVER (PARTITION BY "
                      f"{originals} ORDER BY r._line) AS n FROM raw AS r JOIN candidates AS k ON k._line = r._line)"
                      " AS c WHERE n > 1\n)")
        joins.insert(0, "LEFT JOIN later AS g ON g._line = s._line")
        duplicate = "g._line IS NOT NULL"
    empty = " AND ".join(f"{lookups[n]}.blank" if n in lookups else f"{t[n]} = ''" for n in m)
    future = (f"p.{_c('date')} >= CAST({literal(plan.as_of_next.strftime('%Y-%m-%d %H:%M:%S'))} AS TIMESTAMP)"
              if plan.as_of_next is not None else "FALSE")
    amount = f"p.{_c('amount')}"
    reasons = [
        (v.EMPTY_LINE, f"p.{_c('empty')}"),
        (v.MISSING_CUSTOMER, f"p.{_c('t_customer_id')} = ''"),
        (v.BAD_DATE, f"p.{_c('date')} IS NULL AND NOT p.{_c('oor')}"),
        (v.DATE_OUT_OF_RANGE, f"p.{_c('oor')}"),
        (v.BAD_AMOUNT, f"{amount} IS NULL OR ISNAN({amount})"),
        (v.NON_FINITE, f"ABS({amount}) = CAST('Infinity' AS DOUBLE)"),
        (v.IMPLAUSIBLE, f"ABS({amount}) > {v.MAX_ABS_AMOUNT!r}"),
        (v.CANCELLED, f"p.{_c('cancelled')}"),
        (v.ZERO_AMOUNT, f"{amount} = 0" if plan.reject_zero_amounts else "FALSE"),
        (v.DUPLICATE, f"p.{_c('duplicate')}"),
        (v.FUTURE, future),
        (v.RETURN, f"p.{_c('is_return')}" if plan.returns_policy == "quarantine" else "FALSE"),
    ]
    assert [name for name, _ in reasons] == list(v.REASONS), "the SQL must test every reason, in order"
    case = "\n".join(f"    WHEN {condition} THEN CAST({code} AS TINYINT)"
                     for code, (_, condition) in enumerate(reasons))  # a byte per row, not a string
    texts_kept = [_c('t_' + n) for n in m if n in ("customer_id",) + _OPTIONAL_TEXT]
    keep = [f"s.{name}" for name in texts_kept]
    # what the later queries read: the intermediate flags stay out of the stored table
    stored = ["_line", *texts_kept, _c("date"), _c("oor"), *([_c("quantity")] if "quantity" in m else []),
              _c("is_return"), _c("empty"), _c("amount")]
    return f"""
WITH s AS (
  SELECT _line, {', '.join(quote(c) for c in plan.original)}{texts} FROM raw
){duplicates}, u AS (
  SELECT s._line, {', '.join(keep)}, d.value AS {_c('date')}, COALESCE(d.out_of_range, FALSE) AS {_c('oor')},
         {parsed} AS {_c('amount0')},
         {quantity} AS {_c('quantity')},
         (COALESCE({parsed} < 0, FALSE) OR {status_return}) AS {_c('is_return')},
         ({cancelled}) AS {_c('cancelled')}, {duplicate} AS {_c('duplicate')}, ({empty}) AS {_c('empty')}
  FROM s {' '.join(joins)}
), p AS (
  SELECT u.*, CASE WHEN u.{_c('is_return')} THEN -ABS(u.{_c('amount0')}) ELSE u.{_c('amount0')} END
         AS {_c('amount')}
  FROM u
)
SELECT {', '.join(f"p.{c}" for c in stored)}, CASE
{case}
  END AS {_c('reason')}
FROM p
"""


def row_hashes_sql(plan: Plan) -> str:
    """Every row's line and a hash of all its text: rows sharing a hash are the duplicate candidates
    (table ``candidates(_line)`` of :func:`classified_sql`, made by the backend's ``repeated``)."""
    return f"SELECT _line, HASH({', '.join(quote(c) for c in plan.original)}) AS h FROM raw"


def repeated_sql(source: str) -> str:
    """The lines of ``source``'s rows (``_line``, ``h``) whose ``h`` occurs more than once."""
    return (f"SELECT _line FROM ({source}) AS x WHERE h IN "
            f"(SELECT h FROM ({source}) AS y GROUP BY h HAVING COUNT(*) > 1)")


def reason_name(code: str) -> str:
    """The SQL naming the quarantine reason stored as its position in :data:`crmlib.validate.REASONS`."""
    cases = " ".join(f"WHEN {i} THEN {literal(name)}" for i, name in enumerate(v.REASONS))
    return f"CASE {code} {cases} END"


def kept_sql(plan: Plan) -> str:
    """The canonical kept transactions (the schema's columns), sorted by date then line."""
    m = plan.mapping
    select = [f"c.{_c('t_customer_id')} AS customer_id"]
    if "order_id" in m:
        select.append(f"NULLIF(c.{_c('t_order_id')}, '') AS order_id")
    select += [f"c.{_c('date')} AS date", f"c.{_c('amount')} AS amount"]
    if "quantity" in m:
        select.append(f"c.{_c('quantity')} AS quantity")
    for name in ("category", "channel"):
        if name in m:
            select.append(f"NULLIF(c.{_c('t_' + name)}, '') AS {name}")
    select += [f"c.{_c('is_return')} AS is_return", "c._line AS line"]
    return (f"SELECT {', '.join(select)} FROM classified AS c WHERE c.{_c('reason')} IS NULL "
            f"ORDER BY c.{_c('date')}, c._line")


def rejected_sql(plan: Plan) -> str:
    """The quarantine: line, reason and the row's original text, in file order; plus its amount."""
    raw_columns = ", ".join(f"r.{quote(col)}" for col in plan.original)
    reason = reason_name(f"c.{_c('reason')}")
    return (f"SELECT c._line AS line, {reason} AS reason, {raw_columns}, c.{_c('amount')} AS __amount "
            f"FROM classified AS c JOIN raw AS r ON r._line = c._line "
            f"WHERE c.{_c('reason')} IS NOT NULL ORDER BY c._line")


def distinct_sql(source: str) -> str:
    """Distinct texts of one column as in the file (``text``), in order of first appearance (as
    pandas' factorize), and each without surrounding white space (``stripped``)."""
    return (f"SELECT text, {stripped('text')} AS stripped FROM (SELECT {quote(source)} AS text, "
            "MIN(_line) AS first FROM raw GROUP BY 1) AS f ORDER BY first")


def unusable_sql(plan: Plan) -> str:
    """Every row with the flags and text :func:`crmlib.validate._refuse_unusable` reads (file order)."""
    m = plan.mapping
    amount_from = plan.amount_from
    amount, reason = f"c.{_c('amount')}", reason_name(f"c.{_c('reason')}")
    return (f"SELECT c._line AS line, c.{_c('empty')} AS empty, c.{_c('t_customer_id')} = '' AS missing, "
            f"c.{_c('date')} IS NULL AND NOT c.{_c('oor')} AS bad_date, "
            f"{amount} IS NULL OR ISNAN({amount}) AS bad_amount, {reason} AS reason, "
            f"c.{_c('t_customer_id')} AS customer_id, {stripped(m['date'])} AS date, "
            f"{stripped(m[amount_from])} AS {amount_from} "
            f"FROM classified AS c JOIN raw AS r ON r._line = c._line ORDER BY c._line")


def customers_kept_sql() -> str:
    """One row: the number of distinct customer ids among the kept rows."""
    return f"SELECT COUNT(DISTINCT {_c('t_customer_id')}) FROM classified WHERE {_c('reason')} IS NULL"


def all_rejected_sql() -> str:
    """One row, TRUE when no non-empty row is kept (then the validation must refuse the file)."""
    return (f"SELECT COUNT(*) = 0 FROM classified WHERE NOT {_c('empty')} AND {_c('reason')} IS NULL")
