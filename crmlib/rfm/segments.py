"""RFM segmentation: scores, named segments with a 4R programme, monetary tiers and migration.

Start from :func:`crmlib.summary.customer_summary` (one row per customer at an as-of date):

>>> scores = rfm_scores(summary)                  # R, F, M scores 1-5 and the RFM code
>>> rules = load_segment_rules()                  # the bundled 11 segments (rfm_segments.yaml)
>>> table = assign_segments(scores, rules)        # + segment
>>> table["tier"] = assign_tiers(table["revenue"])  # Platinum / Gold / Regular

**Score rule (ties).** A quantile score says which fifth of the customers a value falls in.
With heavy ties (most customers bought once) a tie group cannot be split fairly, so every
customer of a tie group gets the score of the group's *lowest* position:
``score = 1 + floor(bins × (number of customers with a strictly worse value) / n)``.
All one-time buyers therefore get F = 1, equal values always get equal scores, and a score is
skipped when a tie group spans a whole bin (e.g. F jumps from 1 to 4 when 60 % bought once).
Recency is reversed: the most recent customers score ``bins``. Custom ``edges`` replace the
quantiles with fixed upper bounds (e.g. recency ``[30, 90, 180, 365]`` days).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crmlib.io import InputError
from crmlib.summary import customer_summary

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rfm_segments.yaml"
FOUR_R = ("Relationship", "Retention", "Referral", "Recovery")
FREQUENCY_BASES = {"days": "frequency", "orders": "orders"}
MONETARY_BASES = {"total": "monetary_total", "mean": "monetary_mean"}
SCORES = ("R", "F", "M")
TIER_NAMES = ("Platinum", "Gold", "Regular")
#: Row label of the migration matrix for customers who had not bought by the earlier date.
NOT_YET = "Not yet a customer"
#: Column label for customers of the earlier date without a purchase by the later one (rare).
NO_LONGER = "No longer a customer"


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------
def quantile_scores(values, bins: int = 5, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1..``bins`` by quantile position; a tie group shares its lowest position's score."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any():
        raise InputError("RFM scores need a value for every customer; found missing values.")
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    worse = pd.Series(values if higher_is_better else -values).rank(method="min").to_numpy() - 1
    return (1 + np.floor(bins * worse / n)).astype(np.int64)


def edge_scores(values, edges, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1..len(edges)+1 from fixed upper bounds: value ≤ edges[0] is the worst bin.

    For recency (``higher_is_better=False``) ``edges`` are days: ≤ edges[0] is the best score.
    """
    edges = np.asarray(edges, dtype=float)
    below = np.searchsorted(edges, np.asarray(values, dtype=float), side="left")
    return (below + 1 if higher_is_better else len(edges) + 1 - below).astype(np.int64)


def rfm_scores(summary: pd.DataFrame, bins: int = 5, edges: dict | None = None,
               frequency_basis: str = "days", monetary_basis: str = "total") -> pd.DataFrame:
    """R, F and M scores (1..``bins``) and the ``RFM`` code per customer.

    ``frequency_basis``: ``"days"`` (distinct purchase days) or ``"orders"``;
    ``monetary_basis``: ``"total"`` (net spend) or ``"mean"`` (per purchase);
    ``edges``: optional ``{"R": [...], "F": [...], "M": [...]}`` with ``bins - 1`` increasing
    upper bounds each (recency in days); scores without edges use quantiles.
    Columns: customer_id, recency_days, frequency, monetary, revenue (net spend), R, F, M, RFM.
    """
    bins = _check_bins(bins)
    if frequency_basis not in FREQUENCY_BASES:
        raise InputError(f"rfm_frequency_basis must be one of {tuple(FREQUENCY_BASES)}, "
                         f"not {frequency_basis!r}.")
    if monetary_basis not in MONETARY_BASES:
        raise InputError(f"rfm_monetary_basis must be one of {tuple(MONETARY_BASES)}, "
                         f"not {monetary_basis!r}.")
    edges = _check_edges(edges or {}, bins)
    out = pd.DataFrame({
        "customer_id": summary["customer_id"].to_numpy(),
        "recency_days": summary["recency_days"].to_numpy(),
        "frequency": summary[FREQUENCY_BASES[frequency_basis]].to_numpy(),
        "monetary": summary[MONETARY_BASES[monetary_basis]].to_numpy(dtype=float),
        "revenue": summary["monetary_total"].to_numpy(dtype=float),
    })
    for score, column, better in (("R", "recency_days", False), ("F", "frequency", True),
                                  ("M", "monetary", True)):
        if score in edges:
            out[score] = edge_scores(out[column], edges[score], better)
        else:
            out[score] = quantile_scores(out[column], bins, better)
    out["RFM"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    out.attrs["rfm_bins"] = bins
    return out


def _check_bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 2 <= bins <= 9:
        raise InputError(f"rfm_bins must be a whole number from 2 to 9, not {bins!r}.")
    return int(bins)


def _check_edges(edges: dict, bins: int) -> dict:
    if not isinstance(edges, dict):
        raise InputError("rfm_edges must be a mapping like {'R': [30, 90, 180, 365]}, "
                         f"not {edges!r}.")
    checked = {}
    for key, bounds in edges.items():
        score = str(key).upper()
        if score not in SCORES:
            raise InputError(f"rfm_edges: unknown score {key!r}; use R, F or M.")
        try:
            values = [float(b) for b in bounds]
        except (TypeError, ValueError) as err:
            raise InputError(f"rfm_edges[{key!r}] must be a list of numbers, not {bounds!r}.") from err
        if len(values) != bins - 1 or any(b >= c for b, c in zip(values, values[1:])):
            raise InputError(f"rfm_edges[{key!r}] must hold {bins - 1} increasing upper bounds "
                             f"(rfm_bins = {bins}), not {bounds!r}.")
        checked[score] = values
    return checked


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------
@dataclass
class Segment:
    """One named segment: its rule, value rank, 4R and texts (``{en: …, id: …}``, worded by
    :mod:`crmlib.present.rfm_text`)."""

    name: str
    when: dict[str, tuple[int, int]]
    rank: int
    r_of_4r: str
    label: dict[str, str]
    description: dict[str, str]
    programme: dict[str, str]
    high_value: bool = False

    def matches(self, r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
        scores = {"R": r, "F": f, "M": m}
        hit = np.ones(len(r), dtype=bool)
        for score, (low, high) in self.when.items():
            hit &= (scores[score] >= low) & (scores[score] <= high)
        return hit


@dataclass
class SegmentRules:
    """Ordered segment rules on a 1..``scale`` score grid (first matching rule wins)."""

    segments: list[Segment]
    scale: int = 5
    source: str = field(default="", repr=False)

    @property
    def names(self) -> list[str]:
        """Segment names in value order (rank 1 first)."""
        return [s.name for s in sorted(self.segments, key=lambda s: s.rank)]

    def __getitem__(self, name: str) -> Segment:
        for segment in self.segments:
            if segment.name == name:
                return segment
        raise KeyError(name)

    def assign(self, r, f, m) -> np.ndarray:
        """Segment name per score triple (scores on this rules' scale)."""
        r, f, m = (np.asarray(x) for x in (r, f, m))
        names = np.full(len(r), None, dtype=object)
        for segment in self.segments:
            hit = segment.matches(r, f, m) & (names == None)  # noqa: E711 (element-wise)
            names[hit] = segment.name
        return names

    def uncovered(self) -> list[str]:
        """Score codes (``"111"`` …) that no rule matches; empty when the rules cover the grid."""
        grid = np.array(np.meshgrid(*[np.arange(1, self.scale + 1)] * 3, indexing="ij")).reshape(3, -1)
        names = self.assign(*grid)
        return ["".join(map(str, code)) for code, name in zip(grid.T, names) if name is None]


def load_segment_rules(path: str | Path | None = None) -> SegmentRules:
    """Segment rules from a YAML file (default: the bundled ``rfm_segments.yaml``).

    Raises :class:`InputError` naming the file and segment when a rule is malformed or when
    some score code matches no rule.
    """
    path = Path(path) if path else DEFAULT_RULES_PATH
    if not path.is_file():
        raise InputError(f"segment rules file not found: {path} (parameter `rfm_segment_rules`).")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise InputError(f"segment rules file {path.name} is not valid YAML: {err}") from err
    scale = _check_bins(spec.get("scale", 5))
    segments = []
    for number, item in enumerate(spec.get("segments") or [], 1):
        where = f"{path.name}, segment #{number} ({item.get('name', '?')})"
        try:
            when = {}
            for score, bounds in (item.get("when") or {}).items():
                low, high = (int(b) for b in bounds)
                if score not in SCORES or not 1 <= low <= high <= scale:
                    raise ValueError(f"`when: {score}: {bounds}` must be R, F or M with 1 ≤ low ≤ high ≤ {scale}")
                when[score] = (low, high)
            if item["r_of_4r"] not in FOUR_R:
                raise ValueError(f"r_of_4r must be one of {FOUR_R}, not {item['r_of_4r']!r}")
            segments.append(Segment(
                name=str(item["name"]), when=when, rank=int(item["rank"]), r_of_4r=item["r_of_4r"],
                label=dict(item.get("label") or {"en": item["name"]}),
                description=dict(item["description"]), programme=dict(item["programme"]),
                high_value=bool(item.get("high_value", False))))
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{where}: {err if not isinstance(err, KeyError) else f'missing {err}'}; "
                             f"see the bundled rfm_segments.yaml for the expected shape.") from err
    if not segments:
        raise InputError(f"{path.name} defines no segments (expected a `segments:` list).")
    names = [s.name for s in segments]
    if len(set(names)) != len(names):
        raise InputError(f"{path.name}: segment names must be unique; got {names}.")
    rules = SegmentRules(segments=segments, scale=scale, source=path.name)
    missing = rules.uncovered()
    if missing:
        raise InputError(f"{path.name}: no rule matches the score codes {', '.join(missing[:12])}"
                         f"{' …' if len(missing) > 12 else ''}; add a final catch-all rule.")
    return rules


def to_scale(scores, bins: int, scale: int) -> np.ndarray:
    """Map scores 1..``bins`` linearly onto 1..``scale`` (rounded half up); identity if equal."""
    scores = np.asarray(scores)
    if bins == scale:
        return scores
    return (1 + np.floor((scores - 1) * (scale - 1) / (bins - 1) + 0.5)).astype(np.int64)


def assign_segments(scores: pd.DataFrame, rules: SegmentRules | None = None,
                    bins: int | None = None) -> pd.DataFrame:
    """``scores`` plus a ``segment`` column (first matching rule wins).

    With a number of ``bins`` other than the rules' scale (5), scores are mapped linearly onto
    the rules' scale before matching (``bins`` defaults to the one :func:`rfm_scores` used).
    """
    rules = rules or load_segment_rules()
    bins = _check_bins(bins if bins is not None else scores.attrs.get("rfm_bins", rules.scale))
    r, f, m = (to_scale(scores[s], bins, rules.scale) for s in SCORES)
    out = scores.copy()
    out["segment"] = rules.assign(r, f, m)
    return out


def segment_summary(table: pd.DataFrame, rules: SegmentRules) -> pd.DataFrame:
    """Per segment (value order, empty segments included): customers, revenue, shares, means, 4R.

    :func:`crmlib.present.rfm_text.with_segment_texts` adds the label and programme in a language.
    """
    grouped = table.groupby("segment", sort=False)
    out = pd.DataFrame({
        "customers": grouped.size(),
        "revenue": grouped["revenue"].sum(),
        "recency_mean": grouped["recency_days"].mean(),
        "frequency_mean": grouped["frequency"].mean(),
        "monetary_mean": grouped["monetary"].mean(),
    }).reindex(rules.names)
    out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    out["customers"] = out["customers"].astype("int64")
    out.insert(1, "customer_share", out["customers"] / max(len(table), 1))
    total = table["revenue"].sum()
    out.insert(3, "revenue_share", out["revenue"] / total if total > 0 else np.nan)
    out.index.name = "segment"
    out = out.reset_index()
    out["r_of_4r"] = [rules[s].r_of_4r for s in out["segment"]]
    return out


def rf_grid(table: pd.DataFrame, value: str = "revenue", bins: int = 5) -> pd.DataFrame:
    """Mean ``value`` per R (rows, best first) × F (columns) score cell; NaN for empty cells."""
    grid = table.pivot_table(index="R", columns="F", values=value, aggfunc="mean", observed=False)
    scores = range(1, bins + 1)
    return grid.reindex(index=list(reversed(scores)), columns=list(scores))


# --------------------------------------------------------------------------------------------
# Monetary tiers
# --------------------------------------------------------------------------------------------
def assign_tiers(revenue: pd.Series, cutoffs=(0.05, 0.20), names=TIER_NAMES) -> pd.Series:
    """Tier per customer by spend rank: top ``cutoffs[0]`` of customers, up to ``cutoffs[1]``, rest.

    A customer's position is the share of customers who spent strictly more, so equal spenders
    share a tier (ties go up). Returns an ordered categorical aligned with ``revenue``.
    """
    cutoffs = _check_cutoffs(cutoffs, names)
    values = pd.Series(revenue, dtype=float)
    n = len(values)
    above = (values.rank(method="min", ascending=False) - 1).to_numpy()
    position = above / n if n else above
    tier = np.searchsorted(np.asarray(cutoffs), position, side="right")
    return pd.Series(pd.Categorical.from_codes(tier, categories=list(names), ordered=True),
                     index=values.index, name="tier")


def _check_cutoffs(cutoffs, names) -> list[float]:
    try:
        values = [float(c) for c in cutoffs]
    except (TypeError, ValueError) as err:
        raise InputError(f"tier_cutoffs must be a list of shares like [0.05, 0.20], not {cutoffs!r}.") from err
    if len(values) != len(names) - 1 or not all(a < b for a, b in zip([0.0] + values, values)) \
            or values[-1] > 1:
        raise InputError(f"tier_cutoffs must hold {len(names) - 1} increasing shares in (0, 1] "
                         f"(top share, top + next share), not {cutoffs!r}.")
    return values


def tier_summary(table: pd.DataFrame, names=TIER_NAMES) -> pd.DataFrame:
    """Per tier: customers and shares, revenue and share, smallest spend (the programme is words:
    :func:`crmlib.rfm.report.tier_table`)."""
    grouped = table.groupby("tier", observed=False)
    out = pd.DataFrame({"customers": grouped.size(), "revenue": grouped["revenue"].sum(),
                        "min_revenue": grouped["revenue"].min()}).reindex(list(names))
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out.insert(1, "customer_share", out["customers"] / max(len(table), 1))
    total = table["revenue"].sum()
    out.insert(3, "revenue_share", out["revenue"] / total if total > 0 else np.nan)
    out.index.name = "tier"
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# Migration between two dates
# --------------------------------------------------------------------------------------------
def segment_customers(transactions: pd.DataFrame, as_of_date, rules: SegmentRules | None = None,
                      bins: int = 5, edges: dict | None = None, frequency_basis: str = "days",
                      monetary_basis: str = "total") -> pd.DataFrame:
    """Summary → scores → segments at one date (scores use that date's own quantiles)."""
    rules = rules or load_segment_rules()
    scores = rfm_scores(customer_summary(transactions, as_of_date), bins, edges,
                        frequency_basis, monetary_basis)
    return assign_segments(scores, rules, bins)


def movements(before: pd.DataFrame, after: pd.DataFrame, rules: SegmentRules) -> pd.DataFrame:
    """Per customer: segment at both dates and the move (``up``, ``same``, ``down``, ``new``).

    Up/down compare the segments' value ``rank`` (1 = best). Customers without a purchase by the
    earlier date are ``new`` (from :data:`NOT_YET`). Sorted by customer_id.
    """
    keep = ["customer_id", "segment", "R", "F", "M", "revenue"]
    merged = before[keep].merge(after[keep], on="customer_id", how="outer",
                                suffixes=("_before", "_now")).sort_values("customer_id")
    merged["segment_before"] = merged["segment_before"].fillna(NOT_YET)
    merged["segment_now"] = merged["segment_now"].fillna(NO_LONGER)
    rank = {s.name: s.rank for s in rules.segments}
    before_rank = merged["segment_before"].map(rank)
    now_rank = merged["segment_now"].map(rank)
    merged["move"] = np.select(
        [merged["segment_before"].eq(NOT_YET), merged["segment_now"].eq(NO_LONGER),
         now_rank < before_rank, now_rank > before_rank],
        ["new", "lost", "up", "down"], default="same")
    return merged.reset_index(drop=True)


def migration_matrix(moves: pd.DataFrame, rules: SegmentRules) -> pd.DataFrame:
    """Customers by segment at the earlier date (rows) × segment now (columns), value order.

    The row :data:`NOT_YET` counts customers whose first purchase came after the earlier date.
    """
    rows = rules.names + [NOT_YET]
    cols = rules.names + ([NO_LONGER] if moves["segment_now"].eq(NO_LONGER).any() else [])
    matrix = pd.crosstab(moves["segment_before"], moves["segment_now"])
    return matrix.reindex(index=rows, columns=cols, fill_value=0).rename_axis(
        index="segment_before", columns="segment_now")


def slipping_high_value(moves: pd.DataFrame, rules: SegmentRules) -> pd.DataFrame:
    """The call list: customers who slipped from a ``high_value`` segment into one that is not
    high-value or needs Recovery (Champions → At Risk or → Can't Lose Them, Loyal → About To
    Sleep; not Champions → Loyal). Biggest current spenders first."""
    high = [s.name for s in rules.segments if s.high_value]
    safe = [s.name for s in rules.segments if s.high_value and s.r_of_4r != "Recovery"]
    slipped = moves[moves["move"].eq("down") & moves["segment_before"].isin(high)
                    & ~moves["segment_now"].isin(safe)]
    return slipped.sort_values(["revenue_now", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def resolve_earlier_date(earlier_date, as_of_date, months: int = 6) -> str:
    """The migration's earlier date: ``earlier_date`` as given, or ``months`` before ``as_of_date``."""
    if earlier_date not in (None, ""):
        return str(earlier_date)
    return (pd.Timestamp(as_of_date) - pd.DateOffset(months=months)).date().isoformat()


def migration(transactions: pd.DataFrame, earlier_date, as_of_date, now: pd.DataFrame,
              rules: SegmentRules, **score_options) -> pd.DataFrame:
    """:func:`movements` between segments at ``earlier_date`` and the segmented table ``now``.

    ``score_options`` (bins, edges, frequency_basis, monetary_basis) must be those used for ``now``.
    """
    try:
        earlier, later = pd.Timestamp(earlier_date), pd.Timestamp(as_of_date)
    except (TypeError, ValueError) as err:
        raise InputError(f"earlier_date {earlier_date!r} is not a date; write it as YYYY-MM-DD.") from err
    if not earlier < later:
        raise InputError(f"earlier_date ({earlier_date}) must come before as_of_date ({as_of_date}).")
    before = segment_customers(transactions, earlier, rules, **score_options)
    return movements(before, now, rules)


# --------------------------------------------------------------------------------------------
# Figures the report quotes
# --------------------------------------------------------------------------------------------
def headline_figures(segments: pd.DataFrame, tiers: pd.DataFrame, scores: pd.DataFrame,
                     moves: pd.DataFrame | None = None, slipping: pd.DataFrame | None = None,
                     campaign_counts: pd.DataFrame | None = None) -> dict:
    """The numbers the notebook's one-line conclusions quote (plain values, not formatted).

    Migration and campaign figures are included when ``moves``/``slipping`` and
    ``campaign_counts`` are given.
    """
    by_revenue = segments.sort_values(["revenue", "customers"], ascending=False).iloc[0]
    mean_by_f = scores.groupby("F")["revenue"].mean()
    figures = {
        "top_segment": by_revenue["segment"],
        "top_segment_customer_share": float(by_revenue["customer_share"]),
        "top_segment_revenue_share": float(by_revenue["revenue_share"]),
        "recovery_revenue_share": float(segments.loc[segments["r_of_4r"].eq("Recovery"), "revenue_share"].sum()),
        "f1_share": float(scores["F"].eq(1).mean()),
        "top_f": int(mean_by_f.index[-1]),
        "spend_ratio_top_f": float(mean_by_f.iloc[-1] / mean_by_f.iloc[0]),
        "platinum_customer_share": float(tiers["customer_share"].iloc[0]),
        "platinum_revenue_share": float(tiers["revenue_share"].iloc[0]),
        "top_two_tiers_revenue_share": float(tiers["revenue_share"].iloc[:2].sum()),
    }
    if moves is not None:
        move_counts = moves["move"].value_counts()
        figures.update({"moved_up": int(move_counts.get("up", 0)), "slipped": int(move_counts.get("down", 0)),
                        "new_since_earlier": int(move_counts.get("new", 0))})
    if slipping is not None:
        figures["slipping_high_value"] = len(slipping)
    if campaign_counts is not None:
        members, reachable = int(campaign_counts["members"].sum()), int(campaign_counts["reachable"].sum())
        figures.update({
            "campaign_members": members, "campaign_reachable": reachable,
            "campaign_reachable_share": reachable / members if members else 0.0,
            **{f"campaign_{c}": int(campaign_counts[c].sum()) if c in campaign_counts else 0
               for c in ("whatsapp", "sms", "email")}})
    return figures
