"""``grpo_loss`` against a plain float64 reference written from the papers' formulas, values and gradients.

The reference walks completion by completion and token by token (Python loops, float64 scalars), exactly
as the objectives are printed:

- DeepSeekMath (Shao et al. 2024, eq. 3): ``1/G sum_i 1/|o_i| sum_t [min(r A, clip(r) A) - beta KL]`` with
  the k3 estimator ``pi_ref/pi - log(pi_ref/pi) - 1`` (eq. 4);
- DAPO (Yu et al. 2025, eq. 8): ``1/sum_i |o_i| sum_i sum_t``, with decoupled ``epsilon_low`` /
  ``epsilon_high``;
- Dr. GRPO (Liu et al. 2025): ``1/(G L) sum_i sum_t`` with a constant ``L``;
- GSPO (Zheng et al. 2025, eq. 7): ``s_i = (pi(y_i)/pi_old(y_i))^(1/|y_i|)`` in place of the token ratio;
- LUSPO (Liu et al. 2026): GSPO's per-sequence term times ``|y_i|``: ``1/G sum_i |y_i| f_i``;
- dual clip (Ye et al. 2020): for ``A < 0``, ``max(min(r A, clip(r) A), c A)``;
- INTELLECT-2 two-sided clipping: ``min(min(r, delta) A, clip(r) A)``;
- CISPO (MiniMax-M1, in ScaleRL's form): ``sg(min(r, eps_max)) A log pi``;
- SAPO (Gao et al. 2025): ``f(r) A`` with ``f(r) = sigmoid(tau (r - 1)) 4 / tau``, ``tau_pos`` for ``A > 0``;
- VESPO (Shen et al. 2026): ``sg(phi(W)) A log pi(y)`` with ``W = pi(y) / mu(y)`` (the product of token
  ratios) and ``phi(W) = W^k exp(lambda (1 - W))``, ``(k, lambda)`` by the sign of ``A``;
- Beyond the 80/20 rule (Wang et al. 2025): the policy term only for tokens with ``H >= tau_rho``, the
  ``(1 - rho)`` quantile of the batch's entropies;
- DeepSeek-V3.2: off-policy sequence mask ``M = 0`` if ``A < 0`` and ``1/|o| sum_t log(mu/pi) > delta``
  (eq. 9), and the unbiased KL ``(pi/pi_old) k3`` (eq. 8);
- truncated / masked importance sampling for the sampler mismatch: ``rho = pi_old / mu`` per token or per
  sequence (``prod_t``), ``min(max(rho, C_min), C_max)`` or ``rho 1[C_min <= rho <= C_max]``;
- Skywork-OR1 entropy bonus: ``- alpha H`` with ``H`` the mean token entropy; adaptive ``alpha``.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from rlvr.integrations.loss import LossOptions, grpo_loss  # noqa: E402
from rlvr.integrations.loss_terms import (  # noqa: E402
    applied_entropy_coef,
    entropy_threshold,
    next_entropy_coef,
    sampler_weights,
)

B, T = 5, 7
KL_ESTIMATORS = ("k1", "k2", "k3")
DEFAULTS: dict[str, Any] = {
    "beta": 0.04,
    "epsilon_low": 0.2,
    "epsilon_high": 0.2,
    "dual_clip": None,
    "kl_estimator": "k3",
    "aggregation": "seq-mean-token-mean",
    "importance_level": "token",
    "max_length": None,
    "objective": "clip",
    "delta": None,
    "cispo_max": 5.0,
    "sapo_temperature_pos": 1.0,
    "sapo_temperature_neg": 1.05,
    "vespo_k_pos": 2.0,
    "vespo_lambda_pos": 3.0,
    "vespo_k_neg": 3.0,
    "vespo_lambda_neg": 2.0,
    "bias_corrected_kl": False,
    "top_entropy_quantile": 1.0,
    "entropy_coef": 0.0,
    "off_policy_threshold": None,
    "sampler_correction": None,
    "sampler_clip_min": None,
    "sampler_clip_max": 3.0,
}


def quantile(values: list[float], q: float) -> float:
    """The q-quantile with linear interpolation between the order statistics (Hyndman & Fan type 7)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


def reference(
    logps: torch.Tensor,
    old: torch.Tensor,
    adv: torch.Tensor,
    mask: torch.Tensor,
    ref: torch.Tensor | None,
    *,
    entropies: torch.Tensor | None = None,
    sampling: torch.Tensor | None = None,
    token_normalizer: float | None = None,
    **options: Any,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The objective as printed in the papers, one completion and one token at a time, in float64."""
    o = DEFAULTS | options
    rows, cols = logps.shape
    seqs = [[t for t in range(cols) if mask[i, t]] for i in range(rows)]
    n_tokens = sum(len(tokens) for tokens in seqs)

    def advantage(i: int, t: int) -> torch.Tensor:
        return adv[i] if adv.dim() == 1 else adv[i, t]

    def rho(i: int, t: int) -> float:  # pi_old / mu of one token; no sampler log-prob: no correction
        if sampling is None or math.isnan(float(sampling[i, t])):
            return 1.0
        return math.exp(float(old[i, t]) - float(sampling[i, t]))

    def bound(w: float) -> float:
        low, high = o["sampler_clip_min"], o["sampler_clip_max"]
        if o["sampler_correction"].endswith("truncate"):
            w = w if low is None else max(w, low)
            return w if high is None else min(w, high)
        inside = (low is None or w >= low) and (high is None or w <= high)
        return w if inside else 0.0

    tau = None
    if o["top_entropy_quantile"] < 1:
        assert entropies is not None
        flat = [float(entropies[i, t].detach()) for i, tokens in enumerate(seqs) for t in tokens]
        tau = quantile(flat, 1 - o["top_entropy_quantile"]) if flat else math.inf

    per_sequence: list[torch.Tensor] = []
    everything = torch.zeros((), dtype=torch.float64)
    counts = {"low": 0, "high": 0, "dual": 0, "delta": 0, "cispo": 0, "off": 0, "kept": 0}
    ratios: list[float] = []
    kls: list[float] = []
    phis: list[float] = []
    bonus_sum = torch.zeros((), dtype=torch.float64)
    bonus_count = 0
    for i, tokens in enumerate(seqs):
        seq_sum = torch.zeros((), dtype=torch.float64)
        if o["importance_level"] == "sequence" and tokens:
            seq_ratio = torch.exp(sum(logps[i, t] - old[i, t] for t in tokens) / len(tokens))
        if o["objective"] == "vespo" and tokens:
            w_seq = torch.exp(sum(logps[i, t] - old[i, t] for t in tokens)).detach()  # pi(y) / pi_old(y)
            if o["sampler_correction"] is not None:  # times pi_old(y) / mu(y), token by token
                w_seq = w_seq * math.prod(bound(rho(i, t)) for t in tokens)
        mu = sampling if sampling is not None else old
        gaps = [float(mu[i, t]) - float(logps[i, t].detach()) for t in tokens]
        mean_gap = sum(0.0 if math.isnan(g) else g for g in gaps) / max(len(tokens), 1)
        for t in tokens:
            r = torch.exp(logps[i, t] - old[i, t]) if o["importance_level"] == "token" else seq_ratio
            a = advantage(i, t)
            if o["objective"] == "clip":
                capped = r if o["delta"] is None else torch.clamp(r, max=o["delta"])
                clipped = torch.clamp(r, 1 - o["epsilon_low"], 1 + o["epsilon_high"])
                objective = min(capped * a, clipped * a)
                if o["dual_clip"] is not None and a < 0:
                    counts["dual"] += int(bool(o["dual_clip"] * a > objective))
                    objective = max(objective, o["dual_clip"] * a)
                if o["delta"] is not None and r > o["delta"]:  # did the cap change min(r A, clip(r) A)?
                    changed = min(capped * a, clipped * a) != min(r * a, clipped * a)
                    counts["delta"] += int(bool(changed))
                counts["low"] += int(bool(capped < 1 - o["epsilon_low"]) and bool(a < 0))
                counts["high"] += int(bool(capped > 1 + o["epsilon_high"]) and bool(a > 0))
                term = -objective
            elif o["objective"] == "cispo":
                weight = min(
                    float(r.detach()), o["cispo_max"]
                )  # a plain float: no gradient through the weight
                counts["cispo"] += int(float(r.detach()) > o["cispo_max"] and bool(a > 0))
                term = -weight * a * logps[i, t]
            elif o["objective"] == "sapo":
                temp = o["sapo_temperature_pos"] if a > 0 else o["sapo_temperature_neg"]
                term = -sigmoid(temp * (r - 1)) * 4 / temp * a
            else:
                k, lam = (
                    (o["vespo_k_pos"], o["vespo_lambda_pos"])
                    if a >= 0
                    else (o["vespo_k_neg"], o["vespo_lambda_neg"])
                )
                phi = float(w_seq**k * torch.exp(lam * (1 - w_seq)))
                phis.append(phi)
                term = -phi * a * logps[i, t]
            if o["off_policy_threshold"] is not None and a < 0 and mean_gap > o["off_policy_threshold"]:
                term = term * 0
                counts["off"] += 1
            kept = tau is None or float(entropies[i, t].detach()) >= tau
            if not kept:
                term = term * 0
            counts["kept"] += int(kept)
            if o["sampler_correction"] is not None and o["objective"] != "vespo":
                if o["sampler_correction"].startswith("token"):
                    term = term * bound(rho(i, t))
                else:
                    term = term * bound(math.prod(rho(i, u) for u in tokens))
            if ref is not None and o["beta"] != 0:
                if o["kl_estimator"] == "k1":
                    k_value = logps[i, t] - ref[i, t]
                elif o["kl_estimator"] == "k2":
                    k_value = (logps[i, t] - ref[i, t]) ** 2 / 2
                else:
                    quotient = torch.exp(ref[i, t] - logps[i, t])  # pi_ref / pi_theta
                    k_value = quotient - torch.log(quotient) - 1
                if o["bias_corrected_kl"]:
                    k_value = r * k_value
                term = term + o["beta"] * k_value
                kls.append(float(k_value.detach()))
            if kept and o["entropy_coef"] != 0:
                bonus_sum = bonus_sum + entropies[i, t]
                bonus_count += 1
            ratios.append(float(r.detach()))
            seq_sum = seq_sum + term
        everything = everything + seq_sum
        per_sequence.append(seq_sum / len(tokens) if tokens else seq_sum)
    agg = o["aggregation"]
    if agg == "seq-mean-token-mean":
        loss = sum(per_sequence) / rows
    elif agg == "token-mean":
        loss = everything / (token_normalizer or max(n_tokens, 1))
    elif agg == "seq-mean-token-sum":
        loss = everything / rows
    else:
        loss = everything / (rows * (o["max_length"] or cols))
    if o["entropy_coef"] != 0:
        loss = loss - o["entropy_coef"] * bonus_sum / max(bonus_count, 1)
    stats = {"ratio/mean": sum(ratios) / len(ratios), "ratio/min": min(ratios), "ratio/max": max(ratios)}
    share = {name: value / max(n_tokens, 1) for name, value in counts.items()}
    if o["objective"] == "clip":
        stats |= {f"clip_ratio/{k}_mean": share[k] for k in ("low", "high", "dual")}
        if o["delta"] is not None:
            stats["clip_ratio/delta_mean"] = share["delta"]
    if o["objective"] == "cispo":
        stats["cispo_clip_ratio"] = share["cispo"]
    if o["off_policy_threshold"] is not None:
        stats["off_policy/masked_mean"] = share["off"]
    if tau is not None:
        stats["entropy_mask/kept_mean"] = share["kept"]
    if kls:
        stats["kl"] = sum(kls) / len(kls)
    return loss, stats


def random_inputs(
    seed: int, *, per_token_adv: bool, rows: int = B, cols: int = T, sampler_nans: bool = True
) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    logps = -3 * torch.rand(rows, cols, generator=gen, dtype=torch.float64)
    old = logps + 0.4 * torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    ref = logps + 0.5 * torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    sampling = old + 0.3 * torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    entropies = 3 * torch.rand(rows, cols, generator=gen, dtype=torch.float64)
    lengths = torch.randint(1, cols + 1, (rows,), generator=gen)
    lengths[0] = cols
    mask = (torch.arange(cols)[None, :] < lengths[:, None]).to(torch.int64)
    if sampler_nans:
        sampling[0, 1] = math.nan  # a token the sampler could not score
    sampling[mask == 0] = 0.0  # TRL pads the sampler's log-probs with 0
    shape = (rows, cols) if per_token_adv else (rows,)
    adv = torch.randn(*shape, generator=gen, dtype=torch.float64)
    return {
        "logps": logps,
        "old": old,
        "ref": ref,
        "sampling": sampling,
        "entropies": entropies,
        "mask": mask,
        "adv": adv,
    }


def compare(
    data: dict[str, torch.Tensor],
    *,
    ref: bool = True,
    sampling: bool = False,
    token_normalizer: float | None = None,
    **options: Any,
) -> dict[str, torch.Tensor]:
    """Run ``grpo_loss`` and the reference on the same float64 inputs; assert equal values, gradients (with
    respect to the log-probs and the entropies) and metrics. Returns ``grpo_loss``'s metrics."""
    ref_logps = data["ref"] if ref else None
    sampling_logps = data["sampling"] if sampling else None
    ours_logps = data["logps"].clone().requires_grad_(True)
    ours_entropies = data["entropies"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(
        ours_logps,
        data["old"],
        data["adv"],
        data["mask"],
        ref_logps=ref_logps,
        entropies=ours_entropies,
        sampling_logps=sampling_logps,
        token_normalizer=token_normalizer,
        **options,
    )
    loss.backward()
    theirs_logps = data["logps"].clone().requires_grad_(True)
    theirs_entropies = data["entropies"].clone().requires_grad_(True)
    expected, stats = reference(
        theirs_logps,
        data["old"],
        data["adv"],
        data["mask"],
        ref_logps,
        entropies=theirs_entropies,
        sampling=sampling_logps,
        token_normalizer=token_normalizer,
        **options,
    )
    expected.backward()
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12, rel=1e-12)
    for ours, theirs in ((ours_logps, theirs_logps), (ours_entropies, theirs_entropies)):
        got = ours.grad if ours.grad is not None else torch.zeros_like(ours)
        want = theirs.grad if theirs.grad is not None else torch.zeros_like(theirs)
        torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-10)
        assert (got[data["mask"] == 0] == 0).all()
    assert ours_logps.grad is not None
    assert set(stats) <= set(metrics), set(stats) - set(metrics)
    for name, value in stats.items():
        assert metrics[name].item() == pytest.approx(value, abs=1e-12), name
    return metrics


# -- the clipped objective: every combination of the original options ------------------------------------

KL_CASES = ("no-ref", "beta-0", "k1", "k2", "k3")
CLIP_COMBINATIONS = list(
    itertools.product(
        KL_CASES,
        ("seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm", "seq-mean-token-sum"),
        ("token", "sequence"),
        (None, 1.5),
        (False, True),
        ((0.2, 0.2), (0.2, 0.28)),
    )
)


@pytest.mark.parametrize(("kl_case", "agg", "level", "dual", "per_token_adv", "eps"), CLIP_COMBINATIONS)
def test_clip_objective_matches_reference(
    kl_case: str, agg: str, level: str, dual: float | None, per_token_adv: bool, eps: tuple[float, float]
) -> None:
    seed = CLIP_COMBINATIONS.index((kl_case, agg, level, dual, per_token_adv, eps))
    data = random_inputs(seed, per_token_adv=per_token_adv)
    metrics = compare(
        data,
        ref=kl_case != "no-ref",
        beta=0.0 if kl_case == "beta-0" else 0.04,
        kl_estimator=kl_case if kl_case in KL_ESTIMATORS else "k3",
        aggregation=agg,
        importance_level=level,
        dual_clip=dual,
        epsilon_low=eps[0],
        epsilon_high=eps[1],
    )
    if dual is None:
        assert metrics["clip_ratio/dual_mean"].item() == 0.0


# -- every new formula and option, and their defined combinations -----------------------------------------

AXES: dict[str, tuple[Any, ...]] = {
    "objective": ("clip", "cispo", "sapo", "vespo"),
    "aggregation": ("seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm", "seq-mean-token-sum"),
    "importance_level": ("token", "sequence"),
    "per_token_adv": (False, True),
    "kl": ("none", "k1", "k2", "k3"),
    "bias_corrected_kl": (False, True),
    "delta": (None, 1.1),
    "dual_clip": (None, 1.5),
    "top_entropy_quantile": (1.0, 0.3, 0.0),
    "entropy_coef": (0.0, 0.05, -0.02),
    "off_policy_threshold": (None, 0.05),
    "sampler_correction": (None, "token_truncate", "token_mask", "sequence_truncate", "sequence_mask"),
    "sampler_bounds": ((None, 1.3), (0.8, 1.3), (0.8, None)),
    "sampling_given": (False, True),
    "token_normalizer": (None, 11.0),
}


def defined(case: dict[str, Any]) -> bool:
    """The combinations grpo_loss accepts (the rest must raise: see test_undefined_combinations_raise)."""
    if case["objective"] != "clip" and (case["delta"] is not None or case["dual_clip"] is not None):
        return False
    return not (case["objective"] == "vespo" and str(case["sampler_correction"]).startswith("sequence"))


def draw_cases(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []
    while len(cases) < count:
        case = {name: rng.choice(values) for name, values in AXES.items()}
        if defined(case):
            cases.append(case)
    return cases


CASES = draw_cases(700, seed=17)


def _options(case: dict[str, Any]) -> dict[str, Any]:
    options = {
        name: case[name]
        for name in (
            "objective",
            "aggregation",
            "importance_level",
            "bias_corrected_kl",
            "delta",
            "dual_clip",
            "top_entropy_quantile",
            "entropy_coef",
            "off_policy_threshold",
            "sampler_correction",
        )
    }
    options["sampler_clip_min"], options["sampler_clip_max"] = case["sampler_bounds"]
    options["beta"] = 0.0 if case["kl"] == "none" else 0.04
    options["kl_estimator"] = "k3" if case["kl"] == "none" else case["kl"]
    return options


def test_cases_cover_every_pair_of_option_values() -> None:
    """The drawn cases hold every defined pair of values of any two axes (pairwise coverage)."""
    base = {name: values[0] for name, values in AXES.items()}  # clip, no delta, no dual clip, no sampler
    missing = []
    for first, second in itertools.combinations(AXES, 2):
        for a, b in itertools.product(AXES[first], AXES[second]):
            if not defined(base | {first: a, second: b}):
                continue  # a pair no case can hold (e.g. cispo with delta): it must raise instead
            if not any(case[first] == a and case[second] == b for case in CASES):
                missing.append((first, a, second, b))
    assert missing == []


@pytest.mark.parametrize("index", range(len(CASES)))
def test_every_formula_and_combination_matches_reference(index: int) -> None:
    case = CASES[index]
    data = random_inputs(1000 + index, per_token_adv=case["per_token_adv"])
    compare(
        data,
        ref=case["kl"] != "none",
        sampling=case["sampling_given"] or case["sampler_correction"] is not None,
        token_normalizer=case["token_normalizer"] if case["aggregation"] == "token-mean" else None,
        **_options(case),
    )


@pytest.mark.parametrize("max_length", [None, 12])
def test_dr_grpo_constant(max_length: int | None) -> None:
    data = random_inputs(7, per_token_adv=False)
    compare(data, aggregation="seq-mean-token-sum-norm", max_length=max_length)


def test_regions_are_exercised() -> None:
    """The random inputs above reach every region the formulas distinguish (else the tests prove little)."""
    data = random_inputs(0, per_token_adv=False, rows=64, cols=16)
    common = {"ref_logps": data["ref"], "entropies": data["entropies"], "sampling_logps": data["sampling"]}
    args = (data["logps"], data["old"], data["adv"], data["mask"])
    _, clip = grpo_loss(*args, **common, dual_clip=1.5, off_policy_threshold=0.05)
    assert clip["clip_ratio/low_mean"] > 0.05 and clip["clip_ratio/high_mean"] > 0.05
    assert clip["clip_ratio/dual_mean"] > 0.01
    _, two_sided = grpo_loss(*args, **common, delta=1.5)
    assert two_sided["clip_ratio/delta_mean"] > 0.02
    assert 0.05 < clip["off_policy/masked_mean"] < 0.5
    _, cispo = grpo_loss(*args, **common, objective="cispo", cispo_max=1.2)
    assert cispo["cispo_clip_ratio"] > 0.05
    _, high = grpo_loss(*args, **common, top_entropy_quantile=0.2)
    assert high["entropy_mask/kept_mean"].item() == pytest.approx(0.2, abs=0.01)
    _, vespo = grpo_loss(*args, **common, objective="vespo")
    assert 0.05 < vespo["vespo/phi_seq_mean"] < 0.95
    valid = data["mask"].bool()
    for mode in ("token_mask", "sequence_mask", "token_truncate", "sequence_truncate"):
        weights = sampler_weights(data["old"], data["sampling"], valid, mode, 0.8, 1.3).expand_as(valid)
        chosen = weights[valid]
        if mode.endswith("mask"):
            assert 0.02 < (chosen == 0).double().mean() < 0.9, mode
        else:
            assert ((chosen == 0.8) | (chosen == 1.3)).double().mean() > 0.02, mode


@pytest.mark.parametrize("objective", ["clip", "cispo", "sapo", "vespo"])
def test_on_policy_gradient_is_the_policy_gradient(objective: str) -> None:
    """At ratio 1 every objective's gradient is the REINFORCE one, -A/|o_i|/B per token (DeepSeekMath's
    aggregation): SAPO because sigmoid'(0) = 1/4 cancels its 4/tau, VESPO because phi(1) = 1, CISPO because
    min(1, eps_max) = 1."""
    data = random_inputs(3, per_token_adv=False)
    logps = data["logps"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(logps, data["logps"], data["adv"], data["mask"], objective=objective)
    loss.backward()
    lengths = data["mask"].sum(-1, keepdim=True).to(torch.float64)
    expected = -data["adv"][:, None] / lengths / B * data["mask"]
    torch.testing.assert_close(logps.grad, expected, atol=1e-14, rtol=1e-12)
    assert metrics["ratio/min"] == metrics["ratio/max"] == 1.0


def test_sapo_temperatures_shape_the_gate() -> None:
    """SAPO's weight on the policy gradient is sigmoid(tau (r-1)) (1 - sigmoid(tau (r-1))) 4 r: 1 at r = 1,
    smaller the farther r is, and decaying faster for the larger temperature."""
    logps = torch.log(torch.tensor([[0.5, 0.5]], dtype=torch.float64)).requires_grad_(True)
    old = torch.log(torch.tensor([[0.25, 0.25]], dtype=torch.float64))  # r = 2
    for temperature in (1.0, 2.0):
        logps.grad = None
        loss, _ = grpo_loss(
            logps, old, torch.ones(1, dtype=torch.float64), torch.ones(1, 2), beta=0.0,
            objective="sapo", sapo_temperature_pos=temperature, aggregation="token-mean",
        )  # fmt: skip
        loss.backward()
        s = 1 / (1 + math.exp(-temperature))
        assert -2 * logps.grad[0, 0].item() == pytest.approx(s * (1 - s) * 4 * 2, rel=1e-12)


def test_vespo_extreme_weights_stay_finite() -> None:
    """Far off-policy sequences (W = e^{+-60}) get phi ~ 0, finite, where the formula's limit is 0."""
    logps = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    old = torch.tensor([[-20.0, -20.0, -20.0], [20.0, 20.0, 20.0]], dtype=torch.float64)
    loss, metrics = grpo_loss(
        logps - 1.0, old, torch.tensor([1.0, -1.0], dtype=torch.float64), torch.ones(2, 3), objective="vespo"
    )
    loss.backward()
    assert math.isfinite(loss.item()) and torch.isfinite(logps.grad).all()
    assert metrics["vespo/phi_seq_mean"].item() < 1e-6


def test_entropy_threshold_is_the_quantile() -> None:
    values = torch.rand(1001, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for q in (0.0, 0.2, 0.5, 0.8, 0.999, 1.0):
        ours = entropy_threshold(values, q).item()
        assert ours == pytest.approx(quantile(values.tolist(), q), abs=1e-15)
        assert ours == pytest.approx(torch.quantile(values, q).item(), abs=1e-15)
    assert entropy_threshold(torch.tensor([]), 0.5).item() == math.inf


def test_top_entropy_quantile_zero_keeps_the_highest() -> None:
    data = random_inputs(5, per_token_adv=False)
    _, metrics = grpo_loss(
        data["logps"], data["old"], data["adv"], data["mask"], entropies=data["entropies"],
        top_entropy_quantile=0.0,
    )  # fmt: skip
    assert metrics["entropy_mask/kept_mean"].item() * data["mask"].sum().item() == pytest.approx(1.0)


def test_entropy_cutoff_overrides_the_batch_quantile() -> None:
    data = random_inputs(9, per_token_adv=False)
    args = (data["logps"], data["old"], data["adv"], data["mask"])
    common = {"entropies": data["entropies"], "top_entropy_quantile": 0.5}
    _, everything = grpo_loss(*args, **common, entropy_cutoff=-1.0)
    _, nothing = grpo_loss(*args, **common, entropy_cutoff=9.0)
    assert everything["entropy_mask/kept_mean"].item() == 1.0
    assert nothing["entropy_mask/kept_mean"].item() == 0.0


def test_adaptive_entropy_control_follows_the_rule() -> None:
    """Skywork-OR1: c_{k+1} = c_k + delta if H_k <= target else c_k - delta, within [low, high]; the bonus of
    step k+1 is c_{k+1} 1[H_k <= target] (no bonus before the first measurement)."""
    entropies = [0.5, 0.1, 0.1, 0.1, 0.3, 0.15, 0.25, 0.25, 0.25]
    target, step, low, high = 0.2, 0.01, 0.0, 0.025
    coef, last = 0.0, math.inf
    expected_coefs = [0.0, 0.01, 0.02, 0.025, 0.015, 0.025, 0.015, 0.005, 0.0]
    expected_applied = [0.0, 0.0, 0.01, 0.02, 0.025, 0.0, 0.025, 0.0, 0.0]
    for entropy, want_coef, want_applied in zip(entropies, expected_coefs, expected_applied, strict=True):
        assert applied_entropy_coef(coef, last, target) == pytest.approx(want_applied)
        coef, last = next_entropy_coef(coef, entropy, target, step, low, high), entropy
        assert coef == pytest.approx(want_coef)


def test_masked_positions_never_count() -> None:
    data = random_inputs(5, per_token_adv=True)
    padded = {k: v.clone() for k, v in data.items()}
    hole = padded["mask"] == 0
    for key in ("logps", "old", "ref", "adv", "sampling", "entropies"):
        padded[key][hole] = math.nan
    padded["logps"][hole] = math.inf
    for options in (
        {"importance_level": "token"},
        {"importance_level": "sequence"},
        {"objective": "cispo", "off_policy_threshold": 0.05, "entropy_coef": 0.1},
        {"objective": "sapo", "top_entropy_quantile": 0.5, "sampler_correction": "sequence_truncate"},
        {"objective": "vespo", "sampler_correction": "token_mask", "bias_corrected_kl": True},
    ):
        clean, _ = grpo_loss(
            data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"],
            entropies=data["entropies"], sampling_logps=data["sampling"], **options,
        )  # fmt: skip
        logps = padded["logps"].clone().requires_grad_(True)
        entropies = padded["entropies"].clone().requires_grad_(True)
        dirty, _ = grpo_loss(
            logps, padded["old"], padded["adv"], padded["mask"], ref_logps=padded["ref"],
            entropies=entropies, sampling_logps=padded["sampling"], **options,
        )  # fmt: skip
        dirty.backward()
        assert dirty.item() == pytest.approx(clean.item(), abs=1e-12), options
        assert torch.isfinite(logps.grad).all(), options
        assert entropies.grad is None or torch.isfinite(entropies.grad).all(), options


def test_empty_completions() -> None:
    data = random_inputs(11, per_token_adv=False)
    data["mask"][2] = 0
    compare(data)
    compare(data, objective="vespo", aggregation="token-mean", top_entropy_quantile=0.4, entropy_coef=0.1)
    logps = data["logps"].clone().requires_grad_(True)
    nothing, metrics = grpo_loss(logps, data["old"], data["adv"], torch.zeros_like(data["mask"]))
    assert nothing.item() == 0.0
    assert math.isnan(metrics["ratio/min"].item()) and math.isnan(metrics["ratio/max"].item())
    for options in ({"top_entropy_quantile": 0.5}, {"entropy_coef": 0.1}, {"objective": "vespo"}):
        nothing, _ = grpo_loss(
            logps, data["old"], data["adv"], torch.zeros_like(data["mask"]), entropies=data["entropies"],
            **options,
        )  # fmt: skip
        assert nothing.item() == 0.0, options


@pytest.mark.parametrize("mask_dtype", [torch.bool, torch.int32, torch.float32])
def test_mask_dtypes_agree(mask_dtype: torch.dtype) -> None:
    data = random_inputs(13, per_token_adv=False)
    base, _ = grpo_loss(data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"])
    other, _ = grpo_loss(
        data["logps"], data["old"], data["adv"], data["mask"].to(mask_dtype), ref_logps=data["ref"]
    )
    assert other.item() == base.item()


@pytest.mark.parametrize(
    "options",
    [
        {"aggregation": "seq-mean-token-mean"},
        {"aggregation": "token-mean"},
        {"aggregation": "seq-mean-token-sum-norm"},
        {"aggregation": "seq-mean-token-sum", "objective": "sapo"},
        {"aggregation": "token-mean", "objective": "cispo", "entropy_coef": 0.01},
        {"aggregation": "token-mean", "objective": "vespo", "top_entropy_quantile": 0.2},
    ],
)
def test_bf16_inputs_accumulate_in_fp32(options: dict[str, Any]) -> None:
    """bf16 inputs: the loss is float32, the gradient comes back in bf16, and a long batch (8 x 4096 tokens)
    agrees with the float64 computation of the same (bf16-rounded) inputs to fp32 precision, which bf16
    accumulation (8 significant bits) could not."""
    data = random_inputs(17, per_token_adv=False, rows=8, cols=4096)
    half = {k: (v.to(torch.bfloat16) if v.is_floating_point() else v) for k, v in data.items()}
    extra = {"dual_clip": 2.0} if options.get("objective", "clip") == "clip" else {}
    logps = half["logps"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(
        logps, half["old"], half["adv"], half["mask"], ref_logps=half["ref"], entropies=half["entropies"],
        **options, **extra,
    )  # fmt: skip
    loss.backward()
    exact_logps = half["logps"].to(torch.float64).requires_grad_(True)
    exact, _ = grpo_loss(
        exact_logps, half["old"].to(torch.float64), half["adv"].to(torch.float64), half["mask"],
        ref_logps=half["ref"].to(torch.float64), entropies=half["entropies"].to(torch.float64),
        **options, **extra,
    )  # fmt: skip
    exact.backward()
    assert loss.dtype == torch.float32 and metrics["ratio/mean"].dtype == torch.float32
    assert logps.grad is not None and logps.grad.dtype == torch.bfloat16
    assert loss.item() == pytest.approx(exact.item(), rel=1e-5, abs=1e-6)
    torch.testing.assert_close(logps.grad.to(torch.float64), exact_logps.grad, rtol=1e-2, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta": -1.0}, "beta"),
        ({"epsilon_low": 1.0}, "epsilon_low"),
        ({"epsilon_high": -0.1}, "epsilon_high"),
        ({"dual_clip": 0.5}, "dual_clip"),
        ({"kl_estimator": "k4"}, "kl_estimator"),
        ({"aggregation": "sum"}, "aggregation"),
        ({"importance_level": "batch"}, "importance_level"),
        ({"max_length": 0, "aggregation": "seq-mean-token-sum-norm"}, "max_length"),
        ({"max_length": 8}, "max_length only applies"),
        ({"objective": "ppo"}, "objective"),
        ({"delta": 1.0}, "delta must be a number > 1"),
        ({"cispo_max": 0.0}, "cispo_max"),
        ({"sapo_temperature_neg": 0.0}, "sapo_temperature_neg"),
        ({"vespo_k_pos": -1.0}, "vespo_k_pos"),
        ({"vespo_lambda_neg": 0.0}, "vespo_lambda_neg"),
        ({"top_entropy_quantile": 1.5}, "top_entropy_quantile"),
        ({"entropy_coef": math.inf}, "entropy_coef"),
        ({"off_policy_threshold": -0.1}, "off_policy_threshold"),
        ({"sampler_correction": "token"}, "sampler_correction must be one of"),
        ({"sampler_correction": "token_truncate", "sampler_clip_max": None}, "needs sampler_clip_min"),
        ({"sampler_correction": "token_mask", "sampler_clip_min": 2.0, "sampler_clip_max": 1.0}, "less than"),
        ({"bias_corrected_kl": 1}, "bias_corrected_kl"),
    ],
)
def test_invalid_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LossOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "cispo", "dual_clip": 3.0}, "dual_clip applies to objective='clip' only"),
        ({"objective": "sapo", "dual_clip": 3.0}, "dual_clip applies to objective='clip' only"),
        ({"objective": "vespo", "dual_clip": 3.0}, "dual_clip applies to objective='clip' only"),
        ({"objective": "cispo", "delta": 2.0}, "delta applies to objective='clip' only"),
        ({"objective": "sapo", "delta": 2.0}, "delta applies to objective='clip' only"),
        ({"objective": "vespo", "delta": 2.0}, "delta applies to objective='clip' only"),
        ({"objective": "vespo", "sampler_correction": "sequence_mask"}, "token_truncate' or 'token_mask"),
        ({"objective": "vespo", "sampler_correction": "sequence_truncate"}, "token_truncate' or 'token_mask"),
    ],
)
def test_undefined_combinations_raise(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LossOptions(**kwargs)  # type: ignore[arg-type]
    case = {name: values[0] for name, values in AXES.items()} | {k: v for k, v in kwargs.items() if k in AXES}
    assert not defined(case)


def test_options_for_trl_loss_types() -> None:
    expected = {
        "grpo": ("clip", "seq-mean-token-mean"),
        "bnpo": ("clip", "token-mean"),
        "dr_grpo": ("clip", "seq-mean-token-sum-norm"),
        "dapo": ("clip", "token-mean"),
        "cispo": ("cispo", "token-mean"),
        "sapo": ("sapo", "seq-mean-token-mean"),
        "luspo": ("clip", "seq-mean-token-sum"),
        "vespo": ("vespo", "token-mean"),
    }
    for name, pair in expected.items():
        options = LossOptions.for_loss_type(name, beta=0.0)
        assert (options.objective, options.aggregation, options.beta) == (*pair, 0.0)
    assert LossOptions.for_loss_type("grpo", aggregation="token-mean").aggregation == "token-mean"
    with pytest.raises(ValueError, match="loss_type must be one of"):
        LossOptions.for_loss_type("ppo")
    with pytest.raises(ValueError, match="dual_clip applies to objective='clip' only"):
        LossOptions.for_loss_type("sapo", dual_clip=2.0)


def test_missing_tensors_raise() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="entropies are needed"):
        grpo_loss(x, x, torch.zeros(2), torch.ones(2, 3), top_entropy_quantile=0.2)
    with pytest.raises(ValueError, match="entropies are needed"):
        grpo_loss(x, x, torch.zeros(2), torch.ones(2, 3), entropy_coef=0.01)
    with pytest.raises(ValueError, match="sampling_logps are needed"):
        grpo_loss(x, x, torch.zeros(2), torch.ones(2, 3), sampler_correction="token_mask")
    with pytest.raises(ValueError, match="sampling_logps must have the shape"):
        grpo_loss(x, x, torch.zeros(2), torch.ones(2, 3), sampling_logps=torch.zeros(2, 2))


def test_invalid_shapes() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="old_logps"):
        grpo_loss(x, torch.zeros(2, 4), torch.zeros(2), torch.ones(2, 3))
    with pytest.raises(ValueError, match="advantages"):
        grpo_loss(x, x, torch.zeros(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        grpo_loss(torch.zeros(3), torch.zeros(3), torch.zeros(3), torch.ones(3))


def test_one_function_no_python_loop_over_tokens() -> None:
    """The loss is vectorised: a batch 64x longer costs about the same number of Python-level calls (the
    profile counts function calls, not time)."""
    import cProfile
    import pstats

    def calls(cols: int) -> int:
        data = random_inputs(21, per_token_adv=True, rows=4, cols=cols)
        profile = cProfile.Profile()
        profile.enable()
        grpo_loss(
            data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"],
            entropies=data["entropies"], sampling_logps=data["sampling"], objective="vespo",
            top_entropy_quantile=0.3, entropy_coef=0.01, off_policy_threshold=0.1,
            sampler_correction="token_mask", bias_corrected_kl=True,
        )  # fmt: skip
        profile.disable()
        return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]

    assert calls(16 * 64) <= calls(16) + 5


@pytest.mark.gpu
def test_cuda_matches_cpu() -> None:
    data = random_inputs(19, per_token_adv=True, rows=16, cols=256)
    cpu, _ = grpo_loss(data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"])
    cuda = {k: v.cuda().to(torch.bfloat16) if v.is_floating_point() else v.cuda() for k, v in data.items()}
    gpu, _ = grpo_loss(cuda["logps"], cuda["old"], cuda["adv"], cuda["mask"], ref_logps=cuda["ref"])
    assert gpu.dtype == torch.float32
    assert gpu.item() == pytest.approx(cpu.item(), rel=2e-2, abs=1e-3)
