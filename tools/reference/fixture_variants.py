"""The tiny checkpoints the references are recorded for: one entry per feature combination under test.

Every variant shares hidden 64 / head_dim 16 (except qwen3: head_dim 32 != hidden/heads) and the
fixture tokenizer (vocab 1000). Rope theta 10000 is used where scaling is tested so that most rotary
dimensions turn noticeably within the ~170 positions the prompts reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixture_tokenizer import SPECIAL_TOKENS, VOCAB_SIZE

BOS_ID = SPECIAL_TOKENS.index("<|begin_of_text|>")
EOS_ID = SPECIAL_TOKENS.index("<|end_of_text|>")
IM_END_ID = SPECIAL_TOKENS.index("<|im_end|>")


@dataclass(frozen=True)
class Variant:
    name: str
    architecture: str  # HF class name, also config.architectures[0]
    config_class: str  # transformers config class name
    config: dict  # kwargs for the config class
    storage_dtype: str  # "float32" | "bfloat16"
    tokenizer_flavour: str  # "llama" (adds BOS) | "qwen" (adds nothing)
    generation: dict  # generation_config.json contents
    features: list[str]
    seed: int
    # transformers 5 writes the chat template to chat_template.jinja by default; one variant keeps
    # that layout so the loader meets both real formats.
    chat_template_in_jinja_file: bool = False
    # Most Hub checkpoints predate transformers 5 and write `rope_theta` + `rope_scaling` ({"type": ...});
    # one variant is rewritten that way (and its reload is checked to mean the same rope).
    legacy_rope_config: bool = False


COMMON = dict(
    vocab_size=VOCAB_SIZE,
    hidden_size=64,
    intermediate_size=128,
    hidden_act="silu",
    rms_norm_eps=1e-5,
    max_position_embeddings=512,
    attention_dropout=0.0,
)
LLAMA_TOKENS = dict(bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=None)
QWEN_TOKENS = dict(bos_token_id=None, eos_token_id=IM_END_ID, pad_token_id=None)
LLAMA_GENERATION = dict(bos_token_id=BOS_ID, eos_token_id=[EOS_ID, IM_END_ID])
QWEN_GENERATION = dict(
    eos_token_id=[IM_END_ID, EOS_ID], do_sample=True, temperature=0.7, top_p=0.8, top_k=20
)

VARIANTS: list[Variant] = [
    Variant(
        name="llama-f32-gqa",
        architecture="LlamaForCausalLM",
        config_class="LlamaConfig",
        config=dict(
            COMMON,
            **LLAMA_TOKENS,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=False,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        ),
        storage_dtype="float32",
        tokenizer_flavour="llama",
        generation=LLAMA_GENERATION,
        features=["F32 storage", "GQA 4 q heads / 2 kv heads", "untied lm_head", "default rope theta 1e4", "BOS added"],
        seed=1000,
    ),
    Variant(
        name="llama-bf16-llama3",
        architecture="LlamaForCausalLM",
        config_class="LlamaConfig",
        config=dict(
            COMMON,
            **LLAMA_TOKENS,
            num_hidden_layers=3,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=True,
            rope_parameters={
                "rope_type": "llama3",
                "rope_theta": 10000.0,
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64,
            },
        ),
        storage_dtype="bfloat16",
        tokenizer_flavour="llama",
        generation=LLAMA_GENERATION,
        features=[
            "BF16 storage",
            "3 layers",
            "GQA 4/2",
            "tied embeddings (no lm_head tensor in the file)",
            "llama3 rope scaling, factor 8, original_max_position_embeddings 64 (all three frequency bands hit)",
        ],
        seed=2000,
    ),
    Variant(
        name="llama-f32-linear",
        architecture="LlamaForCausalLM",
        config_class="LlamaConfig",
        config=dict(
            COMMON,
            **LLAMA_TOKENS,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=1,
            tie_word_embeddings=False,
            rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0},
        ),
        storage_dtype="float32",
        tokenizer_flavour="llama",
        generation=LLAMA_GENERATION,
        features=[
            "F32 storage",
            "MQA 4 q heads / 1 kv head",
            "linear rope scaling factor 2",
            "untied",
            'legacy config.json rope keys: rope_theta + rope_scaling {"type": "linear", "factor": 2.0}',
        ],
        seed=3000,
        legacy_rope_config=True,
    ),
    Variant(
        name="qwen2-f32-bias-yarn",
        architecture="Qwen2ForCausalLM",
        config_class="Qwen2Config",
        config=dict(
            COMMON,
            **QWEN_TOKENS,
            max_position_embeddings=256,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=False,
            use_sliding_window=False,
            rope_parameters={
                "rope_type": "yarn",
                "rope_theta": 10000.0,
                "factor": 4.0,
                "original_max_position_embeddings": 64,
            },
        ),
        storage_dtype="float32",
        tokenizer_flavour="qwen",
        generation=QWEN_GENERATION,
        features=[
            "F32 storage",
            "q/k/v projection bias (o_proj has none)",
            "yarn rope scaling factor 4, original_max_position_embeddings 64 (attention factor 0.1 ln 4 + 1)",
            "GQA 4/2",
            "no BOS",
        ],
        seed=4000,
    ),
    Variant(
        name="qwen3-bf16-qknorm",
        architecture="Qwen3ForCausalLM",
        config_class="Qwen3Config",
        config=dict(
            COMMON,
            **QWEN_TOKENS,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=32,
            tie_word_embeddings=True,
            attention_bias=False,
            use_sliding_window=False,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        ),
        storage_dtype="bfloat16",
        tokenizer_flavour="qwen",
        generation=QWEN_GENERATION,
        features=[
            "BF16 storage",
            "per-head q/k RMSNorm",
            "head_dim 32 != hidden/heads (q_proj 64->128, o_proj 128->64)",
            "tied embeddings",
            "default rope theta 1e6",
            "chat template in chat_template.jinja (not in tokenizer_config.json)",
        ],
        seed=5000,
        chat_template_in_jinja_file=True,
    ),
    Variant(
        name="mistral-f32-swa",
        architecture="MistralForCausalLM",
        config_class="MistralConfig",
        config=dict(
            COMMON,
            **LLAMA_TOKENS,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            tie_word_embeddings=False,
            sliding_window=32,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        ),
        storage_dtype="float32",
        tokenizer_flavour="llama",
        generation=LLAMA_GENERATION,
        features=[
            "F32 storage",
            "sliding window 32: query i attends keys j with i - 32 < j <= i (HF masking_utils)",
            "prompts of ~50 and ~150 tokens exceed the window",
            "GQA 4/2",
        ],
        seed=6000,
    ),
]

VARIANTS_BY_NAME = {variant.name: variant for variant in VARIANTS}


def make_config(variant: Variant):
    import transformers

    config_class = getattr(transformers, variant.config_class)
    config = config_class(**variant.config)
    config.architectures = [variant.architecture]
    return config


def legacy_rope_keys(rope_parameters: dict) -> dict:
    """The pre-transformers-5 spelling of a rope_parameters dict (top-level config keys)."""
    scaling = {key: value for key, value in rope_parameters.items() if key not in ("rope_theta", "rope_type")}
    legacy = {"rope_theta": rope_parameters["rope_theta"], "rope_scaling": None}
    if rope_parameters.get("rope_type", "default") != "default":
        legacy["rope_scaling"] = {"type": rope_parameters["rope_type"], **scaling}
    return legacy
