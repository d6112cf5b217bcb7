/**
 * Tiny hand-built tokenizer.json files for tests that need features the Qwen3 tokenizer lacks:
 * a BOS-adding post-processor (Llama-3 style byte-level BPE) and SentencePiece-style byte fallback.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** GPT-2's byte → printable character table used by byte-level BPE vocabularies. */
export function byteToUnicode(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable(b) ? b : next++);
  return table;
}

const template = (bos: string) => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: {},
});

const added = (id: number, content: string, special = true) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });

/** Byte-level BPE with one token per byte (ids 0..255 = byte values) and <s>=256, </s>=257, <x>=258 (not special). */
export function byteLevelTokenizer(opts: { bosPostProcessor: boolean }): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteToUnicode().forEach((ch, b) => { vocab[ch] = b; });
  return {
    version: '1.0',
    added_tokens: [added(256, '<s>'), added(257, '</s>'), added(258, '<x>', false)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: opts.bosPostProcessor ? template('<s>') : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

/** SentencePiece-style BPE with byte fallback: <unk>=0, <s>=1, </s>=2, <0x00>..<0xFF> = 3..258, then pieces. */
export const BYTE_FALLBACK_PIECES = ['▁', '▁hello', '▁world', '中', '文', 'a', 'b', '▁a', ',', '.'];
export const BYTE_TOKEN_OFFSET = 3;

export function byteFallbackTokenizer(): Record<string, unknown> {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = BYTE_TOKEN_OFFSET + b;
  BYTE_FALLBACK_PIECES.forEach((p, i) => { vocab[p] = 259 + i; });
  return {
    version: '1.0',
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: template('<s>'),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: [] },
  };
}

export function writeTokenizerDir(dir: string, tokenizer: Record<string, unknown>, config?: Record<string, unknown>, chatTemplateFile?: string): void {
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  if (config) writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  if (chatTemplateFile !== undefined) writeFileSync(join(dir, 'chat_template.jinja'), chatTemplateFile);
}
