"""Seeded random weights scaled so that a tiny model has spread-out logits and non-trivial layers.

HF's default init (std 0.02, norms = 1, biases = 0) gives near-uniform logits, where greedy ties flip
on rounding, and leaves norm weights and biases untested. Here:
  - projections ~ N(0, 1/fan_in): each layer keeps activations near unit scale, attention scores ~ N(0, 1)
  - o_proj / down_proj ~ N(0, (RESIDUAL_OUTPUT_GAIN^2)/fan_in): the layers dominate the residual stream,
    so a tied model does not just echo its last input token (h . E[t] is largest for t = last token)
  - lm_head (or the tied embedding) ~ N(0, 0.5): logits have std ~4 over the vocabulary
  - untied embedding ~ N(0, 1)
  - every RMSNorm weight ~ 1 + N(0, 0.2) and every bias ~ N(0, 0.5), so both visibly matter
"""

from __future__ import annotations

import math

LOGIT_WEIGHT_STD = 0.5
EMBEDDING_STD = 1.0
NORM_WEIGHT_JITTER = 0.2
BIAS_STD = 0.5
RESIDUAL_OUTPUT_GAIN = 4.0


def init_weights(model, seed: int, zero_rows_from: int | None = None) -> None:
    """Overwrites every parameter of `model` in place (float32, before any dtype cast).

    zero_rows_from: vocabulary rows from this id on are zeroed (padding rows beyond the tokenizer, as
    real checkpoints have), so they can never be the greedy choice and rarely a sampled one.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    tied = bool(getattr(model.config, "tie_word_embeddings", False))

    def normal(shape, std):
        return torch.randn(shape, generator=generator, dtype=torch.float32) * std

    with torch.no_grad():
        # named_parameters yields a tied weight once (as embed_tokens), in a stable order.
        for name, param in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                value = normal(param.shape, LOGIT_WEIGHT_STD if tied else EMBEDDING_STD)
            elif name.endswith("lm_head.weight"):
                value = normal(param.shape, LOGIT_WEIGHT_STD)
            elif "norm" in name and name.endswith(".weight"):
                value = 1.0 + normal(param.shape, NORM_WEIGHT_JITTER)
            elif name.endswith(".bias"):
                value = normal(param.shape, BIAS_STD)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                value = normal(param.shape, RESIDUAL_OUTPUT_GAIN / math.sqrt(param.shape[1]))
            elif param.dim() == 2:
                value = normal(param.shape, 1.0 / math.sqrt(param.shape[1]))
            else:
                raise ValueError(f"no init rule for parameter {name} of shape {tuple(param.shape)}")
            param.copy_(value)
        if zero_rows_from is not None:
            model.get_input_embeddings().weight[zero_rows_from:] = 0.0
            output = model.get_output_embeddings()
            if output is not None and output.weight is not model.get_input_embeddings().weight:
                output.weight[zero_rows_from:] = 0.0
