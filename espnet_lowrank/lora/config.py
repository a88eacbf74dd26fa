"""LoRA strategy configuration (the ``lora_conf`` mapping of a LoRA LM config).

Four strategies share one schema; keys that a strategy does not use are errors,
so a typo never silently falls back to a default.

Parameter budgets are matched across strategies on the *final* adapter:

* ``vanilla``: rank ``r`` on every target.
* ``dynamic`` (AdaLoRA): starts at ``init_r`` and prunes to an average rank of
  ``target_r = r`` (the total rank budget is ``r * n_targets``).
* ``warmup``: rank ``r_high`` for ``warmup_steps`` optimizer steps (or
  ``warmup_epochs`` epochs), then every ``B A`` is truncated by SVD to rank ``r``.
* ``mixed``: ranks from ``rank_pattern``; the parameter count is reported next to
  the ``vanilla`` count for rank ``r`` (``r`` is the reference budget only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Mapping, Optional, Union

STRATEGIES = ("vanilla", "dynamic", "warmup", "mixed")

DEFAULT_TARGETS = [
    "encoder.encoders.*.self_attn.linear_{q,k,v,out}",
    "encoder.encoders.*.feed_forward.w_{1,2}",
]

_COMMON = {"strategy", "target_modules", "r", "lora_alpha", "lora_dropout"}
_ONLY = {
    "vanilla": set(),
    "dynamic": {
        "init_r",
        "tinit",
        "tfinal",
        "deltaT",
        "total_step",
        "beta1",
        "beta2",
        "orth_reg_weight",
    },
    "warmup": {"r_high", "lora_alpha_high", "warmup_steps", "warmup_epochs"},
    "mixed": {"rank_pattern"},
}


@dataclass
class LoRAConf:
    """Validated LoRA settings.

    Attributes:
        strategy: one of ``vanilla``, ``dynamic``, ``warmup``, ``mixed``.
        target_modules: glob patterns over LM module names (see ``targets.py``).
        r: final (average) rank; the budget shared by all strategies.
        lora_alpha: scaling numerator; the update is ``lora_alpha / r * B A``.
        lora_dropout: dropout on the adapter input.
        init_r, tinit, tfinal, deltaT, total_step, beta1, beta2, orth_reg_weight:
            AdaLoRA schedule (``dynamic``). ``total_step`` is an int or ``"auto"``
            (computed by the trainer from the epoch length); ``tinit``/``tfinal``
            are steps (int) or fractions of ``total_step`` (float < 1).
        r_high, lora_alpha_high, warmup_steps, warmup_epochs: ``warmup`` schedule;
            exactly one of ``warmup_steps``/``warmup_epochs`` is set.
        rank_pattern: ``{glob: rank}`` for ``mixed``; must cover every target.
    """

    strategy: str = "vanilla"
    target_modules: List[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))
    r: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.0
    init_r: int = 12
    tinit: Union[int, float] = 0
    tfinal: Union[int, float] = 0
    deltaT: int = 1
    total_step: Union[int, str] = "auto"
    beta1: float = 0.85
    beta2: float = 0.85
    orth_reg_weight: float = 0.5
    r_high: int = 32
    lora_alpha_high: Optional[float] = None
    warmup_steps: Optional[int] = None
    warmup_epochs: Optional[int] = None
    rank_pattern: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, conf: Optional[Mapping[str, Any]]) -> LoRAConf:
        """Build and validate from a mapping (``None`` -> vanilla defaults)."""
        conf = dict(conf or {})
        strategy = conf.get("strategy", "vanilla")
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown LoRA strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
        allowed = _COMMON | _ONLY[strategy]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(conf) - known)
        if unknown:
            raise ValueError(f"unknown lora_conf keys {unknown}; known: {sorted(known)}")
        unused = sorted(set(conf) - allowed)
        if unused:
            raise ValueError(
                f"lora_conf keys {unused} do not apply to strategy {strategy!r} "
                f"(it takes {sorted(allowed)})"
            )
        out = cls(**conf)
        out.validate()
        return out

    def validate(self) -> None:
        """Check ranges and strategy-specific requirements; errors name the key."""
        if isinstance(self.target_modules, str):
            self.target_modules = [self.target_modules]
        _pos_int("r", self.r)
        if self.lora_alpha <= 0:
            raise ValueError(f"lora_conf.lora_alpha must be > 0, got {self.lora_alpha}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"lora_conf.lora_dropout must be in [0, 1): {self.lora_dropout}")
        if self.strategy == "dynamic":
            _pos_int("init_r", self.init_r)
            if self.init_r <= self.r:
                raise ValueError(
                    f"dynamic: init_r ({self.init_r}) must exceed the target rank "
                    f"r ({self.r}) so that AdaLoRA has rank to move"
                )
            _pos_int("deltaT", self.deltaT)
            if self.total_step != "auto":
                _pos_int("total_step", self.total_step)
            for k in ("tinit", "tfinal"):
                v = getattr(self, k)
                if isinstance(v, bool) or v < 0 or (isinstance(v, float) and v >= 1):
                    raise ValueError(
                        f"lora_conf.{k} must be an int >= 0 or a fraction in [0, 1): {v}"
                    )
            for k in ("beta1", "beta2"):
                if not 0.0 < getattr(self, k) < 1.0:
                    raise ValueError(f"lora_conf.{k} must be in (0, 1)")
            if self.orth_reg_weight < 0:
                raise ValueError("lora_conf.orth_reg_weight must be >= 0")
        if self.strategy == "warmup":
            _pos_int("r_high", self.r_high)
            if self.r_high <= self.r:
                raise ValueError(f"warmup: r_high ({self.r_high}) must exceed r ({self.r})")
            if (self.warmup_steps is None) == (self.warmup_epochs is None):
                raise ValueError(
                    "warmup: set exactly one of lora_conf.warmup_steps / warmup_epochs"
                )
            if self.warmup_steps is not None:
                _pos_int("warmup_steps", self.warmup_steps)
            if self.warmup_epochs is not None:
                _pos_int("warmup_epochs", self.warmup_epochs)
        if self.strategy == "mixed" and not self.rank_pattern:
            raise ValueError("mixed: lora_conf.rank_pattern is required")

    @property
    def alpha_high(self) -> float:
        """``lora_alpha`` used during the high-rank phase (default: same ratio as r)."""
        if self.lora_alpha_high is not None:
            return float(self.lora_alpha_high)
        return float(self.lora_alpha) * self.r_high / self.r

    def resolve_step(self, value: Union[int, float], total_step: int) -> int:
        """Turn a step count or a fraction of ``total_step`` into steps."""
        if isinstance(value, float) and value < 1:
            return int(round(value * total_step))
        return int(value)

    def to_dict(self) -> Dict[str, Any]:
        """Only the keys that apply to this strategy (for logs and saved configs)."""
        allowed = _COMMON | _ONLY[self.strategy]
        return {k: v for k, v in asdict(self).items() if k in allowed}


def _pos_int(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"lora_conf.{name} must be an int >= 1, got {v!r}")
