"""Campaign lists: who to contact, per group (segment, programme…) × channel, with the message.

Generic on purpose: any frame of customers with a group column goes in (RFM segments in
notebook 02, the win-back list in notebook 04), contactable customers come out. WhatsApp and
SMS need a valid mobile number, email a valid address (:func:`crmlib.contacts.contactability`).
The lists hold personal data for the campaign tool; reports show :func:`crmlib.privacy.mask_frame`
previews only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.contacts import contactability, normalise_phone
from crmlib.io import InputError

CHANNELS = ("whatsapp", "sms", "email")
LIST_COLUMNS = ("group", "channel", "customer_id", "name", "phone", "email")


def campaign_lists(members: pd.DataFrame, customers: pd.DataFrame | None, group: str = "segment",
                   text: str | None = "programme", channels=CHANNELS, one_channel_each: bool = False,
                   region: str = "ID", extra_columns=(), order=None) -> pd.DataFrame:
    """One row per (member, channel) the member can be reached on.

    ``members``: customer_id, the ``group`` column and optionally a ``text`` column (the
    programme or message for that member) and ``extra_columns`` to carry along.
    ``customers``: the customers table (customer_id, name, phone, email); ``None`` gives empty lists.
    ``channels``: any of whatsapp, sms, email, in priority order; with ``one_channel_each`` a
    member is listed only on the first channel in that order that reaches them.
    Columns: group, channel, customer_id, name, phone (E.164, phone channels), email (email
    channel), [text], [extra columns]; sorted by group (``order`` if given, else categorical
    order or order of appearance), channel (given order), customer_id.
    """
    channels = _check_channels(channels)
    for column in ("customer_id", group, *([text] if text else []), *extra_columns):
        if column not in members:
            raise InputError(f"campaign members lack the column {column!r} (have {list(members.columns)}).")
    carried = [c for c in ([text] if text else []) + list(extra_columns)]
    columns = list(LIST_COLUMNS) + carried
    if customers is None or len(members) == 0 or "customer_id" not in customers:
        return pd.DataFrame(columns=columns)

    people = customers.drop_duplicates("customer_id").set_index("customer_id")
    people = people.reindex(members["customer_id"].unique())
    reach = contactability(people.reset_index(), region=region).set_index("customer_id")
    base = members[["customer_id", group] + carried].drop_duplicates("customer_id")
    base = base.merge(reach[list(channels)], left_on="customer_id", right_index=True, how="left")
    base[list(channels)] = base[list(channels)].fillna(False).astype(bool)
    if one_channel_each:
        taken = np.zeros(len(base), dtype=bool)
        for channel in channels:
            base[channel] = base[channel].to_numpy() & ~taken
            taken |= base[channel].to_numpy()

    name = people["name"] if "name" in people else pd.Series(None, index=people.index, dtype=object)
    phone = people["phone"] if "phone" in people else pd.Series(None, index=people.index, dtype=object)
    email = people["email"] if "email" in people else pd.Series(None, index=people.index, dtype=object)
    parts = []
    for position, channel in enumerate(channels):
        chosen = base[base[channel]]
        ids = chosen["customer_id"]
        is_phone = channel in ("whatsapp", "sms")
        parts.append(pd.DataFrame({
            "group": chosen[group].to_numpy(), "channel": channel, "customer_id": ids.to_numpy(),
            "name": _stripped(name.reindex(ids)),
            "phone": [normalise_phone(p, region) for p in phone.reindex(ids)] if is_phone else None,
            "email": _stripped(email.reindex(ids)) if not is_phone else None,
            **{c: chosen[c].to_numpy() for c in carried},
            "_channel_order": position,
        }))
    lists = pd.concat(parts, ignore_index=True)
    group_order = _group_order(members[group], order)
    lists["_group_order"] = lists["group"].map(group_order)
    lists = lists.sort_values(["_group_order", "_channel_order", "customer_id"], kind="stable")
    return lists[columns].reset_index(drop=True)


def campaign_counts(members: pd.DataFrame, lists: pd.DataFrame, group: str = "segment",
                    channels=CHANNELS, order=None) -> pd.DataFrame:
    """Per group (in ``order``, as for :func:`campaign_lists`): members, reachable members (any
    channel) and reachable members per channel."""
    channels = _check_channels(channels)
    order = list(_group_order(members[group], order))
    counts = pd.crosstab(lists["group"], lists["channel"]).reindex(index=order, columns=list(channels),
                                                                  fill_value=0)
    out = pd.DataFrame({"members": members.groupby(group, sort=False, observed=True).size()
                        .reindex(order).fillna(0).astype("int64")})
    out["reachable"] = lists.groupby("group")["customer_id"].nunique().reindex(order).fillna(0).astype("int64")
    out = out.join(counts)
    out.index.name = "group"
    return out.reset_index()


def campaign_sheets(lists: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per group (non-empty groups, list order), for ``ReportOutput.excel``."""
    return {str(name): frame.reset_index(drop=True)
            for name, frame in lists.groupby("group", sort=False)}


def _check_channels(channels) -> tuple[str, ...]:
    if isinstance(channels, str):
        channels = [channels]
    chosen = tuple(str(c).strip().lower() for c in channels)
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise InputError(f"campaign_channels must list distinct channels among {CHANNELS}, "
                         f"not {list(channels)!r}.")
    return chosen


def _group_order(values: pd.Series, order=None) -> dict:
    """Group → position: ``order`` (then any other groups), else the categorical order, else
    order of appearance."""
    if order is not None:
        names = list(order) + [v for v in pd.unique(values.dropna()) if v not in set(order)]
    elif isinstance(values.dtype, pd.CategoricalDtype):
        names = list(values.cat.categories)
    else:
        names = list(pd.unique(values.dropna()))
    return {name: i for i, name in enumerate(names)}


def _stripped(values: pd.Series) -> np.ndarray:
    return values.map(lambda v: str(v).strip() if isinstance(v, str) and v.strip() else None).to_numpy()
