"""``grpo_loss`` against a plain float64 reference written from the papers' formulas, values and gradients.

The reference walks completion by completion and token by token (Python loops, float64 scalars), exactly
as the objectives are printed:

- DeepSeekMath (Shao et al. 2024, eq. 3): ``1/G sum_i 1/|o_i| sum_t [min(r A, clip(r) A) - beta KL]`` with
  the k3 estimator ``pi_ref/pi - log(pi_ref/pi) - 1`` (eq. 4);
- DAPO (Yu et al. 2025, eq. 8): ``1/sum_i |o_i| sum_i sum_t``, with decoupled ``epsilon_low`` /
  ``epsilon_high``;
- Dr. GRPO (Liu et al. 2025): ``1/(G L) sum_i sum_t`` with a constant ``L``;
- GSPO (Zheng et al. 2025, eq. 7): ``s_i = (pi(y_i)/pi_old(y_i))^(1/|y_i|)`` in place of the token ratio;
- dual clip (Ye et al. 2020): for ``A < 0``, ``max(min(r A, clip(r) A), c A)``.
"""

from __future__ import annotations

import itertools
import math

import pytest

torch = pytest.importorskip("torch")

from rlvr.integrations.loss import LossOptions, grpo_loss  # noqa: E402

B, T = 5, 7


def reference(
    logps: torch.Tensor,
    old: torch.Tensor,
    adv: torch.Tensor,
    mask: torch.Tensor,
    ref: torch.Tensor | None,
    *,
    beta: float,
    eps_low: float,
    eps_high: float,
    dual: float | None,
    kl: str,
    agg: str,
    level: str,
    max_length: int | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The objective as printed in the papers, one completion and one token at a time, in float64."""
    rows, cols = logps.shape
    per_sequence: list[torch.Tensor] = []
    everything = torch.zeros((), dtype=torch.float64)
    n_tokens = 0
    flags = {"low": 0, "high": 0, "dual": 0}
    ratios: list[float] = []
    kls: list[float] = []
    for i in range(rows):
        tokens = [t for t in range(cols) if mask[i, t]]
        seq_sum = torch.zeros((), dtype=torch.float64)
        if level == "sequence" and tokens:
            seq_ratio = torch.exp(sum(logps[i, t] - old[i, t] for t in tokens) / len(tokens))
        for t in tokens:
            r = torch.exp(logps[i, t] - old[i, t]) if level == "token" else seq_ratio
            a = adv[i] if adv.dim() == 1 else adv[i, t]
            clipped_r = torch.clamp(r, 1 - eps_low, 1 + eps_high)
            objective = min(r * a, clipped_r * a)
            if dual is not None and a < 0:
                if dual * a > objective:
                    flags["dual"] += 1
                objective = max(objective, dual * a)
            term = -objective
            if ref is not None and beta != 0:
                if kl == "k1":
                    k = logps[i, t] - ref[i, t]
                elif kl == "k2":
                    k = (logps[i, t] - ref[i, t]) ** 2 / 2
                else:
                    quotient = torch.exp(ref[i, t] - logps[i, t])  # pi_ref / pi_theta
                    k = quotient - torch.log(quotient) - 1
                term = term + beta * k
                kls.append(float(k.detach()))
            flags["low"] += int(bool(r < 1 - eps_low) and bool(a < 0))
            flags["high"] += int(bool(r > 1 + eps_high) and bool(a > 0))
            ratios.append(float(r.detach()))
            seq_sum = seq_sum + term
        everything = everything + seq_sum
        n_tokens += len(tokens)
        per_sequence.append(seq_sum / len(tokens) if tokens else seq_sum)
    if agg == "seq-mean-token-mean":
        loss = sum(per_sequence) / rows
    elif agg == "token-mean":
        loss = everything / max(n_tokens, 1)
    else:
        loss = everything / (rows * (max_length or cols))
    stats = {f"clip_ratio/{k}_mean": v / max(n_tokens, 1) for k, v in flags.items()}
    stats |= {"ratio/mean": sum(ratios) / len(ratios), "ratio/min": min(ratios), "ratio/max": max(ratios)}
    if kls:
        stats["kl"] = sum(kls) / len(kls)
    return loss, stats


def random_inputs(seed: int, *, per_token_adv: bool, rows: int = B, cols: int = T) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    logps = -3 * torch.rand(rows, cols, generator=gen, dtype=torch.float64)
    old = logps + 0.4 * torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    ref = logps + 0.5 * torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    lengths = torch.randint(1, cols + 1, (rows,), generator=gen)
    lengths[0] = cols
    mask = (torch.arange(cols)[None, :] < lengths[:, None]).to(torch.int64)
    shape = (rows, cols) if per_token_adv else (rows,)
    adv = torch.randn(*shape, generator=gen, dtype=torch.float64)
    return {"logps": logps, "old": old, "ref": ref, "mask": mask, "adv": adv}


KL_CASES = ("no-ref", "beta-0", "k1", "k2", "k3")
COMBINATIONS = list(
    itertools.product(
        KL_CASES,
        ("seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm"),
        ("token", "sequence"),
        (None, 1.5),
        (False, True),
        ((0.2, 0.2), (0.2, 0.28)),
    )
)


@pytest.mark.parametrize(("kl_case", "agg", "level", "dual", "per_token_adv", "eps"), COMBINATIONS)
def test_matches_float64_reference(
    kl_case: str, agg: str, level: str, dual: float | None, per_token_adv: bool, eps: tuple[float, float]
) -> None:
    seed = COMBINATIONS.index((kl_case, agg, level, dual, per_token_adv, eps))
    data = random_inputs(seed, per_token_adv=per_token_adv)
    beta = 0.0 if kl_case == "beta-0" else 0.04
    kl = kl_case if kl_case in ("k1", "k2", "k3") else "k3"
    ref = None if kl_case == "no-ref" else data["ref"]
    ours_logps = data["logps"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(
        ours_logps,
        data["old"],
        data["adv"],
        data["mask"],
        ref_logps=ref,
        beta=beta,
        epsilon_low=eps[0],
        epsilon_high=eps[1],
        dual_clip=dual,
        kl_estimator=kl,  # type: ignore[arg-type]
        aggregation=agg,  # type: ignore[arg-type]
        importance_level=level,  # type: ignore[arg-type]
    )
    loss.backward()
    theirs_logps = data["logps"].clone().requires_grad_(True)
    expected, stats = reference(
        theirs_logps,
        data["old"],
        data["adv"],
        data["mask"],
        ref,
        beta=beta,
        eps_low=eps[0],
        eps_high=eps[1],
        dual=dual,
        kl=kl,
        agg=agg,
        level=level,
        max_length=None,
    )
    expected.backward()
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12, rel=1e-12)
    assert theirs_logps.grad is not None and ours_logps.grad is not None
    torch.testing.assert_close(ours_logps.grad, theirs_logps.grad, atol=1e-12, rtol=1e-10)
    assert (ours_logps.grad[data["mask"] == 0] == 0).all()
    assert set(stats) <= set(metrics)
    for name, value in stats.items():
        assert metrics[name].item() == pytest.approx(value, abs=1e-12), name
    if dual is None:
        assert metrics["clip_ratio/dual_mean"].item() == 0.0


@pytest.mark.parametrize("max_length", [None, 12])
def test_dr_grpo_constant(max_length: int | None) -> None:
    data = random_inputs(7, per_token_adv=False)
    logps = data["logps"].clone().requires_grad_(True)
    loss, _ = grpo_loss(
        logps,
        data["old"],
        data["adv"],
        data["mask"],
        ref_logps=data["ref"],
        aggregation="seq-mean-token-sum-norm",
        max_length=max_length,
    )
    expected, _ = reference(
        data["logps"],
        data["old"],
        data["adv"],
        data["mask"],
        data["ref"],
        beta=0.04,
        eps_low=0.2,
        eps_high=0.2,
        dual=None,
        kl="k3",
        agg="seq-mean-token-sum-norm",
        level="token",
        max_length=max_length,
    )
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12)


def test_clipping_and_dual_clip_are_exercised() -> None:
    """The random inputs above do reach the clipped and dual-clipped regions (else the test proves little)."""
    data = random_inputs(0, per_token_adv=False, rows=64, cols=16)
    _, metrics = grpo_loss(data["logps"], data["old"], data["adv"], data["mask"], dual_clip=1.5)
    assert metrics["clip_ratio/low_mean"] > 0.05
    assert metrics["clip_ratio/high_mean"] > 0.05
    assert metrics["clip_ratio/dual_mean"] > 0.01


def test_on_policy_gradient_is_the_policy_gradient() -> None:
    """At ratio 1, the GRPO gradient is -A/|o_i|/B per token (the REINFORCE form)."""
    data = random_inputs(3, per_token_adv=False)
    logps = data["logps"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(logps, data["logps"], data["adv"], data["mask"])
    loss.backward()
    lengths = data["mask"].sum(-1, keepdim=True).to(torch.float64)
    expected = -data["adv"][:, None] / lengths / B * data["mask"]
    torch.testing.assert_close(logps.grad, expected, atol=1e-14, rtol=0)
    assert metrics["ratio/min"] == metrics["ratio/max"] == 1.0


def test_masked_positions_never_count() -> None:
    data = random_inputs(5, per_token_adv=True)
    padded = {k: v.clone() for k, v in data.items()}
    hole = padded["mask"] == 0
    for key in ("logps", "old", "ref", "adv"):
        padded[key][hole] = math.nan
    padded["logps"][hole] = math.inf
    for level in ("token", "sequence"):
        clean, _ = grpo_loss(
            data["logps"],
            data["old"],
            data["adv"],
            data["mask"],
            ref_logps=data["ref"],
            importance_level=level,
        )
        logps = padded["logps"].clone().requires_grad_(True)
        dirty, _ = grpo_loss(
            logps,
            padded["old"],
            padded["adv"],
            padded["mask"],
            ref_logps=padded["ref"],
            importance_level=level,
        )
        dirty.backward()
        assert dirty.item() == pytest.approx(clean.item(), abs=1e-12)
        assert torch.isfinite(logps.grad).all()


def test_empty_completions() -> None:
    data = random_inputs(11, per_token_adv=False)
    mask = data["mask"].clone()
    mask[2] = 0
    logps = data["logps"].clone().requires_grad_(True)
    loss, _ = grpo_loss(logps, data["old"], data["adv"], mask, ref_logps=data["ref"])
    loss.backward()
    expected, _ = reference(
        data["logps"],
        data["old"],
        data["adv"],
        mask,
        data["ref"],
        beta=0.04,
        eps_low=0.2,
        eps_high=0.2,
        dual=None,
        kl="k3",
        agg="seq-mean-token-mean",
        level="token",
        max_length=None,
    )
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12)
    assert (logps.grad[2] == 0).all()
    nothing, metrics = grpo_loss(logps, data["old"], data["adv"], torch.zeros_like(mask))
    assert nothing.item() == 0.0
    assert math.isnan(metrics["ratio/min"].item()) and math.isnan(metrics["ratio/max"].item())


@pytest.mark.parametrize("mask_dtype", [torch.bool, torch.int32, torch.float32])
def test_mask_dtypes_agree(mask_dtype: torch.dtype) -> None:
    data = random_inputs(13, per_token_adv=False)
    base, _ = grpo_loss(data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"])
    other, _ = grpo_loss(
        data["logps"], data["old"], data["adv"], data["mask"].to(mask_dtype), ref_logps=data["ref"]
    )
    assert other.item() == base.item()


@pytest.mark.parametrize("agg", ["seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm"])
def test_bf16_inputs_accumulate_in_fp32(agg: str) -> None:
    """bf16 inputs: the loss is float32, the gradient comes back in bf16, and a long batch (8 x 4096 tokens)
    agrees with the float64 computation of the same (bf16-rounded) inputs to fp32 precision, which bf16
    accumulation (8 significant bits) could not."""
    data = random_inputs(17, per_token_adv=False, rows=8, cols=4096)
    half = {k: (v.to(torch.bfloat16) if v.is_floating_point() else v) for k, v in data.items()}
    logps = half["logps"].clone().requires_grad_(True)
    options = {"ref_logps": half["ref"], "aggregation": agg, "dual_clip": 2.0}
    loss, metrics = grpo_loss(logps, half["old"], half["adv"], half["mask"], **options)  # type: ignore[arg-type]
    loss.backward()
    exact_logps = half["logps"].to(torch.float64).requires_grad_(True)
    exact, _ = grpo_loss(
        exact_logps,
        half["old"].to(torch.float64),
        half["adv"].to(torch.float64),
        half["mask"],
        ref_logps=half["ref"].to(torch.float64),
        aggregation=agg,  # type: ignore[arg-type]
        dual_clip=2.0,
    )
    exact.backward()
    assert loss.dtype == torch.float32 and metrics["ratio/mean"].dtype == torch.float32
    assert logps.grad is not None and logps.grad.dtype == torch.bfloat16
    assert loss.item() == pytest.approx(exact.item(), rel=1e-5, abs=1e-7)
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
    ],
)
def test_invalid_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LossOptions(**kwargs)  # type: ignore[arg-type]


def test_invalid_shapes() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="old_logps"):
        grpo_loss(x, torch.zeros(2, 4), torch.zeros(2), torch.ones(2, 3))
    with pytest.raises(ValueError, match="advantages"):
        grpo_loss(x, x, torch.zeros(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        grpo_loss(torch.zeros(3), torch.zeros(3), torch.zeros(3), torch.ones(3))


@pytest.mark.gpu
def test_cuda_matches_cpu() -> None:
    data = random_inputs(19, per_token_adv=True, rows=16, cols=256)
    cpu, _ = grpo_loss(data["logps"], data["old"], data["adv"], data["mask"], ref_logps=data["ref"])
    cuda = {k: v.cuda().to(torch.bfloat16) if v.is_floating_point() else v.cuda() for k, v in data.items()}
    gpu, _ = grpo_loss(cuda["logps"], cuda["old"], cuda["adv"], cuda["mask"], ref_logps=cuda["ref"])
    assert gpu.dtype == torch.float32
    assert gpu.item() == pytest.approx(cpu.item(), rel=2e-2, abs=1e-3)
