"""What a reference.json records about a model reloaded from its saved files (float32, eager attention)."""

from __future__ import annotations

TOP_N = 5


def greedy_reference(model, input_ids: list[int], max_new_tokens: int) -> dict:
    """Greedy continuation, re-running the whole sequence at every step (no KV cache, so the
    reference is the model function itself), with float32 log_softmax of each step's logits."""
    import torch

    ids = list(input_ids)
    logprobs, margins, top_gaps = [], [], []
    for _ in range(max_new_tokens):
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), use_cache=False, logits_to_keep=1)
        logits = out.logits[0, -1].to(torch.float32)
        log_probs = torch.log_softmax(logits, dim=-1)
        top_values, top_ids = torch.topk(log_probs, TOP_N + 1)
        chosen = int(top_ids[0])
        if chosen != int(torch.argmax(logits)):
            raise AssertionError("topk and argmax disagree: a tie in the logits")
        gaps = [float(top_values[i] - top_values[i + 1]) for i in range(TOP_N)]
        logprobs.append(
            {
                "token_id": chosen,
                "logprob": float(log_probs[chosen]),
                "top": [
                    {"token_id": int(top_ids[i]), "logprob": float(top_values[i])} for i in range(TOP_N)
                ],
            }
        )
        margins.append(gaps[0])
        top_gaps.append(gaps)
        ids.append(chosen)
    return {
        "input_ids": list(input_ids),
        "output_ids": ids[len(input_ids):],
        "logprobs": logprobs,
        "margins": margins,
        "top_gaps": top_gaps,
    }


def float64_deviation(model, prompts: list[dict]) -> dict:
    """Re-scores every recorded continuation in float64: how far the float32 reference is from exact.

    Mutates the model (casts it to float64); call it last."""
    import torch

    model.to(torch.float64)
    max_logprob_diff, greedy_agrees = 0.0, True
    for prompt in prompts:
        full = prompt["input_ids"] + prompt["output_ids"]
        start = len(prompt["input_ids"]) - 1
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([full[:-1]]), use_cache=False).logits[0, start:]
        log_probs = torch.log_softmax(logits, dim=-1)
        for step, entry in enumerate(prompt["logprobs"]):
            greedy_agrees &= int(torch.argmax(log_probs[step])) == entry["token_id"]
            for candidate in entry["top"]:
                exact = float(log_probs[step, candidate["token_id"]])
                max_logprob_diff = max(max_logprob_diff, abs(exact - candidate["logprob"]))
    return {"max_abs_logprob_diff_vs_float64": max_logprob_diff, "float64_greedy_agrees": bool(greedy_agrees)}


def rope_info(model) -> dict:
    """The inverse frequencies and cos/sin scaling HF derived from the config (for debugging rope)."""
    rotary = model.model.rotary_emb
    return {
        "inv_freq": [float(x) for x in rotary.inv_freq.tolist()],
        "attention_scaling": float(rotary.attention_scaling),
    }


def hidden_state_probe(model, input_ids: list[int]) -> dict:
    """Last-position activations after the embedding, after each decoder layer and after the final norm."""
    import torch

    captured: dict[str, list[float]] = {}

    def hook(name):
        def record(_module, _inputs, output):
            tensor = output[0] if isinstance(output, tuple) else output
            captured[name] = [float(x) for x in tensor[0, -1].to(torch.float32).tolist()]

        return record

    inner = model.model
    handles = [inner.embed_tokens.register_forward_hook(hook("embed"))]
    handles += [layer.register_forward_hook(hook(f"layer_{i}")) for i, layer in enumerate(inner.layers)]
    handles.append(inner.norm.register_forward_hook(hook("final_norm")))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([input_ids]), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    order = ["embed"] + [f"layer_{i}" for i in range(len(inner.layers))] + ["final_norm"]
    return {"input_ids": list(input_ids), "position": len(input_ids) - 1, "order": order, "values": captured}


def tokenizer_checks(hf_tokenizer, raw_tokenizer, strings: list[str]) -> list[dict]:
    """HF encode (default add_special_tokens) / decode of each string; also asserts that the raw
    tokenizer.json (what a non-HF runtime loads) encodes identically."""
    checks = []
    for text in strings:
        ids = hf_tokenizer.encode(text)
        raw_ids = raw_tokenizer.encode(text).ids
        if ids != raw_ids:
            raise AssertionError(f"HF tokenizer and tokenizer.json disagree on {text!r}: {ids} vs {raw_ids}")
        checks.append(
            {
                "text": text,
                "ids": ids,
                "ids_no_special": hf_tokenizer.encode(text, add_special_tokens=False),
                "decoded": hf_tokenizer.decode(ids),
                "decoded_skip_special": hf_tokenizer.decode(ids, skip_special_tokens=True),
            }
        )
    return checks


def chat_template_ids(hf_tokenizer, messages: list[dict]) -> tuple[str, list[int]]:
    """Renders with add_generation_prompt=True; ids are the rendering encoded without added specials
    (that is what apply_chat_template does — asserted here)."""
    text = hf_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    encoded = hf_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    ids = list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)
    if ids != hf_tokenizer.encode(text, add_special_tokens=False):
        raise AssertionError("apply_chat_template ids differ from encode(rendered, add_special_tokens=False)")
    return text, ids


def chat_template_check(hf_tokenizer, messages: list[dict]) -> dict:
    text, ids = chat_template_ids(hf_tokenizer, messages)
    return {"messages": messages, "add_generation_prompt": True, "add_special_tokens": False, "text": text, "ids": ids}
