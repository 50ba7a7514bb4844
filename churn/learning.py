"""The churn model (SPEC §3.3): features into a matrix, training, validation, metrics.

Pure: pandas, numpy and scikit-learn; no Django, no I/O. `churn.training` builds the
labelled snapshots from the database with the nightly feature code; this module turns
them into a model and measures it against the policy's hand weights on the same
validation snapshots.

Honest validation: snapshots are split by time, never at random. The most recent
labelled snapshots validate; a training snapshot t is used only when its own outcome
window (t+1 … t+horizon) ends by the first validation snapshot, so no client's
future that the validation period is judged on is ever learned from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

FLAG_CODES = ("DISSATISFIED", "DORMANT", "LOSSES", "OUTFLOW")
MAX_TRAIN_ROWS = 200_000  # training rows sampled beyond this (validation: all rows)
NO_DAYS = 400.0  # "days since" when there never was one within the window

# The model's inputs, all computed from the nightly features frame as of a date.
FEATURES = [
    "log_assets",
    "log_assets_avg_90",
    "assets_change_30",
    "assets_change_90",
    "net_flow_30_share",
    "net_flow_90_share",
    "custody_outs_30",
    "return_90",
    "log_commission_365",
    "log_commission_90",
    "trades_90",
    "active_days_90",
    "active_days_60",
    "active_days_365_91",
    "active_months_12",
    "turnover_90",
    "max_position_share",
    "equity_share",
    "new_issue_share_90",
    "tenure_years",
    "days_since_trade",
    "days_since_contact",
    "contacts_90",
    "contact_minutes_90",
    "activities_365",
    "complaints_90",
    "referrals_365",
    "feedback_avg_180",
    "is_institution",
    "flag_outflow",
    "flag_losses",
    "flag_dormant",
    "flag_dissatisfied",
    "hand_risk",
]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype("float64")
    den = den.astype("float64")
    return (num / den).where(den > 0)


def model_matrix(
    features: pd.DataFrame, flags: pd.DataFrame, hand_risk: pd.Series, as_of
) -> pd.DataFrame:
    """The model's inputs (FEATURES, float32) for every row of a features frame.

    Money enters as logarithms and changes as ratios, so a model trained on one
    branch's sizes reads another's; nulls stay null where "unknown" means something
    (no balance 90 days ago, no feedback).
    """
    f = features
    day = pd.Timestamp(as_of)
    assets = f["assets"].astype("float64").fillna(0.0)
    base30 = np.maximum(f["assets_30_ago"].astype("float64").fillna(0.0), assets)
    base90 = np.maximum(f["assets_90_ago"].astype("float64").fillna(0.0), assets)
    last_trade = pd.to_datetime(f["last_trade_date"])
    out = pd.DataFrame(
        {
            "log_assets": np.log1p(assets.clip(lower=0)),
            "log_assets_avg_90": np.log1p(
                f["assets_avg_90"].astype("float64").clip(lower=0)
            ),
            "assets_change_30": (_ratio(assets, f["assets_30_ago"]) - 1).clip(-1, 5),
            "assets_change_90": (_ratio(assets, f["assets_90_ago"]) - 1).clip(-1, 5),
            "net_flow_30_share": (
                f["net_flow_30"].astype("float64") / np.maximum(base30, 1.0)
            ).clip(-2, 2),
            "net_flow_90_share": (
                f["net_flow_90"].astype("float64") / np.maximum(base90, 1.0)
            ).clip(-2, 2),
            "custody_outs_30": f["custody_outs_30"],
            "return_90": f["return_90"].astype("float64").clip(-1, 2),
            "log_commission_365": np.log1p(f["commission_365"].clip(lower=0)),
            "log_commission_90": np.log1p(f["commission_90"].clip(lower=0)),
            "trades_90": f["trades_90"],
            "active_days_90": f["active_days_90"],
            "active_days_60": f["active_days_60"],
            "active_days_365_91": f["active_days_365_91"],
            "active_months_12": f["active_months_12"],
            "turnover_90": f["turnover_90"].clip(0, 50),
            "max_position_share": f["max_position_share"],
            "equity_share": f["equity_share"],
            "new_issue_share_90": f["new_issue_share_90"],
            "tenure_years": f["tenure_years"].clip(lower=0),
            "days_since_trade": (day - last_trade)
            .dt.days.astype("float64")
            .fillna(NO_DAYS)
            .clip(0, NO_DAYS),
            "days_since_contact": f["days_since_contact"]
            .astype("float64")
            .fillna(NO_DAYS)
            .clip(0, NO_DAYS),
            "contacts_90": f["contacts_90"],
            "contact_minutes_90": f["contact_minutes_90"],
            "activities_365": f["activities_365"],
            "complaints_90": f["complaints_90"],
            "referrals_365": f["referrals_365"],
            "feedback_avg_180": f["feedback_avg_180"],
            "is_institution": (f["kind"] == "institution").astype("float64"),
            "flag_outflow": flags["OUTFLOW"].astype("float64"),
            "flag_losses": flags["LOSSES"].astype("float64"),
            "flag_dormant": flags["DORMANT"].astype("float64"),
            "flag_dissatisfied": flags["DISSATISFIED"].astype("float64"),
            "hand_risk": hand_risk.astype("float64").fillna(0.0),
        },
        index=features.index,
    )
    return out[FEATURES].astype("float32")


# --- the estimator that is stored ---------------------------------------------------


@dataclass
class ChurnEstimator:
    """A fitted classifier and its calibration: the object a stored model holds.

    `risk(X)` is the calibrated probability of churn within the horizon × 100.
    The calibration is Platt's: a logistic fit of the outcome on the classifier's
    log-odds over the validation snapshots (monotone, so the ranking and the AUC
    are the classifier's own).
    """

    kind: str
    features: list[str]
    classifier: object
    slope: float = 1.0
    intercept: float = 0.0

    def raw(self, matrix: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.features if c not in matrix.columns]
        if missing:
            raise ValueError(f"missing model inputs: {', '.join(missing)}")
        values = matrix[self.features].to_numpy(dtype="float32")
        with threadpool_limits(limits=1):
            return self.classifier.predict_proba(values)[:, 1]

    def probability(self, matrix: pd.DataFrame) -> np.ndarray:
        logit = _logit(self.raw(matrix))
        return 1.0 / (1.0 + np.exp(-(self.slope * logit + self.intercept)))

    def risk(self, matrix: pd.DataFrame) -> np.ndarray:
        return np.round(self.probability(matrix) * 100.0, 1)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    fit = LogisticRegression(C=1e4, max_iter=1000)
    fit.fit(_logit(raw).reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def candidates() -> dict[str, object]:
    """The two kinds of model tried on every training: the better one on validation
    wins (the trees only by a clear margin, `_winner`)."""
    return {
        "logistic": make_pipeline(
            SimpleImputer(
                strategy="median", add_indicator=True, keep_empty_features=True
            ),
            StandardScaler(),
            LogisticRegression(C=0.1, max_iter=1000),
        ),
        "boosting": HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.06,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=0,
        ),
    }


# --- metrics ------------------------------------------------------------------------


def top_share_caught(y: np.ndarray, score: np.ndarray, share: float = 0.10) -> float:
    """Share of the churners found among the `share` of rows with the highest score.

    Ties at the cut are split in proportion (a score with many equal values, like the
    hand weights' zeros, gets the churn rate of its tied group, not a lucky order).
    """
    y = np.asarray(y, dtype="float64")
    positives = y.sum()
    if positives == 0:
        return float("nan")
    k = share * len(y)
    order = np.argsort(-score, kind="stable")
    s, ys = score[order], y[order]
    caught = 0.0
    taken = 0.0
    i = 0
    while i < len(s) and taken < k:
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        size = j - i
        group_pos = ys[i:j].sum()
        take = min(size, k - taken)
        caught += group_pos * take / size
        taken += take
        i = j
    return float(caught / positives)


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil's (1982) standard error of a ROC AUC."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (
        auc * (1 - auc)
        + (positives - 1) * (q1 - auc * auc)
        + (negatives - 1) * (q2 - auc * auc)
    ) / max(1, positives * negatives)
    return math.sqrt(max(var, 0.0))


def measure(y: np.ndarray, score: np.ndarray) -> dict:
    """ROC AUC (with its standard error), PR AUC and the share caught in the top 10%
    (None when undefined)."""
    y = np.asarray(y)
    if y.min() == y.max():
        return {"roc_auc": None, "roc_auc_se": None, "pr_auc": None, "top10": None}
    auc = float(roc_auc_score(y, score))
    positives = int(y.sum())
    return {
        "roc_auc": round(auc, 4),
        "roc_auc_se": round(auc_standard_error(auc, positives, len(y) - positives), 4),
        "pr_auc": round(float(average_precision_score(y, score)), 4),
        "top10": round(top_share_caught(y, np.asarray(score, dtype="float64")), 4),
    }


def roc_points(y: np.ndarray, score: np.ndarray, points: int = 60) -> dict:
    """The ROC curve thinned to about `points` points (for the chart)."""
    fpr, tpr, _ = roc_curve(y, score)
    if len(fpr) > points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return {
        "fpr": [round(float(v), 4) for v in fpr],
        "tpr": [round(float(v), 4) for v in tpr],
    }


def calibration_bins(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> list:
    """Mean predicted vs observed churn rate over quantile bins of the prediction."""
    frame = pd.DataFrame({"y": y, "p": probability})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False)
    grouped = frame.groupby("bin").agg(
        predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size")
    )
    return [
        {
            "predicted": round(float(r.predicted), 4),
            "observed": round(float(r.observed), 4),
            "n": int(r.n),
        }
        for r in grouped.itertuples()
    ]


def lift_table(y: np.ndarray, model: np.ndarray, hand: np.ndarray) -> list:
    """Deciles of the model's risk (1 = highest): churners, rate, lift, cumulative
    share caught, beside the hand weights' cumulative share caught at the same depth."""
    y = np.asarray(y, dtype="float64")
    n, positives = len(y), y.sum()
    base = positives / n if n else 0.0
    rows = []
    for decile in range(1, 11):
        depth = decile / 10
        upper = top_share_caught(y, model, depth) * positives
        lower = top_share_caught(y, model, depth - 0.1) * positives if decile > 1 else 0
        size = n * 0.1
        churners = upper - lower
        rate = churners / size if size else 0.0
        rows.append(
            {
                "decile": decile,
                "clients": round(size),
                "churners": round(churners, 1),
                "rate": round(rate, 4),
                "lift": round(rate / base, 2) if base else None,
                "caught": round(upper / positives, 4) if positives else None,
                "caught_hand": round(top_share_caught(y, hand, depth), 4)
                if positives
                else None,
            }
        )
    return rows


# --- training -------------------------------------------------------------------------


@dataclass
class Dataset:
    """Labelled snapshots: one row per open client per snapshot date."""

    matrix: pd.DataFrame  # FEATURES
    label: np.ndarray  # 0/1
    snapshot: np.ndarray  # datetime64[D] per row
    hand: np.ndarray  # the hand weights' risk per row
    client: np.ndarray  # client id per row

    @property
    def positives(self) -> int:
        return int(self.label.sum())


@dataclass
class Training:
    """What one training found: the split, the metrics, the winner (or why none)."""

    snapshots: list
    train_snapshots: list
    validation_snapshots: list
    rows: int
    positives: int
    train_positives: int
    validation_positives: int
    estimator: ChurnEstimator | None = None
    metrics: dict = field(default_factory=dict)
    problem: str = ""  # why no model could be measured: "no_history", "no_churners"


def split(snapshots: list, horizon_days: int) -> tuple[list, list]:
    """Time-based split: validate on the most recent quarter of the snapshots (1–6),
    train on the older ones whose outcome window ends by the first validation one."""
    snapshots = sorted(snapshots)
    if len(snapshots) < 2:
        return [], snapshots
    n_val = min(6, max(1, round(len(snapshots) * 0.25)))
    validation = snapshots[-n_val:]
    first = pd.Timestamp(validation[0])
    train = [
        s
        for s in snapshots[:-n_val]
        if pd.Timestamp(s) + pd.Timedelta(days=horizon_days) <= first
    ]
    return train, validation


def fit(data: Dataset, horizon_days: int = 90) -> Training:
    """Train both candidates on the older snapshots, keep the better on validation,
    calibrate it there and measure it against the hand weights on the same rows;
    the estimator kept is the winner refitted on every labelled snapshot.

    One thread: on a shared machine the trees' OpenMP threads spin against other
    work and run ten times slower than a single thread.
    """
    with threadpool_limits(limits=1):
        return _fit(data, horizon_days)


def _fit(data: Dataset, horizon_days: int) -> Training:
    snapshots = sorted(pd.unique(data.snapshot).tolist())
    train_s, val_s = split(snapshots, horizon_days)
    in_train = np.isin(data.snapshot, np.array(train_s, dtype=data.snapshot.dtype))
    in_val = np.isin(data.snapshot, np.array(val_s, dtype=data.snapshot.dtype))
    y = data.label.astype(int)
    result = Training(
        snapshots=snapshots,
        train_snapshots=train_s,
        validation_snapshots=val_s,
        rows=len(y),
        positives=int(y.sum()),
        train_positives=int(y[in_train].sum()),
        validation_positives=int(y[in_val].sum()),
    )
    if not train_s or not in_train.any() or not in_val.any():
        result.problem = "no_history"
        return result
    in_train = _capped(in_train)
    y_train, y_val = y[in_train], y[in_val]
    if y_train.min() == y_train.max() or y_val.min() == y_val.max():
        result.problem = "no_churners"
        return result
    x_train = _fit_matrix(data, in_train)
    x_val_frame = data.matrix[in_val]
    x_val = x_val_frame.to_numpy(dtype="float32")
    scores = {}
    fitted = {}
    for kind, classifier in candidates().items():
        classifier.fit(x_train, y_train)
        raw = classifier.predict_proba(x_val)[:, 1]
        scores[kind] = raw
        fitted[kind] = classifier
    aucs = {k: float(roc_auc_score(y_val, s)) for k, s in scores.items()}
    kind = _winner(aucs, int(y_val.sum()), int(len(y_val) - y_val.sum()))
    raw = scores[kind]
    slope, intercept = _platt(raw, y_val)
    estimator = ChurnEstimator(
        kind=kind,
        features=list(data.matrix.columns),
        classifier=fitted[kind],
        slope=slope,
        intercept=intercept,
    )
    probability = estimator.probability(x_val_frame)
    hand = data.hand[in_val].astype("float64")
    result.estimator = ChurnEstimator(
        kind=kind,
        features=estimator.features,
        classifier=_refit(kind, data, in_train | in_val),
        slope=slope,
        intercept=intercept,
    )
    result.metrics = {
        "kind": kind,
        "candidates": {k: round(v, 4) for k, v in aucs.items()},
        "model": measure(y_val, probability),
        "hand": measure(y_val, hand),
        "validation_rows": int(in_val.sum()),
        "train_rows": int(in_train.sum()),
        "base_rate": round(float(y_val.mean()), 4),
        "roc": {
            "model": roc_points(y_val, probability),
            "hand": roc_points(y_val, hand),
        },
        "calibration": calibration_bins(y_val, probability),
        "lift": lift_table(y_val, probability, hand),
        "importances": importances(estimator, x_val_frame, y_val),
    }
    return result


def _winner(aucs: dict, positives: int, negatives: int) -> str:
    """The logistic regression unless the trees beat it on validation by more than
    the AUC's standard error: on a branch's few hundred churners a small lead of
    the trees is mostly noise, and the regression carries over to later months
    better."""
    simple = aucs["logistic"]
    margin = auc_standard_error(simple, positives, negatives)
    return "boosting" if aucs["boosting"] > simple + margin else "logistic"


def _refit(kind: str, data: Dataset, rows: np.ndarray):
    """The winning kind fitted again on every labelled row (training and validation
    snapshots): the model that scores the branch learns from its latest months too.
    Its measured figures are the validated fit's; the calibration found on the
    validation period is kept (the same kind on more rows of the same branch)."""
    rows = _capped(rows)
    classifier = candidates()[kind]
    classifier.fit(_fit_matrix(data, rows), data.label[rows].astype(int))
    return classifier


def _capped(rows: np.ndarray) -> np.ndarray:
    """`rows`, or a uniform seeded sample of MAX_TRAIN_ROWS of them (same churn rate):
    beyond a few hundred thousand rows the fit gains little AUC for its time."""
    if rows.sum() <= MAX_TRAIN_ROWS:
        return rows
    keep = np.random.default_rng(0).choice(
        np.flatnonzero(rows), MAX_TRAIN_ROWS, replace=False
    )
    capped = np.zeros_like(rows)
    capped[keep] = True
    return capped


def _fit_matrix(data: Dataset, rows: np.ndarray) -> np.ndarray:
    """The inputs of `rows` to fit on. An input never known in them (no feedback at
    all, say) carries nothing to learn; the trees' binning needs one value, so it is
    0 there."""
    x = data.matrix[rows].to_numpy(dtype="float32", copy=True)
    x[:, np.isnan(x).all(axis=0)] = 0.0
    return x


def importances(
    estimator: ChurnEstimator, matrix: pd.DataFrame, y: np.ndarray, limit: int = 5_000
) -> list:
    """Permutation importance on (a sample of) the validation rows: the drop in ROC AUC
    when one input is shuffled, largest first."""
    values = matrix.to_numpy(dtype="float32")
    if len(values) > limit:
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(values), limit, replace=False))
        values, y = values[keep], y[keep]
    if y.min() == y.max():
        return []
    found = permutation_importance(
        estimator.classifier,
        values,
        y,
        scoring="roc_auc",
        n_repeats=2,
        random_state=0,
    )
    pairs = sorted(
        zip(estimator.features, found.importances_mean, strict=True),
        key=lambda p: -p[1],
    )
    return [
        {"feature": name, "importance": round(float(v), 4)}
        for name, v in pairs
        if not math.isnan(v)
    ]
