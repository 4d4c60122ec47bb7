"""Words, money and masking: what people see in a report."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlib.i18n import labels, t
from crmlib.privacy import mask_email, mask_frame, mask_name, mask_phone


def test_masking():
    assert mask_phone("0812-345-6789") == "0812****789"
    assert mask_phone("+62 812-3456-7890") == "+6281******890"
    assert mask_email("budi.santoso@mail.com") == "b***@mail.com"
    assert mask_name("Budi Santoso") == "B. S."
    assert mask_phone(None) is None and mask_email(float("nan")) is None
    frame = pd.DataFrame({"customer_id": ["007"], "name": ["Siti Aminah"], "phone": ["081234567890"],
                          "email": ["siti@contoh.co.id"]})
    masked = mask_frame(frame)
    assert masked.iloc[0].tolist() == ["007", "S. A.", "0812*****890", "s***@contoh.co.id"]
    assert frame.loc[0, "phone"] == "081234567890"  # the input is left alone


def test_labels_in_both_languages():
    assert t("customers", "id") == "Pelanggan" and t("customers", "en") == "Customers"
    assert t("no such key", "id") == "no such key"
    with pytest.raises(ValueError, match="lang"):
        t("customers", "fr")
    missing = [key for key, texts in labels().items() if not texts.get("en") or not texts.get("id")]
    assert missing == [], f"labels without both languages: {missing}"


def test_validation_table_speaks_both_languages():
    from crmlib.data import validation_table
    report = {"rows_in": 10, "rows_kept": 7, "rows_rejected": 3, "returns_policy": "net", "returns_kept": 2,
              "rejected_by_reason": {"missing customer id": 2, "future date": 1}}
    table = validation_table(report, "id")
    assert table.columns.tolist() == ["Pemeriksaan", "Baris"]
    assert table["Baris"].tolist() == [10, 7, 3, 2, 1, 2]
    assert "returns_policy = net" in table["Pemeriksaan"].iloc[-1]
    assert table["Pemeriksaan"].iloc[3] == "– ID pelanggan kosong"
    assert validation_table(report)["Check"].iloc[0] == "Rows read"


def test_markdown_narrative_follows_lang():
    from crmlib.i18n import md
    assert md("customers", "id").data == "Pelanggan" and md("customers", "en").data == "Customers"


def test_a_label_defined_twice_in_one_file_is_an_error():
    import yaml
    from crmlib.i18n import _StrictLoader
    with pytest.raises(KeyError, match="twice"):
        yaml.load("a: {en: x, id: y}\na: {en: z, id: w}\n", Loader=_StrictLoader)
