import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatTemplateError, CheckpointFormatError } from '../../../src/errors.ts';
import { loadTokenizer } from '../../../src/model/index.ts';
import { byteLevelTokenizer, writeTokenizerDir } from '../helpers/synthetic-tokenizers.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => { tmp = makeTempDir(); });
afterEach(() => tmp.cleanup());

const BOS = 256;
const EOS = 257;
const bytesOf = (s: string) => Array.from(Buffer.from(s, 'utf8'));

async function load(tokenizer: Record<string, unknown>, config?: Record<string, unknown>, templateFile?: string) {
  writeTokenizerDir(tmp.dir, tokenizer, config, templateFile);
  return loadTokenizer(tmp.dir);
}

describe('tokenizer_config rules', () => {
  it('without add_bos_token the post-processor decides (Llama-3 style BOS)', async () => {
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: true }), { bos_token: '<s>', eos_token: '</s>' });
    expect(tok.encode('hi é')).toEqual([BOS, ...bytesOf('hi é')]);
    expect(tok.encode('hi', { addSpecialTokens: false })).toEqual(bytesOf('hi'));
    expect(tok.special.bos).toEqual({ id: BOS, text: '<s>' });
  });

  it('explicit add_bos_token / add_eos_token override the post-processor', async () => {
    const noBos = await load(byteLevelTokenizer({ bosPostProcessor: true }), { bos_token: '<s>', eos_token: '</s>', add_bos_token: false });
    expect(noBos.encode('hi')).toEqual(bytesOf('hi'));
    const both = await load(byteLevelTokenizer({ bosPostProcessor: false }), { bos_token: '<s>', eos_token: '</s>', add_bos_token: true, add_eos_token: true });
    expect(both.encode('hi')).toEqual([BOS, ...bytesOf('hi'), EOS]);
    expect(both.encode('hi', { addSpecialTokens: false })).toEqual(bytesOf('hi'));
  });

  it('special tokens may be AddedToken objects; unknown bos/eos and bad flags are errors', async () => {
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: false }), {
      bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false }, eos_token: { content: '</s>' },
    });
    expect(tok.special.bos?.id).toBe(BOS);
    expect(tok.special.eos?.id).toBe(EOS);
    await expect(load(byteLevelTokenizer({ bosPostProcessor: false }), { eos_token: '<|eot|>' })).rejects.toThrow(/eos_token "<\|eot\|>" is not in the tokenizer vocabulary/);
    await expect(load(byteLevelTokenizer({ bosPostProcessor: false }), { add_bos_token: true })).rejects.toThrow(/no bos_token/);
    await expect(load(byteLevelTokenizer({ bosPostProcessor: false }), { add_bos_token: 'yes' })).rejects.toThrow(CheckpointFormatError);
    await expect(load(byteLevelTokenizer({ bosPostProcessor: false }), { eos_token: 5 })).rejects.toThrow(/eos_token must be/);
  });

  it('a missing or broken tokenizer.json is a CheckpointFormatError', async () => {
    await expect(loadTokenizer(tmp.dir)).rejects.toThrow(/tokenizer\.json.*file not found/);
    await expect(load({ model: 'nope' })).rejects.toThrow(CheckpointFormatError);
    await expect(load({ ...byteLevelTokenizer({ bosPostProcessor: false }), added_tokens: [{ id: 'x' }] })).rejects.toThrow(/added_tokens/);
  });

  it('skipSpecialTokens drops special added tokens but keeps ordinary added tokens', async () => {
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: true }), { bos_token: '<s>', eos_token: '</s>' });
    const ids = [BOS, ...bytesOf('a'), 258, ...bytesOf('b'), EOS];
    expect(tok.decode(ids)).toBe('<s>a<x>b</s>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('a<x>b');
  });

  it('clean_up_tokenization_spaces is applied only when configured', async () => {
    const text = "Hi , it 's done . Is n't it ?";
    const plain = await load(byteLevelTokenizer({ bosPostProcessor: false }), {});
    expect(plain.decode(bytesOf(text))).toBe(text);
    const cleaned = await load(byteLevelTokenizer({ bosPostProcessor: false }), { clean_up_tokenization_spaces: true });
    expect(cleaned.decode(bytesOf(text))).toBe("Hi, it's done. Isn't it?");
  });
});

describe('chat templates', () => {
  const simple = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";

  it('gets bos/eos strings, extras and raise_exception', async () => {
    const template = "{{ bos_token }}{% if messages[0].role != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}"
      + "{{ messages[0].content }}{% if greet is defined %}|{{ greet }}{% endif %}{% if tools is not none %}|tools{% endif %}{{ eos_token }}";
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: false }), { bos_token: '<s>', eos_token: '</s>', chat_template: template });
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hey' }])).toBe('<s>hey</s>');
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hey' }], { extra: { greet: 'yo' }, tools: [] })).toBe('<s>hey|yo|tools</s>');
    const err = (() => { try { tok.applyChatTemplate([{ role: 'assistant', content: 'x' }]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect((err as Error).message).toContain('first message must be from the user');
  });

  it('named templates: tool_use when tools are given, default otherwise', async () => {
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: false }), {
      chat_template: [{ name: 'default', template: 'D:{{ messages | length }}' }, { name: 'tool_use', template: 'T:{{ tools | length }}' }],
    });
    expect(tok.applyChatTemplate([{ role: 'user', content: 'a' }])).toBe('D:1');
    expect(tok.applyChatTemplate([{ role: 'user', content: 'a' }], { tools: [{}, {}] })).toBe('T:2');
    const noDefault = await load(byteLevelTokenizer({ bosPostProcessor: false }), { chat_template: [{ name: 'rag', template: 'R' }] });
    expect(() => noDefault.applyChatTemplate([])).toThrow(/none named "default"/);
  });

  it('chat_template.jinja overrides tokenizer_config', async () => {
    const tok = await load(byteLevelTokenizer({ bosPostProcessor: false }), { chat_template: 'from config' }, simple);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'q' }], { addGenerationPrompt: true })).toBe('[user]q[assistant]');
  });

  it('no template, or one that does not parse, is a ChatTemplateError', async () => {
    const none = await load(byteLevelTokenizer({ bosPostProcessor: false }), {});
    expect(none.hasChatTemplate).toBe(false);
    expect(() => none.applyChatTemplate([{ role: 'user', content: 'q' }])).toThrow(ChatTemplateError);
    const broken = await load(byteLevelTokenizer({ bosPostProcessor: false }), { chat_template: '{% if %}' });
    expect(broken.hasChatTemplate).toBe(true);
    expect(() => broken.applyChatTemplate([])).toThrow(/does not parse/);
    await expect(load(byteLevelTokenizer({ bosPostProcessor: false }), { chat_template: 42 })).rejects.toThrow(CheckpointFormatError);
  });
});
