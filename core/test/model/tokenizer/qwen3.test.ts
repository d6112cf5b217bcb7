import { beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplateError, InvalidArgumentError } from '../../../src/errors.ts';
import { loadTokenizer } from '../../../src/model/index.ts';
import type { TextTokenizer } from '../../../src/model/index.ts';
import { qwen3TokenizerDir } from '../helpers/qwen3-tokenizer.ts';

let tok: TextTokenizer;
beforeAll(async () => { tok = await loadTokenizer(qwen3TokenizerDir()); });

const IM_START = 151644;
const IM_END = 151645;
const ENDOFTEXT = 151643;
const THINK = 151667;

describe('Qwen3 tokenizer (real tokenizer.json)', () => {
  it('encodes like transformers: no BOS for Qwen', () => {
    expect(tok.encode('Hello, world!')).toEqual([9707, 11, 1879, 0]);
    expect(tok.encode('Hello, world!', { addSpecialTokens: false })).toEqual([9707, 11, 1879, 0]);
    expect(tok.encode('')).toEqual([]);
  });

  it('knows its special tokens and vocabulary size', () => {
    expect(tok.special.bos).toBeUndefined();
    expect(tok.special.eos).toEqual({ id: IM_END, text: '<|im_end|>' });
    expect(tok.special.pad).toEqual({ id: ENDOFTEXT, text: '<|endoftext|>' });
    expect(tok.special.specialIds.has(IM_START)).toBe(true);
    expect(tok.special.specialIds.has(THINK)).toBe(false); // <think> is an added token but not special
    expect(tok.vocabSize).toBe(151669);
    expect(tok.encode('<|im_start|>user')).toEqual([IM_START, 872]);
  });

  it('decodes back to the text, including CJK, emoji and special tokens', () => {
    const text = 'Plexus: 你好，世界 😀👍🏽 — naïve café <think>ok</think><|im_end|>';
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    expect(ids).toContain(IM_END);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(text.replace('<|im_end|>', ''));
    expect(tok.decode([])).toBe('');
  });

  it('ids outside the vocabulary decode to nothing; malformed ids are an InvalidArgumentError', () => {
    const ids = tok.encode('Hello');
    expect(tok.decode([...ids, 151900, 10_000_000])).toBe('Hello');
    expect(() => tok.decode([-1])).toThrow(InvalidArgumentError);
    expect(() => tok.decode([1.5])).toThrow(InvalidArgumentError);
    expect(() => tok.encode(42 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it('renders the chat template with a generation prompt and enable_thinking', () => {
    expect(tok.hasChatTemplate).toBe(true);
    const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }];
    const prompt = '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n';
    expect(tok.applyChatTemplate(messages)).toBe(prompt);
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(`${prompt}<|im_start|>assistant\n`);
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: true, extra: { enable_thinking: false } }))
      .toBe(`${prompt}<|im_start|>assistant\n<think>\n\n</think>\n\n`);
    const ids = tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
    expect(ids[0]).toBe(IM_START);
    expect(ids.at(-3)).toBe(IM_START);
  });

  it('renders tools and multi-turn history', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const out = tok.applyChatTemplate([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
      { role: 'tool', content: '18C' },
    ], { tools, addGenerationPrompt: true });
    expect(out.startsWith('<|im_start|>system\n# Tools')).toBe(true);
    expect(out).toContain('"name": "get_weather"');
    expect(out).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
    expect(out).toContain('<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n');
    expect(out.endsWith('<|im_start|>assistant\n')).toBe(true);
  });

  it('template failures and reserved kwargs are typed errors', () => {
    // the Qwen3 template calls .startswith on user content; null content makes it fail inside the template
    expect(() => tok.applyChatTemplate([{ role: 'user', content: null }])).toThrow(ChatTemplateError);
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }], { extra: { messages: [] } })).toThrow(InvalidArgumentError);
  });
});
