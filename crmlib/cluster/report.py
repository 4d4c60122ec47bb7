"""Notebook 03 for people: the tables, action titles and one-line conclusions, in the run's language."""
from __future__ import annotations

import pandas as pd

from crmlib.cluster.kmeans import STABILITY_THRESHOLD, KSelection, SegmentAgreement
from crmlib.i18n import t
from crmlib.present.cluster_text import feature_label
from crmlib.present.numbers import format_count, format_money, format_number, format_percent
from crmlib.present.tables import show_table

_MONEY_MEDIANS = ("median_monetary_total", "median_monetary_mean")
#: Features that are amounts of money (shown in the run's currency).
MONEY_FEATURES = ("monetary_total", "monetary_mean")
#: The medians shown in the main table (all of them are in the exported profiles).
KEY_MEDIANS = ("median_recency_days", "median_monetary_total")


def _pct(x, lang: str) -> str:
    return format_percent(x, 0, lang)


def profile_table(profile: pd.DataFrame, personas: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """Per cluster: persona, size, shares, and the median customer's behaviour."""
    frame = pd.DataFrame({"cluster": profile.index.astype(str), "persona": personas["persona"].to_numpy(),
                          "customers": profile["customers"].to_numpy(),
                          "customer_share": profile["customer_share"].to_numpy(),
                          "revenue_share": profile["revenue_share"].to_numpy()})
    headers = {"cluster": t("cluster_cluster", lang), "persona": t("cluster_persona_col", lang),
               "customers": t("customers", lang), "customer_share": t("cluster_customer_share", lang),
               "revenue_share": t("cluster_revenue_share", lang)}
    kinds = {"cluster": "text", "customer_share": "percent", "revenue_share": "percent"}
    decimals = {"customer_share": 0, "revenue_share": 0}
    for column in [c for c in KEY_MEDIANS if c in profile]:
        name = column.removeprefix("median_")
        frame[column] = profile[column].to_numpy()
        headers[column] = f"{t('cluster_median', lang)}: {feature_label(name, lang)}"
        kinds[column] = "money_short" if column in _MONEY_MEDIANS else "number"
        decimals[column] = 0 if column not in _MONEY_MEDIANS and frame[column].abs().min() >= 10 else 1
    return show_table(frame, lang, kinds=kinds, headers=headers, decimals=decimals, currency=currency, max_rows=None)


def persona_table(profile: pd.DataFrame, personas: pd.DataFrame, lang: str = "en"):
    """Per cluster: persona, its R of the 4R frame, customers and the programme (never cut)."""
    frame = pd.DataFrame({"cluster": profile.index.astype(str), "persona": personas["persona"].to_numpy(),
                          "r": personas["r_label"].to_numpy(), "customers": profile["customers"].to_numpy(),
                          "programme": personas["programme"].to_numpy()})
    return show_table(frame, lang, kinds={"cluster": "text"}, max_rows=None,
                      headers={"cluster": t("cluster_cluster", lang), "persona": t("cluster_persona_col", lang),
                               "r": t("cluster_r_col", lang), "customers": t("customers", lang),
                               "programme": t("cluster_programme_col", lang)})


def selection_table(selection: KSelection, lang: str = "en"):
    """Every criterion for every k (the appendix's diagnostics)."""
    table = selection.table.reset_index()
    columns = {"k": "cluster_k", "inertia": "cluster_inertia", "silhouette": "cluster_silhouette",
               "calinski_harabasz": "cluster_calinski_harabasz", "davies_bouldin": "cluster_davies_bouldin",
               "stability_ari": "cluster_stability"}
    frame = table[[c for c in columns if c in table]]
    return show_table(frame, lang, max_rows=None, headers={c: t(key, lang) for c, key in columns.items() if c in frame},
                      kinds={"k": "count", "inertia": "number", "calinski_harabasz": "number"},
                      decimals={"inertia": 0, "calinski_harabasz": 0, "silhouette": 2, "davies_bouldin": 2,
                                "stability_ari": 2})


def features_table(features: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """The features clustered: median and quartiles of each (the appendix); spend in money."""
    numeric = features.select_dtypes("number")
    quartiles = numeric.quantile([0.25, 0.5, 0.75]).T.set_axis(["q1", "median", "q3"], axis=1)
    decimals = min(0 if quartiles[c].abs().max() >= 100 else 2 for c in quartiles)  # one precision for the rest
    rows = [(feature_label(column, lang),
             *(format_money(v, currency, lang, short=False) if column in MONEY_FEATURES
               else format_number(v, decimals, lang) for v in values))
            for column, values in zip(quartiles.index, quartiles.to_numpy())]
    frame = pd.DataFrame(rows, columns=["feature", "q1", "median", "q3"])
    return show_table(frame, lang, max_rows=None, kinds={"feature": "text", "q1": "money", "median": "money", "q3": "money"},
                      headers={"feature": t("cluster_feature", lang), "q1": t("rfm_quartile_low", lang),
                               "median": t("rfm_median", lang), "q3": t("rfm_quartile_high", lang)})


def crosstab_table(agreement: SegmentAgreement, personas: pd.DataFrame, lang: str = "en"):
    """Customers per cluster (rows) and RFM segment (columns)."""
    frame = agreement.crosstab.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame.insert(0, "cluster", [f"{c} · {personas.loc[c, 'persona']}" for c in frame.index])
    return show_table(frame.reset_index(drop=True), lang, max_rows=None,
                      kinds={c: "count" for c in frame.columns if c != "cluster"},
                      headers={"cluster": t("cluster_cluster", lang)})


def explain_k(selection: KSelection, lang: str = "en") -> str:
    """One paragraph saying which k was chosen and why (the appendix)."""
    table = selection.table
    k = selection.k
    ari = format_number(table.loc[k, "stability_ari"], 2, lang)
    knee = str(selection.knee) if selection.knee is not None else t("not_available", lang)
    threshold = format_number(STABILITY_THRESHOLD, 2, lang)
    if selection.rule == "fixed":
        key = "cluster_k_fixed_stable" if table.loc[k, "stability_ari"] >= STABILITY_THRESHOLD \
            else "cluster_k_fixed_unstable"
        return t(key, lang, k=k, ari=ari, threshold=threshold, knee=knee)
    reached = bool((table.loc[selection.candidates, "stability_ari"] >= STABILITY_THRESHOLD).all())
    return t("cluster_k_auto" if reached else "cluster_k_auto_no_stable", lang, k=k, ari=ari, threshold=threshold,
             candidates=", ".join(map(str, selection.candidates)), knee=knee,
             silhouette=format_number(table.loc[k, "silhouette"], 2, lang))


def agreement_level(ari: float) -> str:
    """``strong`` (ARI ≥ 0.5), ``partial`` (≥ 0.2) or ``weak``: how far clusters repeat the segments."""
    return "strong" if ari >= 0.5 else "partial" if ari >= 0.2 else "weak"


def section_titles(profile: pd.DataFrame, personas: pd.DataFrame, means: pd.DataFrame, selection: KSelection,
                   agreement: SegmentAgreement, distinctive: list[str], lang: str = "en") -> dict[str, str]:
    """Action titles of the sections, with their numbers."""
    top = profile.index[0]
    return {
        "clusters": t("cluster_title_clusters", lang, k=selection.k, persona=personas.loc[top, "persona"],
                      customers=_pct(profile.loc[top, "customer_share"], lang),
                      revenue=_pct(profile.loc[top, "revenue_share"], lang)),
        "snake": t("cluster_title_snake", lang, persona=personas.loc[top, "persona"],
                   first=feature_label(distinctive[0], lang).split(" (")[0].lower(),
                   second=feature_label(distinctive[1], lang).split(" (")[0].lower()),
        "personas": t("cluster_title_personas", lang, k=selection.k,
                      recovery=format_count(int(profile.loc[personas["r"].eq("Recovery"), "customers"].sum()), lang)),
        "rfm": t(f"cluster_title_rfm_{agreement_level(agreement.ari)}", lang, ari=format_number(agreement.ari, 2, lang)),
    }


def headline_kpis(profile: pd.DataFrame, personas: pd.DataFrame, selection: KSelection, agreement: SegmentAgreement,
                  n_customers: int, lang: str = "en") -> list[tuple[str, str]]:
    top = profile.index[0]
    return [(t("cluster_kpi_customers", lang), format_count(n_customers, lang)),
            (t("cluster_kpi_k", lang), format_count(selection.k, lang)),
            (t("cluster_kpi_top_revenue", lang, persona=personas.loc[top, "persona"]),
             _pct(profile.loc[top, "revenue_share"], lang)),
            (t("cluster_kpi_stability", lang), format_number(selection.table.loc[selection.k, "stability_ari"], 2, lang)),
            (t("cluster_kpi_agreement", lang), format_number(agreement.ari, 2, lang))]


def key_messages(profile: pd.DataFrame, personas: pd.DataFrame, selection: KSelection, agreement: SegmentAgreement,
                 lang: str = "en") -> list[str]:
    top, last = profile.index[0], profile.index[-1]
    recovery = profile.loc[personas["r"].eq("Recovery")]
    messages = [
        t("cluster_msg_k", lang, k=f"**{selection.k}**",
          ari=f"**{format_number(selection.table.loc[selection.k, 'stability_ari'], 2, lang)}**"),
        t("cluster_msg_top", lang, persona=personas.loc[top, "persona"],
          customers=f"**{_pct(profile.loc[top, 'customer_share'], lang)}**",
          revenue=f"**{_pct(profile.loc[top, 'revenue_share'], lang)}**", programme=personas.loc[top, "programme"]),
        t("cluster_msg_last", lang, persona=personas.loc[last, "persona"],
          customers=f"**{_pct(profile.loc[last, 'customer_share'], lang)}**",
          revenue=f"**{_pct(profile.loc[last, 'revenue_share'], lang)}**"),
    ]
    if len(recovery):
        messages.append(t("cluster_msg_recovery", lang, customers=f"**{format_count(int(recovery['customers'].sum()), lang)}**",
                          share=f"**{_pct(recovery['customer_share'].sum(), lang)}**"))
    messages.append(t(f"cluster_msg_rfm_{agreement_level(agreement.ari)}", lang,
                      ari=f"**{format_number(agreement.ari, 2, lang)}**"))
    return messages[:5]


def so_what_sizes(profile: pd.DataFrame, personas: pd.DataFrame, lang: str = "en") -> str:
    top = profile.index[0]
    return t("cluster_sowhat_sizes", lang, persona=personas.loc[top, "persona"],
             customers=_pct(profile.loc[top, "customer_share"], lang),
             revenue=_pct(profile.loc[top, "revenue_share"], lang))

