import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../src/model/index.ts';
import type { TextTokenizer } from '../../../src/model/index.ts';
import { prng } from '../helpers/prng.ts';
import { qwen3TokenizerDir } from '../helpers/qwen3-tokenizer.ts';
import {
  BYTE_FALLBACK_PIECES, BYTE_TOKEN_OFFSET, byteFallbackTokenizer, byteLevelTokenizer, byteToUnicode, writeTokenizerDir,
} from '../helpers/synthetic-tokenizers.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

/** Pushes ids in random chunks; returns every push output and the flush output. */
function stream(tok: TextTokenizer, ids: number[], rand: ReturnType<typeof prng>, opts: { skipSpecialTokens?: boolean; promptIds?: number[] } = {}) {
  const dec = tok.createStreamDecoder(opts);
  const pieces: string[] = [];
  for (let i = 0; i < ids.length;) {
    const n = 1 + rand.int(3);
    pieces.push(dec.push(ids.slice(i, i + n)));
    i += n;
  }
  const tail = dec.flush();
  expect(dec.flush()).toBe('');
  return { pieces, tail, text: pieces.join('') + tail };
}

const MULTIBYTE_TEXTS = ['你好世界', '😀👍🏽🇫🇷', 'naïve café', 'Ελληνικά', 'ज़िन्दगी', '한국어 텍스트', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\uFFFD literal'];

let qwen: TextTokenizer;
let qwenByteIds: number[]; // id of the single-byte token for each byte value
let tmp: ReturnType<typeof makeTempDir>;
let fallback: TextTokenizer;
let cleanup: TextTokenizer;

beforeAll(async () => {
  const dir = qwen3TokenizerDir();
  qwen = await loadTokenizer(dir);
  const vocab = (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  qwenByteIds = byteToUnicode().map((ch) => vocab[ch]!);
  tmp = makeTempDir();
  const fbDir = join(tmp.dir, 'fallback');
  const clDir = join(tmp.dir, 'cleanup');
  for (const d of [fbDir, clDir]) (await import('node:fs')).mkdirSync(d);
  writeTokenizerDir(fbDir, byteFallbackTokenizer(), { bos_token: '<s>', eos_token: '</s>', add_bos_token: true });
  writeTokenizerDir(clDir, byteLevelTokenizer({ bosPostProcessor: false }), { bos_token: '<s>', eos_token: '</s>', clean_up_tokenization_spaces: true });
  fallback = await loadTokenizer(fbDir);
  cleanup = await loadTokenizer(clDir);
});
afterAll(() => tmp?.cleanup());

describe('StreamDecoder property: push outputs + flush == decode(all ids)', () => {
  it('Qwen3 byte-level BPE: random ids, split multi-byte characters, special and out-of-vocab ids', () => {
    const rand = prng(1234);
    const specials = [151643, 151644, 151645, 151667, 151668];
    for (let trial = 0; trial < 250; trial++) {
      const ids: number[] = [];
      const len = 1 + rand.int(40);
      while (ids.length < len) {
        const kind = rand.int(6);
        if (kind === 0) ids.push(rand.int(151700)); // any id, a few beyond the vocabulary
        else if (kind === 1) ids.push(...qwen.encode(rand.pick(MULTIBYTE_TEXTS)));
        else if (kind === 2) ids.push(...Array.from(Buffer.from(rand.pick(MULTIBYTE_TEXTS))).map((b) => qwenByteIds[b]!));
        else if (kind === 3) ids.push(rand.pick(specials));
        else if (kind === 4) ids.push(qwenByteIds[0x80 + rand.int(0x80)]!); // stray non-ASCII byte
        else ids.push(...qwen.encode(' the quick fox'));
      }
      for (const skipSpecialTokens of [false, true]) {
        const { text } = stream(qwen, ids, rand, { skipSpecialTokens });
        expect(text).toBe(qwen.decode(ids, { skipSpecialTokens }));
      }
    }
  });

  it('SentencePiece byte fallback: random pieces and byte tokens', () => {
    const rand = prng(99);
    const pieceIds = BYTE_FALLBACK_PIECES.map((_, i) => 259 + i);
    for (let trial = 0; trial < 250; trial++) {
      const ids: number[] = [];
      const len = 1 + rand.int(30);
      while (ids.length < len) {
        const kind = rand.int(4);
        if (kind === 0) ids.push(rand.pick(pieceIds));
        else if (kind === 1) ids.push(...Array.from(Buffer.from(rand.pick(MULTIBYTE_TEXTS))).map((b) => BYTE_TOKEN_OFFSET + b));
        else if (kind === 2) ids.push(BYTE_TOKEN_OFFSET + rand.int(256));
        else ids.push(rand.int(3)); // <unk>, <s>, </s>
      }
      for (const skipSpecialTokens of [false, true]) {
        expect(stream(fallback, ids, rand, { skipSpecialTokens }).text).toBe(fallback.decode(ids, { skipSpecialTokens }));
      }
    }
  });

  it('clean_up_tokenization_spaces over a stream equals cleaning the whole text', () => {
    const rand = prng(7);
    const alphabet = [' ', ' ', '.', ',', "'", 'n', 't', 's', 'm', 'v', 'e', 'r', '?', '!', 'a', '中'];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const len = 1 + rand.int(30);
      for (let i = 0; i < len; i++) text += rand.pick(alphabet);
      const ids = Array.from(Buffer.from(text));
      expect(stream(cleanup, ids, rand).text).toBe(cleanup.decode(ids));
    }
  });
});

describe('StreamDecoder never emits half a character', () => {
  it('valid UTF-8 fed one byte token at a time never yields U+FFFD or a lone surrogate', () => {
    const rand = prng(5);
    for (const text of MULTIBYTE_TEXTS.filter((t) => !t.includes('\uFFFD'))) {
      const ids = Array.from(Buffer.from(text)).map((b) => qwenByteIds[b]!);
      const dec = qwen.createStreamDecoder();
      const pieces = ids.map((id) => dec.push([id]));
      pieces.push(dec.flush());
      for (const p of pieces) {
        expect(p).not.toContain('\uFFFD');
        expect(/[\uD800-\uDBFF]$/.test(p)).toBe(false);
      }
      expect(pieces.join('')).toBe(text);
      expect(stream(qwen, ids, rand).text).toBe(text);
    }
  });

  it('a character split over two Qwen3 tokens appears whole once its last token arrives', () => {
    // find characters whose byte-level encoding is split inside the character
    const split = ['🫠', '𝔘', '🦩', '鿰', '㐀'].filter((ch) => {
      const ids = qwen.encode(ch);
      return ids.length >= 2 && qwen.decode([ids[0]!]).endsWith('\uFFFD');
    });
    expect(split.length).toBeGreaterThan(0);
    for (const ch of split) {
      const ids = qwen.encode(ch);
      const dec = qwen.createStreamDecoder();
      const early = ids.slice(0, -1).map((id) => dec.push([id])).join('');
      expect(early).toBe('');
      expect(dec.push([ids.at(-1)!])).toBe(ch);
    }
  });

  it('a long run of invalid bytes is emitted as it goes, not held until flush', () => {
    const dec = qwen.createStreamDecoder();
    const ids = Array.from({ length: 40 }, () => qwenByteIds[0x80]!);
    const before = ids.map((id) => dec.push([id])).join('');
    expect(before.length).toBeGreaterThanOrEqual(30);
    expect(before + dec.flush()).toBe(qwen.decode(ids));
  });
});

describe('StreamDecoder prompt context', () => {
  it('keeps the leading space of the first generated SentencePiece token after a prompt', () => {
    const hello = 260;
    const world = 261;
    expect(fallback.decode([world])).toBe('world');
    const fresh = fallback.createStreamDecoder();
    expect(fresh.push([world]) + fresh.flush()).toBe('world');
    const afterPrompt = fallback.createStreamDecoder({ promptIds: [1, hello] });
    expect(afterPrompt.push([world]) + afterPrompt.flush()).toBe(' world');
  });

  it('Qwen3: generated text after a chat prompt', () => {
    const prompt = qwen.encode('<|im_start|>assistant\n');
    const gen = qwen.encode('Sure — 好的!');
    const dec = qwen.createStreamDecoder({ promptIds: prompt, skipSpecialTokens: true });
    const out = gen.map((id) => dec.push([id])).join('') + dec.flush();
    expect(out).toBe('Sure — 好的!');
  });
});
