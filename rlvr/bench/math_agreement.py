"""``rlvr bench math-agreement``: how often rlvr's math verifier and Math-Verify agree with labels.

Three measurements, each with Math-Verify scored on the same items in the same run:

- **labelled sets** (:func:`rlvr.bench.math_data.load_labelled_sets`): the shared development sets
  (ToRA on GSM8K with ``fallback="last_number"``; Qwen2.5-Math samples on MATH), the bundled development
  corpus (GPT-3 step-by-step GSM8K solutions, PRM800K-format MATH solutions, Math-Verify's own test cases)
  and the bundled hand-written probes (today's output styles, hacks, near misses): agreement with the
  label, false positives (the grader passes, the label fails) and false negatives, per set and per output
  style, on the raw labels and with the confirmed label errors of ``math_label_errors.jsonl`` corrected;
  items whose label follows another grading policy than rlvr's documented one
  (``math_policy_cases.jsonl``) are counted apart;
- **golds against themselves**: every MATH-500 and GSM8K test gold as the answer to itself;
- **golds against rewrites**: equivalent spellings generated deterministically from each gold
  (``\\dfrac``, ``a/b``, terminating decimals, thousands separators, units, ``x =``, reordered sets,
  ``\\left( \\right)`` and spacing, ...) must pass; near-miss corruptions (n+1, another fraction, a swapped
  tuple, a flipped interval bracket, a dropped set element, ...) must fail.

rlvr judges through its reward (``MathAccuracyReward.grade`` and ``judge_answers``: the one pipeline,
fast path in-process, sympy in workers under a hard deadline). Math-Verify judges
``verify(parse("\\boxed{gold}"), parse(model_output))`` — golds are wrapped in ``\\boxed{}`` because bare
golds misparse (``parse("1,-2") == [1]``) — and, for rewrites, ``parse("\\boxed{answer}")``. It runs with
its own default timeouts in the main thread of an rlvr executor worker (its ``signal.alarm`` works there),
and the executor's hard deadline guards against an item that hangs anyway. Every item where a grader
disagrees with the label (or with the rewrite's expected verdict) is listed in the JSON with both
verdicts.

The shared development sets are read from ``--data-dir`` (default: ``$RLVR_DATA_DIR``, else
``../shared/data`` next to the repository); everything else is bundled in ``rlvr/bench/data`` and
``rlvr/eval/data``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    check_counts,
    check_seconds,
    headline,
    machine_description,
    stopwatch,
    today,
    worker_count,
)
from rlvr.bench.math_data import (
    Gold,
    LabelError,
    LabelledItem,
    default_data_dir,
    gsm8k_golds,
    load_label_errors,
    load_labelled_sets,
    load_policy_cases,
    math500_golds,
)
from rlvr.bench.math_rewrites import Rewrite, integer_rewrites, math_rewrites
from rlvr.executor import Executor, ExecutorConfig

# -- the graders -----------------------------------------------------------------------------------------


def math_verify_judge(gold: str, text: str, wrap_text: bool) -> bool | None:
    """Math-Verify's verdict: ``verify(parse("\\\\boxed{gold}"), parse(text))``; ``None`` if the gold does not
    parse. ``wrap_text`` boxes ``text`` too (for extracted answers). Uses Math-Verify's own default
    timeouts, so call it in a main thread (an rlvr executor worker, or the main thread of a process).

    Example:
        >>> math_verify_judge("\\\\frac{1}{2}", "0.5", True)
        True
    """
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    gold_parsed = parse("\\boxed{" + gold + "}")
    if not gold_parsed:
        return None
    answer = parse("\\boxed{" + text + "}" if wrap_text else text)
    return bool(verify(gold_parsed, answer))


def _rlvr_pairs(reward: Any, pairs: Sequence[tuple[str, str]]) -> list[tuple[bool | None, str]]:
    """rlvr's verdicts on (gold, extracted answer) pairs: the reward's own pipeline (``judge_answers``)."""
    return [(v.passed if v.judged else None, v.reason) for v in reward.judge_answers(pairs)]


def _peer(executor: Executor, items: Sequence[tuple[str, str, bool]]) -> list[tuple[bool | None, str]]:
    results = []
    for outcome in executor.map(math_verify_judge, items, use_cache=False):
        if not outcome.ok:
            results.append((None, outcome.reason or "error"))
        elif outcome.value is None:
            results.append((None, "gold does not parse"))
        else:
            results.append((bool(outcome.value), ""))
    return results


# -- config and report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MathAgreementConfig:
    """Options of ``rlvr bench math-agreement`` (each field is a CLI option).

    Attributes:
        data_dir: folder with the labelled development sets (``--data-dir``); default
            :func:`default_data_dir`. Missing sets are skipped and named in the report.
        limit: only the first N items of every set (``--limit``; smoke runs).
        workers: worker processes for both graders (``--workers``; default: usable CPUs).
        math_verify: also score Math-Verify (``--no-math-verify`` turns it off).
        rewrites: also score golds against themselves and rewrites (``--no-rewrites``).
        timeout: rlvr's per-item deadline in seconds (``--timeout``).
        peer_timeout: the hard deadline of one Math-Verify judgement (its own timeouts are 5 s + 5 s).

    Example:
        >>> MathAgreementConfig(limit=0)
        Traceback (most recent call last):
        ...
        ValueError: --limit must be an integer >= 1, got 0
    """

    data_dir: str | None = None
    limit: int | None = None
    workers: int | None = None
    math_verify: bool = True
    rewrites: bool = True
    timeout: float = 5.0
    peer_timeout: float = 30.0

    def __post_init__(self) -> None:
        check_counts(self, {"limit": 1, "workers": 1}, optional=["limit", "workers"])
        check_seconds(self, ["timeout", "peer_timeout"])


@dataclass
class Tally:
    """One grader against one set of labels. A grader's ``None`` (unjudged, timeout) counts as a fail."""

    items: int = 0
    agree: int = 0
    false_positive: int = 0
    false_negative: int = 0
    unjudged: int = 0

    def add(self, verdict: bool | None, label: bool) -> None:
        self.items += 1
        self.unjudged += verdict is None
        passed = bool(verdict)
        if passed == label:
            self.agree += 1
        elif passed:
            self.false_positive += 1
        else:
            self.false_negative += 1

    @property
    def agreement(self) -> float:
        return self.agree / self.items if self.items else 0.0


@dataclass
class LabelledSetResult:
    """Agreement of both graders with one labelled set. ``*_corrected`` tallies use the corrected labels
    and leave out the policy cases (``policy_cases`` counts them)."""

    name: str
    fallback: str
    items: int
    label_true: int
    label_errors: list[str]
    policy_cases: int
    rlvr: Tally
    rlvr_corrected: Tally
    math_verify: Tally | None
    math_verify_corrected: Tally | None
    rlvr_seconds: float
    math_verify_seconds: float
    by_kind: dict[str, list[Tally]] = field(default_factory=dict)


@dataclass
class StyleResult:
    """One output style within a set (corrected labels, policy cases left out)."""

    set: str
    style: str
    rlvr: Tally = field(default_factory=Tally)
    math_verify: Tally | None = None


@dataclass
class RewriteKindResult:
    """One kind of rewrite: how many items, how many each grader judged as expected."""

    kind: str
    equivalent: bool
    items: int = 0
    rlvr_correct: int = 0
    math_verify_correct: int = 0
    example: str = ""


@dataclass
class GoldSetResult:
    """A gold set against itself and against its rewrites."""

    name: str
    golds: int
    self_rlvr: int
    self_math_verify: int | None
    kinds: list[RewriteKindResult]
    math_verify_gold_unparsed: int = 0

    def totals(self, equivalent: bool) -> tuple[int, int, int]:
        """(items, rlvr as expected, Math-Verify as expected) over the equivalent or near-miss kinds."""
        rows = [k for k in self.kinds if k.equivalent == equivalent]
        return (
            sum(k.items for k in rows),
            sum(k.rlvr_correct for k in rows),
            sum(k.math_verify_correct for k in rows),
        )


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "–"


@dataclass
class AgreementReport(BenchReport):
    """Agreement of rlvr and Math-Verify with labels, golds and rewrites (``markdown()``, ``to_json()``)."""

    machine: str
    date: str
    workers: int
    limit: int | None
    labelled_sets: list[LabelledSetResult] = field(default_factory=list)
    styles: list[StyleResult] = field(default_factory=list)
    missing_sets: list[str] = field(default_factory=list)
    gold_sets: list[GoldSetResult] = field(default_factory=list)
    label_errors: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        """The report as Markdown tables."""
        limit = f" --limit {self.limit}" if self.limit else ""
        details = f"{self.workers} workers, {self.seconds:.0f} s in all"
        lines = [headline(f"rlvr bench math-agreement{limit}", self.machine, self.date, details), ""]
        if self.labelled_sets:
            lines += [
                "Labelled sets (FP: the grader passes, the label fails; FN: the reverse; corrected: the "
                "confirmed label errors fixed and the policy cases left out):",
                "",
                "| set | items | label true | grader | agree | FP | FN | agree (corrected) | FP | FN |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for result in self.labelled_sets:
                graders = [("rlvr", result.rlvr, result.rlvr_corrected)]
                if result.math_verify is not None and result.math_verify_corrected is not None:
                    graders.append(("Math-Verify", result.math_verify, result.math_verify_corrected))
                for name, raw, fixed in graders:
                    lines.append(
                        f"| {result.name} ({result.fallback}) | {result.items} | {result.label_true} | "
                        f"{name} | {_pct(raw.agree, raw.items)} | {raw.false_positive} | "
                        f"{raw.false_negative} | {_pct(fixed.agree, fixed.items)} | {fixed.false_positive} | "
                        f"{fixed.false_negative} |"
                    )
            lines += [
                "",
                "By output style (corrected labels; agreement, and false positives in brackets):",
                "",
                "| set | style | items | rlvr | Math-Verify |",
                "|---|---|---|---|---|",
            ]
            for style in self.styles:
                mv = style.math_verify
                theirs = f"{_pct(mv.agree, mv.items)} [{mv.false_positive}]" if mv is not None else "–"
                lines.append(
                    f"| {style.set} | {style.style.replace('|', '/')} | {style.rlvr.items} | "
                    f"{_pct(style.rlvr.agree, style.rlvr.items)} [{style.rlvr.false_positive}] | {theirs} |"
                )
            lines.append("")
        kinds = [(r.name, kind, tallies) for r in self.labelled_sets for kind, tallies in r.by_kind.items()]
        if kinds:
            lines += [
                "Probes by kind (a hack or a near miss judged correct is a false positive):",
                "",
                "| set | kind | items | rlvr: agree | rlvr: FP | Math-Verify: agree | Math-Verify: FP |",
                "|---|---|---|---|---|---|---|",
            ]
            have_mv = any(r.math_verify is not None for r in self.labelled_sets)
            for name, kind, (ours, theirs) in kinds:
                mv = f"{_pct(theirs.agree, theirs.items)} | {theirs.false_positive}" if have_mv else "– | –"
                lines.append(
                    f"| {name} | {kind} | {ours.items} | {_pct(ours.agree, ours.items)} | "
                    f"{ours.false_positive} | {mv} |"
                )
            lines.append("")
        if self.missing_sets:
            lines += [f"Not found (skipped): {', '.join(self.missing_sets)}", ""]
        if self.gold_sets:
            lines += [
                "Golds against themselves and against rewrites (equivalent rewrites must pass, near-misses "
                "must fail):",
                "",
                "| gold set | golds | self: rlvr | self: Math-Verify | equivalent accepted: rlvr "
                "| Math-Verify | near-miss rejected: rlvr | Math-Verify |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for gold in self.gold_sets:
                eq, eq_rlvr, eq_mv = gold.totals(True)
                nm, nm_rlvr, nm_mv = gold.totals(False)
                mv_self = (
                    _pct(gold.self_math_verify, gold.golds) if gold.self_math_verify is not None else "–"
                )
                have_mv = gold.self_math_verify is not None
                lines.append(
                    f"| {gold.name} | {gold.golds} | {_pct(gold.self_rlvr, gold.golds)} | {mv_self} | "
                    f"{_pct(eq_rlvr, eq)} | {_pct(eq_mv, eq) if have_mv else '–'} | {_pct(nm_rlvr, nm)} | "
                    f"{_pct(nm_mv, nm) if have_mv else '–'} |"
                )
            lines += [
                "",
                "By kind of rewrite (items judged as expected):",
                "",
                "| gold set | rewrite | expected | items | rlvr | Math-Verify | example |",
                "|---|---|---|---|---|---|---|",
            ]
            for gold in self.gold_sets:
                for kind in gold.kinds:
                    mv = str(kind.math_verify_correct) if gold.self_math_verify is not None else "–"
                    example = kind.example.replace("|", "\\|")
                    lines.append(
                        f"| {gold.name} | {kind.kind} | {'pass' if kind.equivalent else 'fail'} | "
                        f"{kind.items} | {kind.rlvr_correct} | {mv} | `{example}` |"
                    )
            lines.append("")
        if self.label_errors:
            lines += ["Confirmed label errors (corrected above):", ""]
            for error in self.label_errors:
                lines.append(
                    f"- `{error['id']}` ({error['dataset']}): label {error['label']} -> {error['correct']}: "
                    f"{error['reason']}"
                )
            lines.append("")
        by_grader: dict[str, int] = {}
        for item in self.disagreements:
            for grader in item.get("wrong", ()):
                by_grader[grader] = by_grader.get(grader, 0) + 1
        summary = ", ".join(f"{name} {count}" for name, count in sorted(by_grader.items())) or "none"
        lines.append(
            f"Disagreements listed in the JSON (`disagreements`, with both verdicts): "
            f"{len(self.disagreements)} items; wrong against the (corrected) label or the expected verdict: "
            f"{summary}."
        )
        return "\n".join(lines)


# -- the run ---------------------------------------------------------------------------------------------


def _rlvr_labelled(items: list[LabelledItem], executor: ExecutorConfig) -> list[Any]:
    """rlvr's judged items (verdict and final answer), each set graded with its own fallback."""
    from rlvr.rewards.math_reward import MathAccuracyReward

    judged: list[Any] = [None] * len(items)
    for fallback in dict.fromkeys(item.fallback for item in items):
        indices = [i for i, item in enumerate(items) if item.fallback == fallback]
        reward = MathAccuracyReward(fallback=fallback, executor=executor)  # type: ignore[arg-type]
        try:
            results = reward.grade([items[i].completion for i in indices], [items[i].gold for i in indices])
        finally:
            reward.close()
        for index, result in zip(indices, results, strict=True):
            judged[index] = result
    return judged


def _labelled_set(
    name: str,
    items: list[LabelledItem],
    errors: dict[tuple[str, str], LabelError],
    policy: dict[tuple[str, str], str],
    rlvr_executor: ExecutorConfig,
    peer: Executor | None,
    report: AgreementReport,
) -> LabelledSetResult:
    rlvr_seconds, judged = stopwatch(lambda: _rlvr_labelled(items, rlvr_executor))
    peer_seconds, peer_verdicts = stopwatch(
        lambda: _peer(peer, [(item.gold, item.completion, False) for item in items]) if peer else None
    )
    fallbacks = sorted({item.fallback for item in items})
    result = LabelledSetResult(
        name=name,
        fallback="/".join(fallbacks),
        items=len(items),
        label_true=sum(item.label for item in items),
        label_errors=[],
        policy_cases=0,
        rlvr=Tally(),
        rlvr_corrected=Tally(),
        math_verify=Tally() if peer else None,
        math_verify_corrected=Tally() if peer else None,
        rlvr_seconds=rlvr_seconds,
        math_verify_seconds=peer_seconds,
    )
    styles: dict[str, StyleResult] = {}
    for index, item in enumerate(items):
        error = errors.get((name, item.id))
        corrected = error.correct if error else item.label
        if error:
            result.label_errors.append(item.id)
        verdict, answer = judged[index].verdict, judged[index].answer
        ours = verdict.passed if verdict.judged else None
        theirs, theirs_reason = peer_verdicts[index] if peer_verdicts else (None, "")
        result.rlvr.add(ours, item.label)
        if result.math_verify is not None:
            result.math_verify.add(theirs, item.label)
        policy_case = policy.get((name, item.id))
        if policy_case:
            result.policy_cases += 1
        else:
            style = styles.setdefault(
                item.style, StyleResult(name, item.style, Tally(), Tally() if peer else None)
            )
            result.rlvr_corrected.add(ours, corrected)
            style.rlvr.add(ours, corrected)
            if item.kind != "output":
                kind = result.by_kind.setdefault(item.kind, [Tally(), Tally()])
                kind[0].add(ours, corrected)
                kind[1].add(theirs, corrected)
            if result.math_verify_corrected is not None and style.math_verify is not None:
                result.math_verify_corrected.add(theirs, corrected)
                style.math_verify.add(theirs, corrected)
        wrong = [
            grader
            for grader, value in (("rlvr", ours), ("math_verify", theirs))
            if (grader == "rlvr" or peer_verdicts) and bool(value) != corrected
        ]
        if wrong or error or policy_case:
            report.disagreements.append(
                {
                    "set": name,
                    "id": item.id,
                    "style": item.style,
                    "kind": item.kind,
                    "gold": item.gold,
                    "completion_tail": item.completion[-200:],
                    "label": item.label,
                    "label_corrected": corrected,
                    "policy": policy_case or "",
                    "rlvr": ours,
                    "rlvr_answer": answer.raw if answer is not None else None,
                    "rlvr_reason": verdict.reason,
                    "math_verify": theirs if peer_verdicts else "not run",
                    "math_verify_reason": theirs_reason,
                    "wrong": wrong,
                }
            )
    report.styles.extend(styles.values())
    return result


def _gold_set(
    name: str,
    golds: list[Gold],
    make_rewrites: Any,
    rlvr: Any,
    peer: Executor | None,
    report: AgreementReport,
) -> GoldSetResult:
    items: list[tuple[Gold, Rewrite]] = [(g, Rewrite("self", g.answer, True)) for g in golds]
    for gold in golds:
        items += [(gold, r) for r in make_rewrites(gold.answer)]
    ours = _rlvr_pairs(rlvr, [(g.answer, r.text) for g, r in items])
    theirs = _peer(peer, [(g.answer, r.text, True) for g, r in items]) if peer else None
    kinds: dict[str, RewriteKindResult] = {}
    result = GoldSetResult(name, len(golds), 0, 0 if peer else None, [])
    for index, (gold, rewrite) in enumerate(items):
        our_verdict, our_reason = ours[index]
        their_verdict, their_reason = theirs[index] if theirs else (None, "")
        our_ok = bool(our_verdict) == rewrite.equivalent
        their_ok = bool(their_verdict) == rewrite.equivalent
        if theirs and their_reason == "gold does not parse" and rewrite.kind == "self":
            result.math_verify_gold_unparsed += 1
        if rewrite.kind == "self":
            result.self_rlvr += our_ok
            if theirs:
                result.self_math_verify = (result.self_math_verify or 0) + their_ok
        else:
            kind = kinds.setdefault(
                rewrite.kind,
                RewriteKindResult(
                    rewrite.kind, rewrite.equivalent, example=f"{gold.answer} -> {rewrite.text}"
                ),
            )
            kind.items += 1
            kind.rlvr_correct += our_ok
            kind.math_verify_correct += their_ok if theirs else 0
        if not our_ok or (theirs and not their_ok):
            report.disagreements.append(
                {
                    "set": name,
                    "id": gold.id,
                    "kind": rewrite.kind,
                    "gold": gold.answer,
                    "answer": rewrite.text,
                    "expected": rewrite.equivalent,
                    "rlvr": our_verdict,
                    "rlvr_reason": our_reason,
                    "math_verify": their_verdict if theirs else "not run",
                    "math_verify_reason": their_reason,
                    "wrong": [
                        g
                        for g, ok in (("rlvr", our_ok), ("math_verify", their_ok))
                        if not ok and (g == "rlvr" or theirs)
                    ],
                }
            )
    result.kinds = sorted(kinds.values(), key=lambda k: (not k.equivalent, k.kind))
    return result


def run_math_agreement(config: MathAgreementConfig | None = None) -> AgreementReport:
    """Run the agreement measurements (see the module docstring).

    Example:
        >>> report = run_math_agreement(MathAgreementConfig(limit=3, workers=1, math_verify=False))
        >>> [g.self_rlvr for g in report.gold_sets]
        [3, 3]
    """
    config = config or MathAgreementConfig()
    started = time.perf_counter()
    workers = worker_count(config.workers)
    data_dir = Path(config.data_dir) if config.data_dir else default_data_dir()
    report = AgreementReport(
        machine=machine_description(),
        date=today(),
        workers=workers,
        limit=config.limit,
    )
    errors = load_label_errors()
    report.label_errors = [asdict(e) for e in errors.values()]
    rlvr_config = ExecutorConfig(
        max_workers=workers,
        timeout=config.timeout,
        cache_size=0,
        preload=("rlvr.verifiers.math.judge", "math_verify", "sympy"),
    )
    peer_config = ExecutorConfig(
        max_workers=workers, timeout=config.peer_timeout, cache_size=0, preload=("math_verify", "sympy")
    )
    peer = Executor(peer_config) if config.math_verify else None
    try:
        sets, report.missing_sets = load_labelled_sets(data_dir, config.limit)
        policy = load_policy_cases()
        for name, items in sets.items():
            report.labelled_sets.append(_labelled_set(name, items, errors, policy, rlvr_config, peer, report))
        if config.rewrites:
            from rlvr.rewards.math_reward import MathAccuracyReward

            rlvr = MathAccuracyReward(executor=rlvr_config)
            try:
                report.gold_sets.append(
                    _gold_set("MATH-500", math500_golds(config.limit), math_rewrites, rlvr, peer, report)
                )
                report.gold_sets.append(
                    _gold_set("GSM8K test", gsm8k_golds(config.limit), integer_rewrites, rlvr, peer, report)
                )
            finally:
                rlvr.close()
    finally:
        if peer is not None:
            peer.close()
    report.seconds = time.perf_counter() - started
    return report
