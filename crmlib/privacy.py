"""Masking personal data before it reaches a report: phones, emails and names."""
from __future__ import annotations

import re

import pandas as pd

_DIGITS = re.compile(r"\D")


def mask_phone(phone) -> str | None:
    """``0812-3456-789`` → ``0812****789``: first four and last three digits kept."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)) or str(phone).strip() == "":
        return None
    text = str(phone).strip()
    plus = "+" if text.startswith("+") else ""
    digits = _DIGITS.sub("", text)
    if len(digits) <= 7:
        return plus + "*" * len(digits)
    return f"{plus}{digits[:4]}{'*' * (len(digits) - 7)}{digits[-3:]}"


def mask_email(email) -> str | None:
    """``budi.santoso@mail.com`` → ``b***@mail.com``; text without ``@`` is fully masked."""
    if email is None or (isinstance(email, float) and pd.isna(email)) or str(email).strip() == "":
        return None
    local, at, domain = str(email).strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_name(name) -> str | None:
    """``Budi Santoso`` → ``B. S.`` (initials only)."""
    if name is None or (isinstance(name, float) and pd.isna(name)) or str(name).strip() == "":
        return None
    return " ".join(f"{part[0].upper()}." for part in str(name).split())


MASKERS = {"phone": mask_phone, "email": mask_email, "name": mask_name}


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``phone``, ``email`` and ``name`` columns masked (others untouched)."""
    masked = frame.copy()
    for column, mask in MASKERS.items():
        if column in masked:
            masked[column] = masked[column].map(mask)
    return masked


def mask_id(customer_id) -> str:
    """``C000123`` → ``C***23``: a customer id shown in a report without giving it away
    (first character and last two kept; ids of four characters or fewer fully masked)."""
    text = str(customer_id)
    if len(text) <= 4:
        return "*" * len(text)
    return f"{text[0]}***{text[-2:]}"
