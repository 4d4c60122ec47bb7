"""Contactability: which customers can be reached by phone (SMS/WhatsApp) or email.

Phone numbers are checked with ``phonenumbers`` (default region Indonesia), emails with
``email-validator`` (syntax only, no DNS look-up).
"""
from __future__ import annotations

import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email


_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _valid_number(value, region: str):
    """The parsed number when ``value`` is a valid phone number in ``region``, else ``None``."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return None
    try:
        number = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def is_valid_phone(value, region: str = "ID") -> bool:
    """True for a valid phone number in ``region`` (``0812…``, ``+62 812…``); never raises."""
    return _valid_number(value, region) is not None


def is_mobile_phone(value, region: str = "ID") -> bool:
    """True for a valid mobile number (reachable by SMS/WhatsApp)."""
    number = _valid_number(value, region)
    return number is not None and phonenumbers.number_type(number) in _MOBILE_TYPES


def is_valid_email(value) -> bool:
    """True for a syntactically valid email address; never raises."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return False
    try:
        validate_email(str(value).strip(), check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


def normalise_phone(value, region: str = "ID") -> str | None:
    """E.164 form (``+628123456789``) of a valid number, else ``None`` (for de-duplication)."""
    number = _valid_number(value, region)
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contactability(customers: pd.DataFrame, region: str = "ID") -> pd.DataFrame:
    """Per customer: has/valid phone, mobile, has/valid email, and reachable channels.

    Columns: ``customer_id, has_phone, phone_valid, phone_mobile, has_email, email_valid,
    whatsapp, sms, email, contactable`` (WhatsApp and SMS need a valid mobile number).
    Values are computed once per distinct phone/email, so large tables stay fast.
    """
    phone = customers["phone"] if "phone" in customers else pd.Series(None, index=customers.index)
    email = customers["email"] if "email" in customers else pd.Series(None, index=customers.index)
    phone_text = phone.astype("string").str.strip()
    email_text = email.astype("string").str.strip()
    phones = phone_details(phone_text, region)
    valid_email = {e: is_valid_email(e) for e in email_text.dropna().unique()}
    out = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()})
    out["has_phone"] = (phone_text.fillna("").str.len() > 0).to_numpy()
    out["phone_valid"] = _lookup(phone_text, phones["valid"].to_dict())
    out["phone_mobile"] = _lookup(phone_text, phones["mobile"].to_dict())
    out["has_email"] = (email_text.fillna("").str.len() > 0).to_numpy()
    out["email_valid"] = _lookup(email_text, valid_email)
    out["whatsapp"] = out["phone_mobile"]
    out["sms"] = out["phone_mobile"]
    out["email"] = out["email_valid"]
    out["contactable"] = out["whatsapp"] | out["email"]
    return out


def _lookup(values: pd.Series, table: dict):
    """Boolean array: ``table[value]`` per element, ``False`` for missing values."""
    return values.map(lambda v: table.get(v, False) if isinstance(v, str) else False).astype(bool).to_numpy()


def phone_details(values, region: str = "ID") -> pd.DataFrame:
    """Per distinct phone text: ``valid``, ``mobile`` and ``e164`` (None when invalid).

    Each distinct value is parsed once, which matters on files with 100k numbers.
    Indexed by the stripped text; missing and blank values are left out.
    """
    text = pd.Series(values, dtype="string").str.strip()
    unique = text[text.fillna("").str.len() > 0].unique()
    rows = []
    for value in unique:
        number = _valid_number(value, region)
        if number is None:
            rows.append((False, False, None))
        else:
            rows.append((True, phonenumbers.number_type(number) in _MOBILE_TYPES,
                         phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)))
    out = pd.DataFrame(rows, columns=["valid", "mobile", "e164"], index=pd.Index(list(unique), name="phone"))
    return out.astype({"valid": bool, "mobile": bool})
