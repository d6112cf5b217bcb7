/**
 * Incremental detokenization for streaming, after vLLM's detokenize_incrementally: each step decodes a
 * short window of ids twice, [prefixOffset, readOffset) (already emitted) and [prefixOffset, end), and
 * emits the difference. Decoding with a few earlier ids as context keeps leading spaces and merges
 * right (SentencePiece drops the first token's space only at the start of a text). Text is held back
 * while the window ends in U+FFFD, which is what an incomplete UTF-8 sequence (byte-level BPE or
 * byte-fallback tokens split inside a character) decodes to. Invariant: the concatenation of all
 * push() results and flush() equals decode(all ids).
 */
import type { StreamDecoder } from '../types.ts';
import { CLEANUP_CONTEXT_CHARS, cleanUpTokenizationSpaces, stableCleanupCut } from './cleanup.ts';

/** What the decoder needs from its tokenizer. */
export interface DecodeBackend {
  /** validated ids, minus ids outside the vocabulary and (when asked) special tokens */
  decodableIds(ids: readonly number[], skipSpecialTokens: boolean): number[];
  /** decode without clean_up_tokenization_spaces */
  decodeRaw(ids: readonly number[]): string;
  /** whether decode() applies clean_up_tokenization_spaces */
  readonly cleanUpSpaces: boolean;
}

const REPLACEMENT_CHAR = '\uFFFD';
/** Prompt ids kept as context before the first generated id (vLLM uses 5). */
const PROMPT_CONTEXT_IDS = 5;
/** A UTF-8 character has at most 4 bytes and every token contributes at least one. */
const MAX_CHAR_TOKENS = 4;
/** When this many ids are pending (a run of invalid bytes), emit what can no longer change. */
const FORCE_ADVANCE_PENDING = 2 * MAX_CHAR_TOKENS;

export class IncrementalDecoder implements StreamDecoder {
  private readonly ids: number[];
  private prefixOffset: number;
  private readOffset: number;
  private readonly skipSpecialTokens: boolean;
  /** clean-up mode: raw text not yet emitted, and the last raw characters before it */
  private pendingRaw = '';
  private rawTail = '';

  constructor(private readonly backend: DecodeBackend, opts: { skipSpecialTokens?: boolean; promptIds?: readonly number[] } = {}) {
    this.skipSpecialTokens = opts.skipSpecialTokens ?? false;
    this.ids = opts.promptIds ? backend.decodableIds(opts.promptIds, this.skipSpecialTokens) : [];
    this.readOffset = this.ids.length;
    this.prefixOffset = Math.max(0, this.ids.length - PROMPT_CONTEXT_IDS);
  }

  push(newIds: readonly number[]): string {
    const added = this.backend.decodableIds(newIds, this.skipSpecialTokens);
    if (added.length === 0) return '';
    for (const id of added) this.ids.push(id);
    return this.clean(this.advance(), false);
  }

  flush(): string {
    const prefixText = this.decodeWindow(this.prefixOffset, this.readOffset);
    const fullText = this.decodeWindow(this.prefixOffset, this.ids.length);
    const rest = fullText.length > prefixText.length ? fullText.slice(prefixText.length) : '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return this.clean(rest, true);
  }

  private advance(): string {
    const prefixText = this.decodeWindow(this.prefixOffset, this.readOffset);
    const fullText = this.decodeWindow(this.prefixOffset, this.ids.length);
    if (fullText.length > prefixText.length && !fullText.endsWith(REPLACEMENT_CHAR)) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return fullText.slice(prefixText.length);
    }
    if (this.ids.length - this.readOffset >= FORCE_ADVANCE_PENDING) return this.forceAdvance(prefixText, fullText);
    return '';
  }

  /**
   * A long run of ids still ends in U+FFFD (invalid bytes, or a literal U+FFFD): emit up to the latest
   * cut at least MAX_CHAR_TOKENS ids back whose text is a prefix of the full window's text; bytes that
   * far back are no longer part of an unfinished character. Keeps the window, and the work per push, small.
   */
  private forceAdvance(prefixText: string, fullText: string): string {
    for (let cut = this.ids.length - MAX_CHAR_TOKENS; cut > this.readOffset; cut--) {
      const cutText = this.decodeWindow(this.prefixOffset, cut);
      if (cutText.length >= prefixText.length && fullText.startsWith(cutText)) {
        this.prefixOffset = this.readOffset;
        this.readOffset = cut;
        return cutText.slice(prefixText.length);
      }
    }
    return '';
  }

  private decodeWindow(from: number, to: number): string {
    return from >= to ? '' : this.backend.decodeRaw(this.ids.slice(from, to));
  }

  /** Applies clean_up_tokenization_spaces over the stream, holding back text a later token could change. */
  private clean(raw: string, final: boolean): string {
    if (!this.backend.cleanUpSpaces) return raw;
    this.pendingRaw += raw;
    const cut = final ? this.pendingRaw.length : stableCleanupCut(this.rawTail, this.pendingRaw);
    if (cut === 0) return '';
    const ready = this.pendingRaw.slice(0, cut);
    this.pendingRaw = this.pendingRaw.slice(cut);
    this.rawTail = (this.rawTail + ready).slice(-CLEANUP_CONTEXT_CHARS);
    return cleanUpTokenizationSpaces(ready);
  }
}
