"""How an evaluation report looks: Markdown for people, and a PNG (pass@k / maj@k curves, per-level bars).

Figures are printed as percentages to 0.1 (``38.6``), never as raw floats; the coverage (which problems
have predictions) is stated near the top, since every figure counts a missing problem as unsolved.

Example:
    >>> from rlvr.eval import evaluate
    >>> report = evaluate("aime24", [{"idx": 0, "completion": "\\\\boxed{204}"}])
    >>> "| pass@k (%) | 3.3 |" in render_markdown(report)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rlvr.eval.evaluation import EvalReport


def percent(value: float) -> str:
    """A fraction as a percentage to 0.1, as the report prints it.

    Example:
        >>> percent(0.5233333333333341), percent(0.002), percent(1.0)
        ('52.3', '0.2', '100.0')
    """
    return f"{100 * value:.1f}"


def _cell(text: object, limit: int = 60) -> str:
    flat = " ".join(str(text).split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _k_table(pass_at: Mapping[int, float], maj_at: Mapping[int, float]) -> list[str]:
    ks = list(pass_at)
    return [
        "| k | " + " | ".join(str(k) for k in ks) + " |",
        "|---|" + "---|" * len(ks),
        "| pass@k (%) | " + " | ".join(percent(pass_at[k]) for k in ks) + " |",
        "| maj@k (%) | " + " | ".join(percent(maj_at[k]) for k in ks) + " |",
    ]


def _k_rule(report: EvalReport, top: int) -> str:
    if not report.coverage.with_predictions:
        return "No problem has predictions: every figure is 0."
    return f"k goes up to {top}, the fewest samples of a problem with predictions."


def _breakdown(name: str, groups: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not groups:
        return []
    first = next(iter(groups.values()))
    ks = list(first["pass_at_k"])
    top = ks[-1] if ks else None
    head = f"| {name} | problems | with predictions | samples | accuracy (%) |"
    rule = "|---|---|---|---|---|"
    if top is not None:
        head += f" pass@{top} (%) | maj@{top} (%) |"
        rule += "---|---|"
    lines = ["", f"### By {name}", "", head, rule]
    for key, group in groups.items():
        row = (
            f"| {_cell(key)} | {group['n_problems']:,} | {group['n_problems_evaluated']:,} "
            f"| {group['n_samples']:,} | {percent(group['accuracy'])} |"
        )
        if top is not None:
            row += f" {percent(group['pass_at_k'][top])} | {percent(group['maj_at_k'][top])} |"
        lines.append(row)
    return lines


def _listing(title: str, items: Sequence[str], limit: int = 20) -> list[str]:
    if not items:
        return []
    shown = ", ".join(f"`{_cell(item, 40)}`" for item in items[:limit])
    more = f" and {len(items) - limit} more (all in the JSON report)" if len(items) > limit else ""
    return ["", f"**{title} ({len(items)}):** {shown}{more}"]


def render_markdown(report: EvalReport) -> str:
    """The report as Markdown (what ``rlvr eval`` prints, or writes with ``--markdown``)."""
    ks = list(report.pass_at_k)
    lines = [
        f"## rlvr eval: {report.title}",
        "",
        f"`{report.benchmark}` ({report.source}): {report.n_problems:,} problems, {report.n_samples:,} "
        f"sample{'' if report.n_samples == 1 else 's'}, graded by {report.grader} "
        f"(fallback `{report.fallback}`) in {report.seconds:.1f} s.",
        "",
        f"**Coverage: {report.coverage.describe()}.**",
        "",
        f"**Accuracy: {percent(report.accuracy)} %** (the mean over all {report.n_problems:,} problems of "
        "each problem's share of correct samples)",
        "",
        *_k_table(report.pass_at_k, report.maj_at_k),
        "",
        "pass@k: unbiased estimator (Chen et al. 2021); maj@k: majority vote over answers grouped by rlvr "
        "equivalence, averaged over consecutive blocks of k samples. Every figure is a mean over all the "
        "problems, a problem without predictions counting as unsolved; pass@1 is the accuracy. "
        + _k_rule(report, ks[-1]),
        "",
        f"Samples without a single final answer (none found, or several different ones): "
        f"{report.no_answer:,}; unjudged (None, e.g. timeouts): "
        f"{report.unjudged:,}; predictions naming no problem: {len(report.unknown_predictions):,}.",
    ]
    if report.reasons:
        lines += ["", "| why a sample did not pass | samples |", "|---|---|"]
        lines += [f"| {_cell(reason)} | {count:,} |" for reason, count in list(report.reasons.items())[:8]]
    lines += _breakdown("level", report.by_level)
    lines += _breakdown("subject", report.by_subject)
    if report.most_missed:
        lines += [
            "",
            "### Most-missed problems",
            "",
            "| id | gold | correct | majority answer | most common wrong answers |",
            "|---|---|---|---|---|",
        ]
        for row in report.most_missed:
            wrong = ", ".join(f"`{_cell(a, 25)}` ×{n}" for a, n in row["wrong_answers"]) or "—"
            majority = f"`{_cell(row['majority_answer'], 30)}`" if row["majority_answer"] is not None else "—"
            lines.append(
                f"| `{_cell(row['id'], 40)}` | `{_cell(row['gold'], 30)}` "
                f"| {row['correct']}/{row['samples']} | {majority} | {wrong} |"
            )
    lines += _listing("Problems without predictions", report.missing_problems)
    unknown = [f"line {u['line']}: {u['reason']}" for u in report.unknown_predictions]
    lines += _listing("Predictions naming no problem", unknown)
    return "\n".join(lines) + "\n"


def render_plot(report: EvalReport, path: str | Path) -> None:
    """Write the report's figure to ``path`` (its format from the extension; PNG without one)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("the --plot figure needs matplotlib: pip install matplotlib") from exc
    groups = report.by_level or report.by_subject
    figure = Figure(figsize=(11 if groups else 6, 4), layout="constrained")
    FigureCanvasAgg(figure)
    curve = figure.add_subplot(1, 2 if groups else 1, 1)
    ks = [int(k) for k in report.pass_at_k]
    curve.plot(ks, [100 * v for v in report.pass_at_k.values()], marker="o", label="pass@k")
    curve.plot(ks, [100 * v for v in report.maj_at_k.values()], marker="s", label="maj@k")
    if len(ks) > 1:
        curve.set_xscale("log", base=2)
    curve.set_xticks(ks, [str(k) for k in ks])
    curve.set_xlabel("k (samples)")
    curve.set_ylabel("% of problems")
    curve.set_ylim(0, 100)
    curve.grid(alpha=0.3)
    curve.legend()
    curve.set_title(
        f"{report.title}: {report.n_samples:,} samples on "
        f"{report.coverage.with_predictions:,}/{report.n_problems:,} problems"
    )
    if groups:
        bars = figure.add_subplot(1, 2, 2)
        names = list(groups)
        bars.bar(range(len(names)), [100 * g["accuracy"] for g in groups.values()])
        label = "level" if report.by_level else "subject"
        bars.set_xticks(
            range(len(names)),
            names,
            rotation=0 if report.by_level else 30,
            ha="right" if label == "subject" else "center",
        )
        bars.set_xlabel(label)
        bars.set_ylabel("accuracy (%)")
        bars.set_ylim(0, 100)
        bars.set_title(f"accuracy by {label}")
        bars.grid(axis="y", alpha=0.3)
    figure.savefig(str(path), dpi=120)
