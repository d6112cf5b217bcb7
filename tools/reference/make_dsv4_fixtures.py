#!/usr/bin/env python3
"""Builds tiny DeepSeek-V4 checkpoints and records HF transformers' DeepseekV4ForCausalLM outputs.

Writes OUT/dsv4/<variant>/ (config.json, generation_config.json, model.safetensors, tokenizer files,
reference.json). Variants (see VARIANTS):
  - dsv4-hf-c16:        transformers tensor names + transformers-saved config (layer_types, compress_rates,
                        rope_parameters); layers SWA / CSA(4) / HCA(16) / CSA(4), two hash layers.
  - dsv4-deepseek-c128: DeepSeek's published tensor names + DeepSeek's config keys (compress_ratios,
                        num_hash_layers, qk_rope_head_dim, rope_scaling); a ratio-128 layer, prompts > 256.
  - dsv4-fp8-mxfp4:     DeepSeek names, FP8-block (e4m3 + ue8m0 128x128 scales) dense weights, MXFP4 experts
                        (I8 packed nibbles + ue8m0 per 32), quantization_config + expert_dtype "fp4";
  - dsv4-fp8-mxfp4-twin: the same model with those weights dequantized (exact in BF16), transformers names.
                        The fp8 variant's reference IS the twin's (HF runs the twin).

Every reference is recorded from the model reloaded FROM THE SAVED (transformers-named) FILES in float32 with
eager attention, re-running the whole sequence at every greedy step (no KV cache), so it is the model function
itself. HF omits DeepSeek's QAT simulations (FP8 KV / FP4 indexer) and activation quantization; so do the
references (documented in reference.json).

Determinism: the lightning indexer's top-k is only unambiguous when the k-th and (k+1)-th visible scores
differ; a forward hook checks that gap at every query of every recorded forward and a seed is rejected when it
is below MIN_INDEXER_GAP (see dsv4-architecture.md §6.4 on zero-score ties).

Usage: python3 make_dsv4_fixtures.py --out OUT [--variants a,b]
Needs torch >= 2.10 and transformers >= 5.8.1 (DeepseekV4ForCausalLM), tokenizers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fixture_corpus import TEXT_PROMPT  # noqa: E402
from fixture_reference import TOP_N, greedy_reference  # noqa: E402
from fixture_tokenizer import VOCAB_SIZE as BASE_VOCAB_SIZE, train_base_tokenizer  # noqa: E402

ARCHITECTURE = "DeepseekV4ForCausalLM"
SCHEMA_VERSION = 1
MAX_NEW_TOKENS = 32  # prefill + 31 decode steps
MIN_MARGIN = 1e-3  # top-1 vs top-2 logprob, every step
MIN_INDEXER_GAP = 2e-5  # k-th vs (k+1)-th visible indexer score, every query (ports differ by ~1e-6)
MAX_SEED_ATTEMPTS = 24

# DeepSeek-V4 special tokens appended after the trained byte-level vocabulary (ids 1000..).
BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
DSV4_SPECIALS = [BOS, EOS, "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "｜DSML｜"]
MODEL_VOCAB = 1024  # rows past the tokenizer are zeroed padding, as real checkpoints have


def log(message: str) -> None:
    print(f"[dsv4-fixtures] {message}", flush=True)


# ---------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    name: str
    naming: str  # "transformers" | "deepseek"
    hidden: int
    layer_ratios: list[int]  # 0 = sliding only, 4 = CSA (overlap + indexer), other = HCA
    num_hash_layers: int
    prompt_lengths: dict[str, int]
    seed: int
    features: list[str]
    swiglu_limit: float = 1.0
    quantized: bool = False  # FP8 dense + MXFP4 experts (DeepSeek names), reference from the twin
    extra: dict = field(default_factory=dict)


COMMON_SHAPE = dict(
    num_attention_heads=4,
    head_dim=64,
    qk_rope_head_dim=32,
    q_lora_rank=32,
    o_groups=2,
    o_lora_rank=32,
    n_routed_experts=6,
    num_experts_per_tok=2,
    moe_intermediate_size=32,
    sliding_window=8,
    # 16 indexer heads: with 4, every query whose head weights are all negative ranks the entries whose head
    # dots are all negative (score exactly 0) first, and top-k ties at 0 are certain over a few hundred queries
    index_n_heads=16,
    index_head_dim=32,
    index_topk=4,
    hc_mult=4,
    hc_sinkhorn_iters=20,
    hc_eps=1e-6,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    compress_rope_theta=160000.0,
    routed_scaling_factor=1.5,
    # factor 16 = max_position_embeddings / original_max_position_embeddings, so HF's yarn agrees whichever
    # of the two it reads
    max_position_embeddings=1048576,
    yarn=dict(factor=16.0, original_max_position_embeddings=65536, beta_fast=32.0, beta_slow=1.0),
)

VARIANTS = [
    Variant(
        name="dsv4-hf-c16",
        naming="transformers",
        hidden=64,
        layer_ratios=[0, 4, 16, 4],
        num_hash_layers=2,
        prompt_lengths={"single": 1, "medium": 41, "long": 97},
        seed=41000,
        features=[
            "transformers tensor names and transformers-saved config (layer_types, compress_rates, rope_parameters, mlp_layer_types)",
            "layers: sliding / CSA ratio 4 (overlap + indexer, top-k 4 < entries) / HCA ratio 16 / CSA ratio 4",
            "window 8 << prompt", "hash routing on layers 0-1 with random tid2eid", "biased top-k routing on layers 2-3",
            "SwiGLU clamp 1.0 bites", "YaRN (factor 16) only on compressed layers, theta 160000", "BF16 storage",
        ],
    ),
    Variant(
        name="dsv4-deepseek-c128",
        naming="deepseek",
        hidden=64,
        layer_ratios=[0, 4, 128, 4],
        num_hash_layers=2,
        prompt_lengths={"crossing": 250, "long": 300},
        seed=42000,
        features=[
            "DeepSeek's published tensor names (embed, layers.L.attn.*, layers.L.ffn.experts.E.w1, hc_head_fn, head ...)",
            "DeepSeek config keys (compress_ratios incl. the MTP entry, num_hash_layers, qk_rope_head_dim, rope_scaling yarn)",
            "ratio-128 HCA layer: prompt 300 has 2 entries; prompt 250 emits entry 1 during decode (position 255)",
            "CSA top-k 4 of up to 82 entries", "window 8", "hash layers 0-1", "SwiGLU clamp bites", "BF16 / F32 / I64 storage as DeepSeek ships",
        ],
    ),
    Variant(
        name="dsv4-fp8-mxfp4",
        naming="deepseek",
        hidden=64,
        layer_ratios=[0, 4, 16, 4],
        num_hash_layers=2,
        prompt_lengths={"medium": 41, "long": 80},
        seed=43000,
        quantized=True,
        features=[
            "DeepSeek names; FP8 e4m3 dense linears (wq_a, wq_b, wkv, wo_a, wo_b, indexer.wq_b, shared experts) with F8_E8M0 128x128 block scales",
            "MXFP4 routed experts: I8 [out, in/2] (low nibble = even input) + F8_E8M0 [out, in/32] scales; expert_dtype fp4",
            "quantization_config {quant_method fp8, fmt e4m3, scale_fmt ue8m0, weight_block_size [128,128]}",
            "reference recorded from the dequantized twin (dsv4-fp8-mxfp4-twin); weights only, activations not quantized",
        ],
    ),
]
VARIANTS_BY_NAME = {v.name: v for v in VARIANTS}


def layer_type(ratio: int) -> str:
    if ratio == 0:
        return "sliding_attention"
    return "compressed_sparse_attention" if ratio == 4 else "heavily_compressed_attention"


def hf_config(variant: Variant):
    """The transformers config object for a variant (what HF builds the model from)."""
    from transformers import DeepseekV4Config

    shape = dict(COMMON_SHAPE)
    yarn = shape.pop("yarn")
    rope_dim = shape.pop("qk_rope_head_dim")
    hca_rates = sorted({r for r in variant.layer_ratios if r not in (0, 4)})
    if len(hca_rates) > 1:
        raise ValueError("transformers supports one HCA ratio per model")
    n = len(variant.layer_ratios)
    config = DeepseekV4Config(
        vocab_size=MODEL_VOCAB,
        hidden_size=variant.hidden,
        num_hidden_layers=n,
        num_key_value_heads=1,
        partial_rotary_factor=rope_dim / shape["head_dim"],
        layer_types=[layer_type(r) for r in variant.layer_ratios],
        compress_rates={"compressed_sparse_attention": 4, "heavily_compressed_attention": hca_rates[0] if hca_rates else 128},
        mlp_layer_types=["hash_moe"] * variant.num_hash_layers + ["moe"] * (n - variant.num_hash_layers),
        rope_parameters={"rope_type": "yarn", **yarn},
        swiglu_limit=variant.swiglu_limit,
        n_shared_experts=1,
        scoring_func="sqrtsoftplus",
        norm_topk_prob=True,
        hidden_act="silu",
        tie_word_embeddings=False,
        bos_token_id=BASE_VOCAB_SIZE,
        eos_token_id=BASE_VOCAB_SIZE + 1,
        pad_token_id=None,
        num_nextn_predict_layers=1,
        **shape,
    )
    config.architectures = [ARCHITECTURE]
    return config


def deepseek_config_json(variant: Variant, quantized: bool) -> dict:
    """config.json with the keys DeepSeek ships (compress_ratios includes the MTP layer's 0)."""
    shape = dict(COMMON_SHAPE)
    yarn = shape.pop("yarn")
    n = len(variant.layer_ratios)
    config = {
        "architectures": [ARCHITECTURE],
        "model_type": "deepseek_v4",
        "vocab_size": MODEL_VOCAB,
        "hidden_size": variant.hidden,
        "num_hidden_layers": n,
        "num_nextn_predict_layers": 1,
        "num_key_value_heads": 1,
        "compress_ratios": list(variant.layer_ratios) + [0],
        "num_hash_layers": variant.num_hash_layers,
        "rope_scaling": {"type": "yarn", **yarn},
        "n_shared_experts": 1,
        "scoring_func": "sqrtsoftplus",
        "topk_method": "noaux_tc",
        "norm_topk_prob": True,
        "swiglu_limit": variant.swiglu_limit,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": BASE_VOCAB_SIZE,
        "eos_token_id": BASE_VOCAB_SIZE + 1,
        "attention_bias": False,
        "torch_dtype": "bfloat16",
        **shape,
    }
    if quantized:
        config["expert_dtype"] = "fp4"
        config["quantization_config"] = {
            "quant_method": "fp8",
            "fmt": "e4m3",
            "scale_fmt": "ue8m0",
            "weight_block_size": [128, 128],
            "activation_scheme": "dynamic",
        }
    return dict(sorted(config.items()))


# ---------------------------------------------------------------- tokenizer


def build_tokenizer():
    """The shared fixture BPE (fixture_tokenizer.train_base_tokenizer) plus DeepSeek-V4's special tokens.
    Encodes without adding anything (DeepSeek: add_bos_token false); no chat template ships."""
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast

    base = train_base_tokenizer()
    base.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in DSV4_SPECIALS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=base,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=EOS,
        add_bos_token=False,
        add_eos_token=False,
        clean_up_tokenization_spaces=False,
        model_max_length=1048576,
    )
    ids = [tokenizer.convert_tokens_to_ids(t) for t in DSV4_SPECIALS]
    if ids != list(range(BASE_VOCAB_SIZE, BASE_VOCAB_SIZE + len(DSV4_SPECIALS))):
        raise AssertionError(f"DeepSeek special tokens got ids {ids}")
    return tokenizer


# ---------------------------------------------------------------- weights


def init_weights(model, seed: int) -> None:
    """Seeded weights with spread logits and every parameter mattering (HF's init zeroes sinks, ape, biases
    and tid2eid, which would leave those paths untested)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    cfg = model.config

    def normal(shape, std):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std

    with torch.no_grad():
        for name, param in model.named_parameters():
            shape = tuple(param.shape)
            if name.endswith("embed_tokens.weight"):
                value = normal(shape, 1.0)
            elif name.endswith("lm_head.weight"):
                value = normal(shape, 0.5)
            elif name.endswith("norm.weight"):
                value = 1.0 + normal(shape, 0.2)
            elif name.endswith(("attn_hc.fn", "ffn_hc.fn", "hc_head.hc_fn")):
                value = normal(shape, 1.0 / math.sqrt(shape[1]))
            elif name.endswith(("attn_hc.base", "ffn_hc.base", "hc_head.hc_base")):
                value = normal(shape, 0.5)
            elif name.endswith(("attn_hc.scale", "ffn_hc.scale", "hc_head.hc_scale")):
                value = 0.5 + torch.rand(shape, generator=g)
            elif name.endswith("sinks"):
                value = normal(shape, 1.0)
            elif name.endswith("position_bias"):
                value = normal(shape, 0.5)
            elif name.endswith("experts.gate_up_proj"):
                value = normal(shape, 1.5 / math.sqrt(shape[2]))  # pre-activations ~N(0, 1.5^2): the clamp bites
            elif name.endswith("experts.down_proj"):
                value = normal(shape, 2.0 / math.sqrt(shape[2]))
            elif name.endswith(("o_b_proj.weight", "shared_experts.down_proj.weight")):
                value = normal(shape, 2.0 / math.sqrt(shape[1]))
            elif name.endswith(("shared_experts.gate_proj.weight", "shared_experts.up_proj.weight")):
                value = normal(shape, 1.5 / math.sqrt(shape[1]))
            elif param.dim() == 2:
                value = normal(shape, 1.0 / math.sqrt(shape[1]))
            else:
                raise ValueError(f"no init rule for parameter {name} of shape {shape}")
            param.copy_(value)
        for name, buffer in model.named_buffers():
            if name.endswith("e_score_correction_bias"):
                buffer.copy_(normal(tuple(buffer.shape), 0.5))
            elif name.endswith("tid2eid"):
                rows, k = buffer.shape
                perms = torch.stack([torch.randperm(cfg.n_routed_experts, generator=g)[:k] for _ in range(rows)])
                buffer.copy_(perms)
        # padding rows are zero; the special tokens keep their embeddings (prompts use BOS) but never win
        model.get_input_embeddings().weight[len(DSV4_SPECIALS) + BASE_VOCAB_SIZE:] = 0.0
        model.get_output_embeddings().weight[BASE_VOCAB_SIZE:] = 0.0


# FP8 / MXFP4 quantization (what DeepSeek's checkpoint stores; dequantized values are exact in BF16)

FP8_NAMES = ("self_attn.q_a_proj.weight", "self_attn.q_b_proj.weight", "self_attn.kv_proj.weight",
             "self_attn.o_a_proj.weight", "self_attn.o_b_proj.weight", "indexer.q_b_proj.weight",
             "shared_experts.gate_proj.weight", "shared_experts.up_proj.weight", "shared_experts.down_proj.weight")
E2M1_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def ue8m0_scale(amax, max_code: float):
    """power-of-two scale 2^ceil(log2(amax / max_code)) and its e8m0 byte"""
    import torch

    exponent = torch.ceil(torch.log2(torch.clamp(amax, min=1e-30) / max_code)).clamp(-127, 127)
    return torch.pow(2.0, exponent), (exponent + 127).to(torch.uint8)


def quantize_fp8_block(weight, block: int = 128):
    """[out, in] float32 -> (e4m3 bytes [out, in], e8m0 bytes [ceil(out/128), ceil(in/128)], dequantized)"""
    import torch

    out_dim, in_dim = weight.shape
    rows, cols = -(-out_dim // block), -(-in_dim // block)
    codes = torch.empty_like(weight, dtype=torch.float8_e4m3fn)
    scale_bytes = torch.empty((rows, cols), dtype=torch.uint8)
    dequant = torch.empty_like(weight)
    for r in range(rows):
        for c in range(cols):
            tile = weight[r * block:(r + 1) * block, c * block:(c + 1) * block]
            scale, byte = ue8m0_scale(tile.abs().max(), 448.0)
            q = (tile / scale).clamp(-448, 448).to(torch.float8_e4m3fn)
            codes[r * block:(r + 1) * block, c * block:(c + 1) * block] = q
            scale_bytes[r, c] = byte
            dequant[r * block:(r + 1) * block, c * block:(c + 1) * block] = q.to(torch.float32) * scale
    return codes.view(torch.uint8), scale_bytes, dequant


def quantize_mxfp4(weight):
    """[out, in] float32 -> (packed int8 [out, in/2] low nibble = even index, e8m0 [out, in/32], dequantized)"""
    import torch

    out_dim, in_dim = weight.shape
    if in_dim % 32:
        raise ValueError("MXFP4 needs the input dim to be a multiple of 32")
    blocks = weight.view(out_dim, in_dim // 32, 32)
    scale, scale_bytes = ue8m0_scale(blocks.abs().amax(dim=-1, keepdim=True), 6.0)
    scaled = (blocks / scale).clamp(-6, 6)
    table = torch.tensor(E2M1_VALUES)
    magnitude = (scaled.abs().unsqueeze(-1) - table).abs().argmin(dim=-1)  # nearest code (ties -> lower)
    sign = (scaled < 0) & (magnitude > 0)
    codes = (magnitude | (sign.to(torch.long) << 3)).view(out_dim, in_dim)
    dequant = (table[magnitude] * torch.where(sign, -1.0, 1.0) * scale).view(out_dim, in_dim)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).to(torch.uint8)
    return packed.view(torch.int8), scale_bytes.view(out_dim, in_dim // 32), dequant


# ---------------------------------------------------------------- checkpoint writing


DTYPE_SIZES = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "BF16": 2, "F16": 2, "F8_E4M3": 1, "F8_E8M0": 1, "I8": 1, "U8": 1}


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int], bytes]]) -> None:
    """Minimal safetensors writer (needed for F8_E8M0, which not every safetensors build can save). Like the
    safetensors library, it orders tensors by dtype size (largest first), so every tensor is aligned to its
    dtype (real checkpoints are; kernels read BF16 / F32 weights in place)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors, key=lambda n: (-DTYPE_SIZES[tensors[n][0]], n)):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for blob in blobs:
            handle.write(blob)


def tensor_bytes(tensor, dtype: str) -> tuple[str, list[int], bytes]:
    import torch

    shape = list(tensor.shape)
    if dtype == "BF16":
        data = tensor.to(torch.bfloat16).contiguous().view(torch.uint16).numpy().tobytes()
    elif dtype == "F32":
        data = tensor.to(torch.float32).contiguous().numpy().tobytes()
    elif dtype == "I64":
        data = tensor.to(torch.int64).contiguous().numpy().tobytes()
    elif dtype in ("F8_E4M3", "F8_E8M0"):
        data = tensor.contiguous().view(torch.uint8).numpy().tobytes()
    elif dtype == "I8":
        data = tensor.contiguous().view(torch.int8).numpy().tobytes()
    else:
        raise ValueError(dtype)
    return dtype, shape, data


def deepseek_name(hf_name: str) -> str | None:
    """transformers name -> DeepSeek's published name (None for the merged expert tensors, split elsewhere)."""
    name = hf_name.removeprefix("model.")
    top = {"embed_tokens.weight": "embed.weight", "lm_head.weight": "head.weight", "norm.weight": "norm.weight",
           "hc_head.hc_fn": "hc_head_fn", "hc_head.hc_base": "hc_head_base", "hc_head.hc_scale": "hc_head_scale"}
    if name in top:
        return top[name]
    parts = name.split(".")
    if parts[0] != "layers":
        raise ValueError(f"unexpected tensor {hf_name}")
    prefix, rest = f"layers.{parts[1]}", ".".join(parts[2:])
    if rest in ("mlp.experts.gate_up_proj", "mlp.experts.down_proj"):
        return None
    table = {
        "input_layernorm.weight": "attn_norm.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "attn_hc.fn": "hc_attn_fn", "attn_hc.base": "hc_attn_base", "attn_hc.scale": "hc_attn_scale",
        "ffn_hc.fn": "hc_ffn_fn", "ffn_hc.base": "hc_ffn_base", "ffn_hc.scale": "hc_ffn_scale",
        "self_attn.q_a_proj.weight": "attn.wq_a.weight",
        "self_attn.q_a_norm.weight": "attn.q_norm.weight",
        "self_attn.q_b_proj.weight": "attn.wq_b.weight",
        "self_attn.kv_proj.weight": "attn.wkv.weight",
        "self_attn.kv_norm.weight": "attn.kv_norm.weight",
        "self_attn.o_a_proj.weight": "attn.wo_a.weight",
        "self_attn.o_b_proj.weight": "attn.wo_b.weight",
        "self_attn.sinks": "attn.attn_sink",
        "self_attn.compressor.kv_proj.weight": "attn.compressor.wkv.weight",
        "self_attn.compressor.gate_proj.weight": "attn.compressor.wgate.weight",
        "self_attn.compressor.position_bias": "attn.compressor.ape",
        "self_attn.compressor.kv_norm.weight": "attn.compressor.norm.weight",
        "self_attn.compressor.indexer.kv_proj.weight": "attn.indexer.compressor.wkv.weight",
        "self_attn.compressor.indexer.gate_proj.weight": "attn.indexer.compressor.wgate.weight",
        "self_attn.compressor.indexer.position_bias": "attn.indexer.compressor.ape",
        "self_attn.compressor.indexer.kv_norm.weight": "attn.indexer.compressor.norm.weight",
        "self_attn.compressor.indexer.q_b_proj.weight": "attn.indexer.wq_b.weight",
        "self_attn.compressor.indexer.scorer.weights_proj.weight": "attn.indexer.weights_proj.weight",
        "mlp.gate.weight": "ffn.gate.weight",
        "mlp.gate.e_score_correction_bias": "ffn.gate.bias",
        "mlp.gate.tid2eid": "ffn.gate.tid2eid",
        "mlp.shared_experts.gate_proj.weight": "ffn.shared_experts.w1.weight",
        "mlp.shared_experts.up_proj.weight": "ffn.shared_experts.w3.weight",
        "mlp.shared_experts.down_proj.weight": "ffn.shared_experts.w2.weight",
    }
    if rest not in table:
        raise ValueError(f"no DeepSeek name for {hf_name}")
    return f"{prefix}.{table[rest]}"


# DeepSeek ships these in F32 (hc_*, attn_sink, ape, gate.bias), tid2eid in I64; the rest of the
# non-quantized tensors in BF16 (dsv4-architecture.md §3).
def deepseek_dtype(ds_name: str) -> str:
    if ds_name.endswith("tid2eid"):
        return "I64"
    if "hc_" in ds_name or ds_name.endswith(("attn_sink", ".ape", "gate.bias")):
        return "F32"
    return "BF16"


def write_deepseek_checkpoint(state: dict, directory: Path, quantize: bool) -> dict:
    """Renames (and, if asked, quantizes) a transformers state dict into DeepSeek's layout. Returns the
    dequantized state dict (transformers names) that the twin must hold."""
    out: dict[str, tuple[str, list[int], bytes]] = {}
    twin = {}
    for hf_name, tensor in state.items():
        tensor = tensor.detach().cpu()
        if hf_name.endswith("mlp.experts.gate_up_proj") or hf_name.endswith("mlp.experts.down_proj"):
            layer = hf_name.split(".")[2]
            experts = tensor.float()
            dequant = experts.clone()
            for e in range(experts.shape[0]):
                if hf_name.endswith("gate_up_proj"):
                    half = experts.shape[1] // 2
                    pieces = {"w1": (experts[e, :half], slice(0, half)), "w3": (experts[e, half:], slice(half, None))}
                else:
                    pieces = {"w2": (experts[e], slice(None))}
                for w, (matrix, rows) in pieces.items():
                    key = f"layers.{layer}.ffn.experts.{e}.{w}"
                    if quantize:
                        packed, scales, deq = quantize_mxfp4(matrix)
                        out[f"{key}.weight"] = tensor_bytes(packed, "I8")
                        out[f"{key}.scale"] = tensor_bytes(scales, "F8_E8M0")
                        dequant[e, rows] = deq
                    else:
                        out[f"{key}.weight"] = tensor_bytes(matrix, "BF16")
            twin[hf_name] = dequant
            continue
        ds = deepseek_name(hf_name)
        if quantize and hf_name.endswith(FP8_NAMES):
            codes, scales, deq = quantize_fp8_block(tensor.float())
            out[ds] = tensor_bytes(codes, "F8_E4M3")
            out[ds.removesuffix(".weight") + ".scale"] = tensor_bytes(scales, "F8_E8M0")
            twin[hf_name] = deq
        else:
            out[ds] = tensor_bytes(tensor, deepseek_dtype(ds))
            twin[hf_name] = tensor
    write_safetensors(directory / "model.safetensors", out)
    return twin


def write_transformers_checkpoint(state: dict, config, directory: Path, generation: dict) -> None:
    """transformers names, BF16 (tid2eid stays I64), config.json as transformers writes it."""
    import torch
    from safetensors.torch import save_file
    from transformers import GenerationConfig

    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v if v.dtype == torch.int64 else v.to(torch.bfloat16)).contiguous() for k, v in state.items()}
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config.dtype = "bfloat16"
    config.save_pretrained(directory)
    GenerationConfig(**generation).save_pretrained(directory)


def reset_dir(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


# ---------------------------------------------------------------- references


class IndexerGapProbe:
    """Forward hook on every indexer scorer: the smallest gap between the k-th and (k+1)-th visible score over
    all queries (positions are 0..S-1: references always run without a cache)."""

    def __init__(self, model):
        from transformers.models.deepseek_v4 import modeling_deepseek_v4 as m

        self.min_gap = math.inf
        self.selections = 0
        self.handles = []
        for module in model.modules():
            if isinstance(module, m.DeepseekV4Indexer):
                self.handles.append(module.scorer.register_forward_hook(self.make_hook(module.compress_rate, module.index_topk)))

    def make_hook(self, ratio: int, top_k: int):
        import torch

        def hook(_module, _inputs, scores):
            seq = scores.shape[1]
            for i in range(seq):
                visible = (i + 1) // ratio
                if visible <= top_k:
                    continue
                values = torch.sort(scores[0, i, :visible].float(), descending=True).values
                self.min_gap = min(self.min_gap, float(values[top_k - 1] - values[top_k]))
                self.selections += 1

        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


class ClampProbe:
    """Fraction of SwiGLU pre-activations the clamp changes (shared and routed experts)."""

    def __init__(self, model, limit: float):
        import torch
        import torch.nn.functional as F
        from transformers.models.deepseek_v4 import modeling_deepseek_v4 as m

        self.counts = {"shared": [0, 0], "routed": [0, 0]}
        self.handles = []

        def count(kind, gate, up):
            changed = (gate > limit).sum() + (up.abs() > limit).sum()
            self.counts[kind][0] += int(changed)
            self.counts[kind][1] += gate.numel() + up.numel()

        for module in model.modules():
            if isinstance(module, m.DeepseekV4MLP):
                def shared_hook(mod, inputs, _out):
                    count("shared", mod.gate_proj(inputs[0]), mod.up_proj(inputs[0]))
                self.handles.append(module.register_forward_hook(shared_hook))
            elif isinstance(module, m.DeepseekV4Experts):
                def routed_hook(mod, inputs, _out):
                    hidden, index = inputs[0], inputs[1]
                    for e in torch.unique(index).tolist():
                        rows = (index == e).any(dim=-1)
                        gate, up = F.linear(hidden[rows], mod.gate_up_proj[e]).chunk(2, dim=-1)
                        count("routed", gate, up)
                self.handles.append(module.register_forward_hook(routed_hook))

    def fractions(self) -> dict:
        return {k: (c / n if n else 0.0) for k, (c, n) in self.counts.items()}

    def remove(self):
        for handle in self.handles:
            handle.remove()


def fixture_prompts(variant: Variant, tokenizer) -> list[dict]:
    rng = random.Random(variant.seed)  # prompts do not change when the weight seed is re-drawn
    bos = tokenizer.convert_tokens_to_ids(BOS)
    ordinary = range(4, BASE_VOCAB_SIZE)  # skip the base tokenizer's own special tokens
    prompts = []
    for name, length in variant.prompt_lengths.items():
        ids = [bos] + rng.choices(ordinary, k=length - 1)
        prompts.append({"name": name, "kind": "ids", "input_ids": ids})
    text = f"{BOS}<｜User｜>{TEXT_PROMPT}<｜Assistant｜></think>"
    prompts.append({"name": "text", "kind": "text", "text": text,
                    "input_ids": tokenizer.encode(text, add_special_tokens=False)})
    return prompts


def layer_probe(model, input_ids: list[int]) -> dict:
    """Last-position values after each stage (decoder layer streams, attention / MoE outputs, hc head, norm)
    and every compressor's entries, for debugging a port layer by layer."""
    import torch
    from transformers.models.deepseek_v4 import modeling_deepseek_v4 as m

    captured, handles = {}, []

    def last(name):
        def record(_module, _inputs, output):
            tensor = output[0] if isinstance(output, tuple) else output
            captured[name] = tensor[0, -1].to(torch.float32).flatten().tolist()
        return record

    def entries(name):
        def record(_module, _inputs, output):
            tensor = output[0] if isinstance(output, tuple) else output
            if tensor.dim() == 4:  # main compressors return [B, 1, T, D]
                tensor = tensor[:, 0]
            captured[name] = tensor[0].to(torch.float32).tolist()
        return record

    inner = model.model
    for i, layer in enumerate(inner.layers):
        handles.append(layer.register_forward_hook(last(f"layer_{i}.streams")))
        handles.append(layer.self_attn.register_forward_hook(last(f"layer_{i}.attn_out")))
        handles.append(layer.mlp.register_forward_hook(last(f"layer_{i}.moe_out")))
        compressor = layer.self_attn.compressor
        if compressor is not None:
            handles.append(compressor.register_forward_hook(entries(f"layer_{i}.compressed")))
            if isinstance(compressor, m.DeepseekV4CSACompressor):
                def topk_hook(_module, _inputs, output, i=i):
                    captured[f"layer_{i}.indexer_topk_last"] = sorted(int(x) for x in output[0, -1].tolist())
                handles.append(compressor.indexer.register_forward_hook(topk_hook))
    handles.append(inner.hc_head.register_forward_hook(last("hc_head")))
    handles.append(inner.norm.register_forward_hook(last("final_norm")))
    try:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([input_ids]), use_cache=False).logits[0, -1]
    finally:
        for handle in handles:
            handle.remove()
    captured["logits_head"] = logits[:16].tolist()
    return {"input_ids": list(input_ids), "position": len(input_ids) - 1, "values": captured}


def cached_decode_check(model, prompt: dict) -> dict:
    """HF's own cached decode against its full recompute (informational: the reference is the latter)."""
    import torch

    ids = prompt["input_ids"] + prompt["output_ids"]
    n = len(prompt["input_ids"])
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids[:n]]), use_cache=True)
        cache, worst = out.past_key_values, 0.0
        for step, token in enumerate(ids[n:-1]):
            out = model(input_ids=torch.tensor([[token]]), past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            lp = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            for cand in prompt["logprobs"][step + 1]["top"]:
                worst = max(worst, abs(float(lp[cand["token_id"]]) - cand["logprob"]))
    return {"prompt": prompt["name"], "max_abs_logprob_diff_cached_vs_recompute": worst}


def safely(fn, *args) -> dict:
    """informational checks must not cost the fixture: their failure is recorded instead"""
    try:
        return fn(*args)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"[:2000]}


def rope_info(model) -> dict:
    rotary = model.model.rotary_emb
    return {
        label: {
            "inv_freq": [float(x) for x in getattr(rotary, f"{label}_inv_freq").tolist()],
            "attention_scaling": float(getattr(rotary, f"{label}_attention_scaling")),
        }
        for label in ("main", "compress")
    }


def load_reference_model(directory: Path, config=None):
    import torch
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": torch.float32, "attn_implementation": "eager", "output_loading_info": True}
    if config is not None:
        kwargs["config"] = config
    model, info = AutoModelForCausalLM.from_pretrained(directory, **kwargs)
    model.eval()
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    return model, problems


def tensor_index(path: Path) -> dict:
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    header.pop("__metadata__", None)
    return {k: {"dtype": v["dtype"], "shape": v["shape"]} for k, v in sorted(header.items())}


def library_versions() -> dict:
    import tokenizers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def generation_defaults() -> dict:
    return {"bos_token_id": BASE_VOCAB_SIZE, "eos_token_id": BASE_VOCAB_SIZE + 1, "do_sample": True,
            "temperature": 0.6, "top_p": 0.95}


def make_variant(variant: Variant, out_dir: Path, tokenizer) -> dict:
    import torch
    from transformers import DeepseekV4ForCausalLM
    from transformers.models.deepseek_v4 import modeling_deepseek_v4 as m

    started = time.time()
    directory = out_dir / variant.name
    hf_dir = out_dir / f"{variant.name}-twin" if variant.quantized else (directory if variant.naming == "transformers" else out_dir / f".{variant.name}-hf")
    prompts = fixture_prompts(variant, tokenizer)
    special_ids = set(range(BASE_VOCAB_SIZE, MODEL_VOCAB))

    for attempt in range(MAX_SEED_ATTEMPTS):
        seed = variant.seed + attempt
        config = hf_config(variant)
        model = DeepseekV4ForCausalLM(config).to(torch.float32)
        init_weights(model, seed)
        # every float tensor rounded to BF16 first: both namings and the reference then hold identical values
        state = {k: (v.detach().to(torch.bfloat16).to(torch.float32) if v.is_floating_point() else v.detach().clone())
                 for k, v in model.state_dict().items()}
        if variant.naming == "deepseek":
            reset_dir(directory)
            state = write_deepseek_checkpoint(state, directory, quantize=variant.quantized)
        reset_dir(hf_dir)
        write_transformers_checkpoint(state, hf_config(variant), hf_dir, generation_defaults())
        reference, load_problems = load_reference_model(hf_dir)
        if load_problems:
            raise AssertionError(f"{hf_dir}: HF reload problems {load_problems}")
        gap_probe = IndexerGapProbe(reference)
        clamp_probe = ClampProbe(reference, variant.swiglu_limit)
        results = []
        for prompt in prompts:
            result = greedy_reference(reference, prompt["input_ids"], MAX_NEW_TOKENS)
            del result["top_gaps"]  # the DSV4 fixtures record the top-1 margins only
            result["output_text"] = tokenizer.decode(result["output_ids"])
            results.append({**{k: v for k, v in prompt.items() if k != "input_ids"}, **result})
        gap_probe.remove()
        clamp_probe.remove()
        problems = []
        margins = [mg for r in results for mg in r["margins"]]
        if min(margins) < MIN_MARGIN:
            problems.append(f"top-1 margin {min(margins):.2e} < {MIN_MARGIN}")
        if gap_probe.min_gap < MIN_INDEXER_GAP:
            problems.append(f"indexer boundary gap {gap_probe.min_gap:.2e} < {MIN_INDEXER_GAP}")
        generated_special = [t for r in results for t in r["output_ids"] if t in special_ids]
        if generated_special:
            problems.append(f"generated special tokens {generated_special[:4]}")
        if not problems:
            break
        log(f"{variant.name}: seed {seed} rejected: {problems}")
    else:
        raise RuntimeError(f"{variant.name}: no acceptable seed in {MAX_SEED_ATTEMPTS} attempts")
    log(f"{variant.name}: seed {seed} accepted after {attempt + 1} attempt(s)")

    # config.json / tokenizer for the published directory
    if variant.naming == "deepseek":
        write_json(directory / "config.json", deepseek_config_json(variant, variant.quantized))
        from transformers import GenerationConfig
        GenerationConfig(**generation_defaults()).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    if variant.quantized:
        tokenizer.save_pretrained(hf_dir)

    document = {
        "schema_version": SCHEMA_VERSION,
        "variant": variant.name,
        "architecture": ARCHITECTURE,
        "naming": variant.naming,
        "quantized": variant.quantized,
        "reference_source": hf_dir.name if variant.quantized else variant.name,
        "features": variant.features,
        "generator": {
            **library_versions(),
            "script": "tools/reference/make_dsv4_fixtures.py",
            "reference_dtype": "float32",
            "attn_implementation": "eager",
            "device": "cpu",
            "method": "transformers-named checkpoint reloaded with dtype=float32; every greedy step re-runs the whole "
                      "sequence without a cache; logprobs = log_softmax(logits) in float32",
            "not_simulated": "DeepSeek's FP8 KV / FP4 indexer QAT simulations and activation quantization (HF omits them)",
        },
        "seed": seed,
        "seed_attempts": attempt + 1,
        "max_new_tokens": MAX_NEW_TOKENS,
        "top_n": TOP_N,
        "min_margin_required": MIN_MARGIN,
        "min_indexer_gap_required": MIN_INDEXER_GAP,
        "indexer_boundary": {"min_gap": gap_probe.min_gap, "selections_checked": gap_probe.selections},
        "clamp_fraction": clamp_probe.fractions(),
        "min_margin": min(margins),
        "special_token_ids": {t: tokenizer.convert_tokens_to_ids(t) for t in DSV4_SPECIALS},
        "hf_config": json.loads((hf_dir / "config.json").read_text()),
        "rope": safely(rope_info, reference),
        "tensors": tensor_index(directory / "model.safetensors"),
        "prompts": results,
        "probe": safely(layer_probe, reference, next(p["input_ids"] for p in prompts if len(p["input_ids"]) > 16)),
        "cached_decode_check": safely(cached_decode_check, reference, results[-1]),
    }

    if variant.naming == "deepseek" and not variant.quantized:
        document["hf_reload_of_deepseek_names"] = safely(hf_reload_check, directory, reference, results[0])
        shutil.rmtree(hf_dir)
    write_json(directory / "reference.json", document)
    if variant.quantized:
        twin_doc = {k: document[k] for k in ("schema_version", "architecture", "generator", "seed", "max_new_tokens",
                                              "top_n", "rope", "prompts", "probe")}
        twin_doc.update(variant=hf_dir.name, naming="transformers", quantized=False,
                        features=["dequantized twin of dsv4-fp8-mxfp4 (BF16 holds every dequantized value exactly)"],
                        tensors=tensor_index(hf_dir / "model.safetensors"))
        write_json(hf_dir / "reference.json", twin_doc)
    summary = {"seed": seed, "min_margin": document["min_margin"], "indexer_min_gap": gap_probe.min_gap,
               "clamp": document["clamp_fraction"], "seconds": round(time.time() - started, 1)}
    log(f"{variant.name}: {summary}")
    return summary


def hf_reload_check(directory: Path, reference, prompt: dict) -> dict:
    """Loads the DeepSeek-named directory through HF's own conversion mapping and compares logits with the
    transformers-named reference: evidence that the renaming matches what HF believes DeepSeek ships."""
    import torch

    try:
        model, problems = load_reference_model(directory)
    except Exception as error:  # recorded, not fatal: our loader's tests do not depend on it
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:2000]}
    ids = torch.tensor([prompt["input_ids"]])
    with torch.no_grad():
        a = reference(input_ids=ids, use_cache=False).logits
        b = model(input_ids=ids, use_cache=False).logits
    diff = float((a - b).abs().max())
    return {"ok": diff < 1e-4 and not problems, "max_abs_logit_diff": diff, "load_problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.environ.get("OUT", "out"), help="output folder (dsv4/ is created in it)")
    parser.add_argument("--variants", default="all", help=f"comma list of: {', '.join(VARIANTS_BY_NAME)}")
    parser.add_argument("--threads", type=int, default=min(16, os.cpu_count() or 1))
    args = parser.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    log(f"versions {library_versions()}, threads {args.threads}")

    names = list(VARIANTS_BY_NAME) if args.variants == "all" else args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS_BY_NAME]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS_BY_NAME)}")
    out_dir = Path(args.out) / "dsv4"
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    summary = {}
    for name in names:
        try:
            summary[name] = make_variant(VARIANTS_BY_NAME[name], out_dir, tokenizer)
        except Exception as error:  # keep going: one broken variant must not cost the others' device time
            import traceback
            traceback.print_exc()
            summary[name] = {"error": f"{type(error).__name__}: {error}"}
    log(f"summary {json.dumps(summary)}")
    return 0 if all("error" not in s for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
