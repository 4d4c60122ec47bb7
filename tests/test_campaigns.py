"""Campaign lists: only contactable members, per group × channel, channel priority, masking."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlib.campaigns import campaign_counts, campaign_lists, campaign_sheets
from crmlib.io import InputError
from crmlib.privacy import mask_frame

CUSTOMERS = pd.DataFrame({
    "customer_id": ["001", "002", "003", "004", "005", "006"],
    "name": ["Budi Santoso", " Siti Aminah ", "Agus", "Dewi Lestari", "Rina", "Joko"],
    "phone": ["0812-3456-7890", "+62 813 1111 2222", "12345", None, "081298765432", "0812-3456-7891"],
    "email": ["budi@example.com", None, "agus@example.com", "dewi@@example", None, "joko@example.com"],
})
# 001: WhatsApp/SMS + email; 002: phone only; 003: email only (bad phone);
# 004: nothing valid; 005: phone, but not a member; 006: member of the second group
MEMBERS = pd.DataFrame({
    "customer_id": ["003", "001", "002", "004", "006", "999"],
    "segment": ["At Risk", "At Risk", "At Risk", "At Risk", "Lost", "Lost"],
    "programme": ["win back"] * 4 + ["one message"] * 2,
})


def test_lists_hold_only_reachable_members_per_channel():
    lists = campaign_lists(MEMBERS, CUSTOMERS)
    got = {(g, c): ids.tolist() for (g, c), ids in lists.groupby(["group", "channel"], sort=False)["customer_id"]}
    assert got == {
        ("At Risk", "whatsapp"): ["001", "002"],
        ("At Risk", "sms"): ["001", "002"],
        ("At Risk", "email"): ["001", "003"],
        ("Lost", "whatsapp"): ["006"],
        ("Lost", "sms"): ["006"],
        ("Lost", "email"): ["006"],
    }
    row = lists[(lists["customer_id"] == "002") & (lists["channel"] == "whatsapp")].iloc[0]
    assert row["phone"] == "+6281311112222" and row["email"] is None
    assert row["name"] == "Siti Aminah" and row["programme"] == "win back"
    email_row = lists[(lists["customer_id"] == "003") & (lists["channel"] == "email")].iloc[0]
    assert email_row["email"] == "agus@example.com" and email_row["phone"] is None


def test_one_channel_each_follows_priority():
    lists = campaign_lists(MEMBERS, CUSTOMERS, channels=["email", "whatsapp"], one_channel_each=True)
    assert lists.groupby("customer_id")["channel"].agg(list).to_dict() == {
        "001": ["email"], "002": ["whatsapp"], "003": ["email"], "006": ["email"]}


def test_counts_and_sheets():
    lists = campaign_lists(MEMBERS, CUSTOMERS)
    counts = campaign_counts(MEMBERS, lists).set_index("group")
    assert counts.loc["At Risk"].to_dict() == {"members": 4, "reachable": 3, "whatsapp": 2, "sms": 2, "email": 2}
    assert counts.loc["Lost"].to_dict() == {"members": 2, "reachable": 1, "whatsapp": 1, "sms": 1, "email": 1}
    sheets = campaign_sheets(lists)
    assert list(sheets) == ["At Risk", "Lost"] and len(sheets["At Risk"]) == 6


def test_masked_preview_hides_personal_data():
    preview = mask_frame(campaign_lists(MEMBERS, CUSTOMERS))
    text = preview.to_string()
    for secret in ("Budi", "Santoso", "3456", "budi@", "agus@"):
        assert secret not in text


def test_no_customers_file_gives_empty_lists_and_bad_input_is_named():
    empty = campaign_lists(MEMBERS, None)
    assert empty.empty and "programme" in empty.columns
    with pytest.raises(InputError, match="campaign_channels"):
        campaign_lists(MEMBERS, CUSTOMERS, channels=["fax"])
    with pytest.raises(InputError, match="'segment'"):
        campaign_lists(MEMBERS.drop(columns="segment"), CUSTOMERS)


def test_generic_group_column_and_categorical_order():
    members = MEMBERS.assign(wave=pd.Categorical(["b", "b", "a", "a", "b", "a"], categories=["b", "a"]))
    lists = campaign_lists(members, CUSTOMERS, group="wave", text=None, channels=["sms"])
    assert lists["group"].tolist() == ["b", "b", "a"] and "programme" not in lists
    assert lists["customer_id"].tolist() == ["001", "006", "002"]


def test_explicit_group_order():
    lists = campaign_lists(MEMBERS, CUSTOMERS, channels=["email"], order=["Lost", "At Risk"])
    assert lists["group"].tolist() == ["Lost", "At Risk", "At Risk"]
    counts = campaign_counts(MEMBERS, lists, channels=["email"], order=["Lost", "At Risk", "Champions"])
    assert counts["group"].tolist() == ["Lost", "At Risk", "Champions"]
    assert counts["members"].tolist() == [2, 4, 0]
