"""Trains the small byte-level BPE tokenizer shared by the fixture checkpoints and saves it in HF format.

One trained vocabulary, two flavours that differ only in what `encode` adds:
  - "llama": prepends <|begin_of_text|> (TemplateProcessing), template starts with {{ bos_token }}
  - "qwen":  adds nothing (ByteLevel post-processor), template has no BOS
Both are saved with PreTrainedTokenizerFast.save_pretrained so tokenizer.json / tokenizer_config.json
are exactly what HF writes.
"""

from __future__ import annotations

from fixture_corpus import CORPUS

VOCAB_SIZE = 1000
BOS = "<|begin_of_text|>"
EOS = "<|end_of_text|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [BOS, EOS, IM_START, IM_END]  # ids 0..3 in this order

# Llama 3 pre-tokenizer split pattern (numbers in groups of up to 3 digits).
SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

CHATML_BODY = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
CHAT_TEMPLATES = {
    "llama": "{{- bos_token }}" + CHATML_BODY,
    "qwen": CHATML_BODY,
}


def train_base_tokenizer():
    """Deterministic ByteLevel BPE trained on the embedded corpus (no post-processor yet)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=1,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS.splitlines(keepends=True), trainer=trainer)
    return tokenizer


def build_hf_tokenizer(flavour: str):
    """Wraps the trained tokenizer as a PreTrainedTokenizerFast of the given flavour."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    if flavour not in CHAT_TEMPLATES:
        raise ValueError(f"unknown tokenizer flavour {flavour!r}; use one of {sorted(CHAT_TEMPLATES)}")
    tokenizer = train_base_tokenizer()
    add_bos = flavour == "llama"
    if add_bos:
        bos_id = tokenizer.token_to_id(BOS)
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{BOS}:0 $A:0",
            pair=f"{BOS}:0 $A:0 {BOS}:1 $B:1",
            special_tokens=[(BOS, bos_id)],
        )
    else:
        tokenizer.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=IM_END if flavour == "qwen" else EOS,
        pad_token=EOS,
        additional_special_tokens=[IM_START, IM_END],
        add_bos_token=add_bos,
        add_eos_token=False,
        clean_up_tokenization_spaces=False,
        model_max_length=4096,
        chat_template=CHAT_TEMPLATES[flavour],
    )


def special_token_ids(hf_tokenizer) -> dict[str, int]:
    return {token: hf_tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
