"""Numbers, money, percents and dates for people, in the report's language.

The language conventions come from the Unicode CLDR through Babel: English ``1,234,567.89``,
``12.5%``, ``Dec 31, 2024`` (or ``31 December 2024`` on report covers); Bahasa Indonesia
``1.234.567,89``, ``12,5%``, ``31 Des 2024`` (``31 Desember 2024``); short
money ``Rp 1,3 jt`` / ``Rp 2,5 M`` (id) and ``Rp 1.3M`` / ``Rp 2.5B`` (en) from CLDR's compact
forms. Own code only chooses the currency symbol and rounds halves up (business rounding:
``1,25`` → ``1,3``). Anything missing (``None``, NaN, NaT, infinite) reads ``–``.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.core import Locale

from crmlib.i18n import check_lang

MISSING = "–"
#: Date styles: CLDR's medium date (``Dec 31, 2024`` / ``31 Des 2024``) and the long one of the
#: report covers, day, month written out and year in both languages (``31 December 2024``).
DATE_STYLES = {"medium": "medium", "long": "d MMMM y"}
#: Symbols written the same in both languages (a rupiah report reads "Rp" in English too).
_SYMBOLS = {"IDR": "Rp", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$", "MYR": "RM"}


def is_missing(value) -> bool:
    """True for ``None``, NaN, NaT, ``pd.NA`` and infinities: values shown as ``–``."""
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except TypeError:
        return bool(pd.isna(value)) if pd.api.types.is_scalar(value) else False


@functools.lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    return Locale.parse(check_lang(lang))


def _decimal(value) -> Decimal:
    """The value as a Decimal that prints as written (``0.1`` stays 0.1, not 0.1000000000000000055)."""
    return Decimal(repr(float(value)))


def _half_up(function, *args, **kwargs) -> str:
    """Call a Babel formatter with halves rounded up and no negative zero (``-0,0`` → ``0,0``)."""
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP
        text = function(*args, **kwargs)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _unsigned_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and not any(ch in "123456789" for ch in text) else text


def format_number(value, decimals: int = 0, lang: str = "en") -> str:
    """``1234567.891`` → ``1,234,567.89`` (en) / ``1.234.567,89`` (id) with ``decimals=2``."""
    if is_missing(value):
        return MISSING
    return _number_text(float(value), int(decimals), lang)


@functools.lru_cache(maxsize=65_536)
def _number_text(value: float, decimals: int, lang: str) -> str:
    """:func:`format_number` of a finite float (cached: a table or a customer list repeats its figures)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = _half_up(babel_numbers.format_decimal, _decimal(value), format=pattern, locale=_locale(lang),
                    decimal_quantization=True)
    return _unsigned_zero(text)


def format_count(value, lang: str = "en") -> str:
    """A whole number of things with thousands separators: ``6139`` → ``6,139`` / ``6.139``."""
    return format_number(value, 0, lang)


def format_percent(share, decimals: int = 0, lang: str = "en") -> str:
    """A share (``0.125``) as the language writes percents: ``12.5%`` (en), ``12,5%`` (id)."""
    if is_missing(share):
        return MISSING
    locale = _locale(lang)
    pattern = locale.percent_formats[None].pattern
    if decimals > 0:
        pattern = pattern.replace("0%", "0." + "0" * decimals + "%", 1)
    text = _half_up(babel_numbers.format_percent, _decimal(share), format=pattern, locale=locale)
    return _unsigned_zero(text)


def currency_symbol(currency: str = "IDR", lang: str = "en") -> str:
    """``Rp`` for IDR in every language; Babel's symbol (or the ISO code) for others."""
    code = currency.upper()
    return _SYMBOLS.get(code) or babel_numbers.get_currency_symbol(code, locale=_locale(lang))


def format_money(value, currency: str = "IDR", lang: str = "en", short: bool = True) -> str:
    """Money for people: short ``Rp 1,3 jt`` (id) / ``Rp 1.3M`` (en), or full ``Rp 1.250.000``.

    Short amounts keep two or three significant digits (``Rp 12,5 jt``, ``Rp 210 jt``); full
    amounts in rupiah have no decimals, other currencies show cents below 1,000.
    """
    if is_missing(value):
        return MISSING
    symbol = currency_symbol(currency, lang)
    magnitude = abs(float(value))
    if short and magnitude >= 1000:
        # One decimal below 100 of a unit (Rp 12,5 jt), none from 100 (Rp 210 jt); CLDR drops ",0".
        digits = 0 if int(math.log10(magnitude)) % 3 == 2 else 1
        number = _half_up(babel_numbers.format_compact_decimal, _decimal(magnitude), format_type="short",
                          locale=_locale(lang), fraction_digits=digits)
    else:
        decimals = 0 if currency.upper() == "IDR" or magnitude >= 1000 else 2
        number = format_number(magnitude, decimals, lang)
    sign = "-" if value < 0 and any(ch in "123456789" for ch in number) else ""
    return f"{sign}{symbol} {number}"


def format_idr(value, lang: str = "id", short: bool = True) -> str:
    """Rupiah: ``format_idr(1_250_000)`` → ``Rp 1,3 jt``; ``short=False`` → ``Rp 1.250.000``."""
    return format_money(value, "IDR", lang, short)


def format_date(value, lang: str = "en", style: str = "medium") -> str:
    """A day as the language writes it: ``Dec 31, 2024`` (en), ``31 Des 2024`` (id); with
    ``style="long"``: ``31 December 2024`` / ``31 Desember 2024``. Accepts ``"2024-12-31"`` or a date."""
    if style not in DATE_STYLES:
        raise ValueError(f"date style must be one of {tuple(DATE_STYLES)}, not {style!r}.")
    if is_missing(value):
        return MISSING
    day = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return babel_dates.format_date(day, format=DATE_STYLES[style], locale=_locale(lang))


def format_month(value, lang: str = "en") -> str:
    """A calendar month: ``Dec 2024`` (en), ``Des 2024`` (id); accepts ``"2024-12"`` or a date."""
    if is_missing(value):
        return MISSING
    day = pd.Period(value, freq="M").to_timestamp().date()
    return babel_dates.format_skeleton("yMMM", day, locale=_locale(lang))
