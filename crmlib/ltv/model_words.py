"""Sentences about the extra models: covariate effects, the likelihood-ratio test and the
choice of the CLV model, in the report's language (labels in ``labels/ltv_models.yaml``).

The sentences are Markdown: values taken from the data (column names, their levels) are
escaped with :func:`crmlib.markup.escape_md`; numbers are formatted text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.present.numbers import format_number, format_percent
from crmlib.i18n import labels, t
from crmlib.markup import escape_md

#: |z| above this is significant at the 5 % level (two-sided).
Z_95 = 1.959964


def model_label(name: str, lang: str = "en") -> str:
    return t(f"ltv_series_{name}", lang)


def column_label(column: str, lang: str = "en") -> str:
    """A customers-file column in words ("sign-up channel"), as the churn report names it;
    the column's own name when it has no label."""
    key = f"churn_feature_{column}"
    if key not in labels():
        return escape_md(column)
    text = t(key, lang)
    return text[:1].lower() + text[1:]


def effect_sentences(effects: pd.DataFrame, references: dict, lang: str = "en") -> list[str]:
    """One sentence per covariate level, e.g. "Customers with channel Marketplace buy 18 %
    less often (SE 4 %) and are 1.3× as likely to drop out (SE 0.1) as customers with channel
    Website." ``effects``: :meth:`~crmlib.ltv.covariates._CovariateModel.effects`;
    ``references``: the reference level per column (:func:`~crmlib.ltv.covariate_design`)."""
    sentences = []
    for row in effects.itertuples(index=False):
        column, _, level = row.covariate.partition("=")
        reference = escape_md(references.get(column, "–"))
        column, level = column_label(column, lang), escape_md(level)
        change = row.purchase_ratio - 1.0
        purchase = t("ltv_effect_more" if change >= 0 else "ltv_effect_less", lang,
                     pct=format_percent(abs(change), 0, lang))
        text = t("ltv_effect_sentence", lang, column=column, level=level,
                 reference=reference, purchase=purchase,
                 purchase_se=format_percent(row.purchase_se, 0, lang),
                 dropout=format_number(row.dropout_ratio, 2, lang),
                 dropout_se=format_number(row.dropout_se, 2, lang))
        if abs(row.purchase_z) < Z_95 and abs(row.dropout_z) < Z_95:
            text += " " + t("ltv_effect_not_significant", lang)
        sentences.append(text)
    return sentences


def lr_test_sentence(test: dict, covariates, lang: str = "en") -> str:
    """The likelihood-ratio test against the plain model, in words."""
    verdict = "ltv_lr_significant" if test["p_value"] < 0.05 else "ltv_lr_not_significant"
    p_value = test["p_value"]
    p_text = "< " + format_number(0.001, 3, lang) if p_value < 0.001 else "= " + format_number(p_value, 3, lang)
    return t("ltv_lr_test", lang, covariates=", ".join(column_label(c, lang) for c in covariates),
             plain=format_number(test["loglik_plain"], 1, lang),
             with_covariates=format_number(test["loglik"], 1, lang),
             statistic=format_number(test["statistic"], 1, lang), df=test["df"],
             p_value=p_text, verdict=t(verdict, lang))


def choice_sentence(table: pd.DataFrame, chosen: str, reason: str, lang: str = "en") -> str:
    """Why ``chosen`` (from :func:`~crmlib.ltv.comparison.choose_model`) values the customers."""
    others = table.drop(index=chosen).sort_values("holdout_mae")
    runner_up = others.index[0] if len(others) else chosen
    return t(f"ltv_choice_{reason}", lang, model=model_label(chosen, lang),
             mae=format_number(table.loc[chosen, "holdout_mae"], 3, lang),
             runner_up=model_label(runner_up, lang),
             runner_up_mae=format_number(table.loc[runner_up, "holdout_mae"], 3, lang))


def heading(key: str, number: int, lang: str = "en", **values) -> str:
    """A numbered section heading ``## n. <action title>``."""
    return t(key, lang, n=number, **values)


def alive_title(number: int, final_alive: dict, lang: str = "en") -> str:
    """Action title of the alive-path section from each archetype's latest P(alive)."""
    if "lapsing" in final_alive and "loyal" in final_alive:
        return heading("ltv_section_alive", number, lang, p_lapsing=format_percent(final_alive["lapsing"], 0, lang),
                       p_loyal=format_percent(final_alive["loyal"], 0, lang))
    return heading("ltv_section_alive_plain", number, lang)


def covariates_title(number: int, effects: pd.DataFrame, covariates, lang: str = "en") -> str:
    """Action title of the covariate section: the clearest significant effect, or none."""
    strength = effects[["purchase_z", "dropout_z"]].abs().max(axis=1)
    if effects.empty or strength.max() < Z_95:
        names = ", ".join(column_label(c, lang) for c in covariates)
        return heading("ltv_section_covariates_none", number, lang, covariates=names[:1].upper() + names[1:])
    row = effects.loc[strength.idxmax()]
    column, _, level = row["covariate"].partition("=")
    column, level = column_label(column, lang), escape_md(level)
    change = row["purchase_ratio"] - 1.0
    purchase = t("ltv_effect_more" if change >= 0 else "ltv_effect_less", lang,
                 pct=format_percent(abs(change), 0, lang))
    effect = t("ltv_effect_title", lang, column=column, level=level, purchase=purchase,
               dropout=format_number(row["dropout_ratio"], 2, lang))
    return heading("ltv_section_covariates", number, lang, effect=effect)


def period_name(period: str, lang: str = "en", plural: bool = False) -> str:
    return t(f"ltv_period_{'plural' if plural else 'name'}_{period}", lang)


def bgbb_texts(number: int, model, histories: pd.DataFrame, period: str, lang: str = "en") -> tuple[str, str]:
    """(title + introduction, so-what) of the BG/BB section, from the fitted model and the
    opportunity histories it was fitted on (``opportunity_summary``)."""
    x, t_x, n = histories["frequency"], histories["recency"], histories["n_periods"]
    buy_next = 1.0 - np.asarray(model.conditional_probability_of_n_purchases(0, 1, x, t_x, n), float)
    alive_next = np.asarray(model.probability_alive(x, t_x, n, future_t=1), float)
    purchases = float(np.sum(model.conditional_expected_purchases(5, x, t_x, n)))
    name, plural = period_name(period, lang), period_name(period, lang, plural=True)
    title = heading("ltv_section_bgbb", number, lang, period=name, share=format_percent(buy_next.mean(), 0, lang))
    intro = t("ltv_md_bgbb_intro", lang, period=name, customers=format_number(len(histories), 0, lang),
              opportunities=format_number(int(n.max()), 0, lang))
    so_what = t("ltv_sowhat_bgbb", lang, period_plural=plural, purchases=format_number(purchases, 0, lang),
                alive=format_percent(alive_next.mean(), 0, lang))
    return title + "\n\n" + intro, so_what
