"""A tiny causal LM built from a config, with a character-level tokenizer: no downloads, trains on a CPU.

Shared by ``rlvr demo``, ``rlvr bench loss`` and the tests. The tokenizer has one token per character
of its alphabet plus ``<pad>``, ``<eos>``, ``<unk>`` and the think tags ``<think>`` / ``</think>`` as
single tokens; the tags are ordinary (not special) tokens, so TRL's ``skip_special_tokens=True`` decoding
keeps them in the completions the rewards read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<eos>", "<unk>")
THINK_TOKENS: tuple[str, ...] = ("<think>", "</think>")
#: The default alphabet: digits, arithmetic, a little punctuation and the lower-case letters.
DEFAULT_ALPHABET = "0123456789+-*/=?.,: \nabcdefghijklmnopqrstuvwxyz"
#: ``GRPOConfig`` settings of an offline CPU run of a tiny model: float32, no reports, no checkpoints, no
#: dataloader workers, no progress bar of the Trainer's own.
CPU_RUN_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {
        "use_cpu": True,
        "bf16": False,
        "report_to": "none",
        "save_strategy": "no",
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }
)


@contextlib.contextmanager
def cpu_threads(count: int) -> Iterator[None]:
    """Run the block with torch using ``count`` CPU threads, restoring the previous number afterwards.

    A tiny model's matrices are too small to gain from threads, and on a busy machine (more runnable
    processes than cores) torch's threads wait for each other: one thread trains it several times faster.

    Example:
        >>> import torch
        >>> before = torch.get_num_threads()
        >>> with cpu_threads(1):
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    import torch

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"threads must be an int >= 1, got {count!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True)
class TinyModelConfig:
    """The shape of the tiny Qwen2 model (random weights from ``seed``).

    Example:
        >>> TinyModelConfig(hidden_size=48, num_heads=4).head_dim
        12
        >>> TinyModelConfig(hidden_size=50, num_heads=4)
        Traceback (most recent call last):
        ...
        ValueError: hidden_size (50) must be divisible by num_heads (4)
    """

    hidden_size: int = 64
    intermediate_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    max_positions: int = 128
    tie_embeddings: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (
            "hidden_size",
            "intermediate_size",
            "num_layers",
            "num_heads",
            "num_kv_heads",
            "max_positions",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_heads ({self.num_heads})"
            )
        if self.num_heads % self.num_kv_heads:
            raise ValueError(
                f"num_heads ({self.num_heads}) must be divisible by num_kv_heads ({self.num_kv_heads})"
            )

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


def build_tokenizer(alphabet: str = DEFAULT_ALPHABET) -> PreTrainedTokenizerFast:
    """A character-level tokenizer over ``alphabet`` with the think tags as single tokens.

    Example:
        >>> tokenizer = build_tokenizer("0123456789+=")
        >>> ids = tokenizer("3+4=<think>7</think>7")["input_ids"]
        >>> len(ids), tokenizer.decode(ids)
        (8, '3+4=<think>7</think>7')
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = list(dict.fromkeys(alphabet))
    if not chars or any(len(c) != 1 for c in chars):
        raise ValueError("alphabet must be a non-empty string of characters")
    vocab = {token: index for index, token in enumerate((*SPECIAL_TOKENS, *THINK_TOKENS, *chars))}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    core.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        clean_up_tokenization_spaces=False,
    )


def build_model(config: TinyModelConfig, tokenizer: PreTrainedTokenizerFast) -> PreTrainedModel:
    """A randomly initialised Qwen2 causal LM of ``config``'s shape for ``tokenizer``'s vocabulary.

    Example:
        >>> model = build_model(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1,
        ...                                     num_heads=2, num_kv_heads=1), build_tokenizer("01"))
        >>> model.config.vocab_size, sum(p.numel() for p in model.parameters()) < 10_000
        (7, True)
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    qwen = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_kv_heads,
        max_position_embeddings=config.max_positions,
        tie_word_embeddings=config.tie_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(config.seed)
        model = Qwen2ForCausalLM(qwen)
    finally:
        torch.random.set_rng_state(generator_state)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def build_tiny(
    config: TinyModelConfig | None = None,
    *,
    alphabet: str = DEFAULT_ALPHABET,
    save_dir: str | Path | None = None,
) -> tuple[Any, PreTrainedTokenizerFast]:
    """The tiny model and its tokenizer; with ``save_dir`` both are saved there and the model's
    ``name_or_path`` points to it, so TRL can load the reference model when ``beta > 0``.

    Example:
        >>> model, tokenizer = build_tiny(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1,
        ...                                               num_heads=2, num_kv_heads=1), alphabet="0123")
        >>> len(tokenizer), model.config.vocab_size
        (9, 9)
    """
    tokenizer = build_tokenizer(alphabet)
    model = build_model(config or TinyModelConfig(), tokenizer)
    if save_dir is not None:
        save_tiny(model, tokenizer, save_dir)
    return model, tokenizer


def save_tiny(model: Any, tokenizer: PreTrainedTokenizerFast, save_dir: str | Path) -> Path:
    """Save the model and its tokenizer to ``save_dir`` and point the model's ``name_or_path`` there: TRL
    loads the reference model from that path when ``beta > 0``, and ``from_pretrained`` reads it back.

    Example:
        >>> import tempfile
        >>> from transformers import AutoTokenizer
        >>> model, tokenizer = build_tiny(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1,
        ...                                               num_heads=2, num_kv_heads=1), alphabet="01")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_tiny(model, tokenizer, folder)
        ...     model.name_or_path == str(path), len(AutoTokenizer.from_pretrained(path))
        (True, 7)
    """
    path = Path(save_dir)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    model.config._name_or_path = str(path)
    model.name_or_path = str(path)
    return path
