"""Number and money formatting for reports: IDR short form (``Rp 1,2 jt``) and full form."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from crmlib.i18n import check_lang

# (threshold, Indonesian suffix, English suffix)
_SCALES = ((1e12, "T", "tn"), (1e9, "M", "bn"), (1e6, "jt", "mn"), (1e3, "rb", "k"))
_SYMBOLS = {"IDR": "Rp", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$", "MYR": "RM"}


def _separators(lang: str) -> tuple[str, str]:
    """(thousands, decimal) separators: Indonesian ``1.250.000,5``; English ``1,250,000.5``."""
    return (".", ",") if check_lang(lang) == "id" else (",", ".")


def format_number(value: float, decimals: int = 0, lang: str = "en") -> str:
    """``1250000.5`` → ``1.250.000,5`` (id) or ``1,250,000.5`` (en), halves rounded up; NaN → ``–``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    thousands, decimal = _separators(lang)
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def format_money(value: float, currency: str = "IDR", lang: str = "en", short: bool = True) -> str:
    """Money for people: short ``Rp 1,2 jt`` / ``Rp 1.2 mn``, or full ``Rp 1.250.000``."""
    symbol = _SYMBOLS.get(currency.upper(), currency.upper())
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if short:
        for threshold, suffix_id, suffix_en in _SCALES:
            if magnitude >= threshold:
                scaled = magnitude / threshold
                digits = 1 if scaled < 100 else 0
                suffix = suffix_id if lang == "id" else suffix_en
                return f"{sign}{symbol} {format_number(scaled, digits, lang)} {suffix}"
    decimals = 0 if currency.upper() == "IDR" or magnitude >= 1000 else 2
    return f"{sign}{symbol} {format_number(magnitude, decimals, lang)}"


def format_idr(value: float, lang: str = "id", short: bool = True) -> str:
    """Rupiah: ``format_idr(1_250_000)`` → ``Rp 1,3 jt``; ``short=False`` → ``Rp 1.250.000``."""
    return format_money(value, "IDR", lang, short)


def format_percent(share: float, decimals: int = 0, lang: str = "en") -> str:
    """``0.253`` → ``25 %``; NaN → ``–``."""
    if share is None or (isinstance(share, float) and not math.isfinite(share)):
        return "–"
    return f"{format_number(100 * share, decimals, lang)} %"
