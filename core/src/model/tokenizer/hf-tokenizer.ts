/**
 * TextTokenizer over @huggingface/tokenizers (tokenizer.json) with the tokenizer_config.json rules
 * transformers applies on top: explicit add_bos_token / add_eos_token, clean_up_tokenization_spaces,
 * special tokens, chat templates.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import { InvalidArgumentError } from '../../errors.ts';
import type { ChatMessage, SpecialTokens, StreamDecoder, TextTokenizer } from '../types.ts';
import type { ChatTemplates } from './chat-template.ts';
import { cleanUpTokenizationSpaces } from './cleanup.ts';
import type { SpecialTokenTexts } from './special-tokens.ts';
import { IncrementalDecoder } from './stream-decoder.ts';
import type { DecodeBackend } from './stream-decoder.ts';

export interface HfTokenizerOptions {
  special: SpecialTokens;
  specialTexts: SpecialTokenTexts;
  templates: ChatTemplates;
  /** tokenizer_config clean_up_tokenization_spaces (transformers' default: false) */
  cleanUpSpaces: boolean;
  /** tokenizer_config add_bos_token / add_eos_token when given; otherwise tokenizer.json's post-processor decides */
  addBos?: boolean;
  addEos?: boolean;
}

export class HfTextTokenizer implements TextTokenizer, DecodeBackend {
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  readonly cleanUpSpaces: boolean;
  private readonly vocab: readonly (string | undefined)[];

  constructor(private readonly lib: Tokenizer, private readonly opts: HfTokenizerOptions) {
    this.special = opts.special;
    this.cleanUpSpaces = opts.cleanUpSpaces;
    // model.vocab is indexed by id and includes the added tokens
    this.vocab = lib.model?.vocab ?? [];
    this.vocabSize = this.vocab.length;
  }

  get hasChatTemplate(): boolean {
    return this.opts.templates.available;
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError(`text to encode must be a string, got ${typeof text}`, 'prompt');
    const addSpecial = opts.addSpecialTokens ?? true;
    const { addBos, addEos } = this.opts;
    if (!addSpecial || addBos !== undefined || addEos !== undefined) {
      const ids = this.lib.encode(text, { add_special_tokens: false }).ids;
      if (!addSpecial) return ids;
      if (addBos && this.special.bos) ids.unshift(this.special.bos.id);
      if (addEos && this.special.eos) ids.push(this.special.eos.id);
      return ids;
    }
    return this.lib.encode(text, { add_special_tokens: true }).ids;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    const raw = this.decodeRaw(this.decodableIds(ids, opts.skipSpecialTokens ?? false));
    return this.cleanUpSpaces ? cleanUpTokenizationSpaces(raw) : raw;
  }

  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; tools?: unknown[]; extra?: Record<string, unknown> } = {}): string {
    return this.opts.templates.render(messages, this.opts.specialTexts as Record<string, string>, opts);
  }

  createStreamDecoder(opts: { skipSpecialTokens?: boolean; promptIds?: readonly number[] } = {}): StreamDecoder {
    return new IncrementalDecoder(this, opts);
  }

  /** Ids outside the vocabulary decode to nothing, as in the Rust tokenizers; malformed ids are an error. */
  decodableIds(ids: readonly number[], skipSpecialTokens: boolean): number[] {
    if (!Array.isArray(ids)) throw new InvalidArgumentError('token ids must be an array of integers', 'ids');
    const out: number[] = [];
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 0) throw new InvalidArgumentError(`token id ${String(id)} is not a non-negative integer`, 'ids');
      if (id >= this.vocabSize || this.vocab[id] === undefined) continue;
      if (skipSpecialTokens && this.special.specialIds.has(id)) continue;
      out.push(id);
    }
    return out;
  }

  decodeRaw(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.lib.decode(ids as number[], { clean_up_tokenization_spaces: false });
  }
}
