/**
 * A byte-level tokenizer for tests: ids 0..255 are bytes, then a few special tokens.
 * Its "chat template" is a fixed format; role "bogus" makes the template raise (like raise_exception).
 */
import { ChatTemplateError, type ChatMessage, type StreamDecoder, type TextTokenizer } from '@plexus/core';

export const BOS = 256;
export const EOS = 257;
const SPECIALS: Array<[string, number]> = [
  ['<s>', BOS],
  ['</s>', EOS],
  ['<|user|>', 258],
  ['<|assistant|>', 259],
  ['<|system|>', 260],
];
const SPECIAL_RE = /(<s>|<\/s>|<\|user\|>|<\|assistant\|>|<\|system\|>)/;

export class FakeTokenizer implements TextTokenizer {
  readonly vocabSize = 261;
  readonly special = {
    bos: { id: BOS, text: '<s>' },
    eos: { id: EOS, text: '</s>' },
    specialIds: new Set(SPECIALS.map(([, id]) => id)),
  };
  constructor(readonly hasChatTemplate = true) {}

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    const ids: number[] = opts?.addSpecialTokens === false ? [] : [BOS];
    for (const part of text.split(SPECIAL_RE)) {
      const special = SPECIALS.find(([t]) => t === part);
      if (special) ids.push(special[1]);
      else ids.push(...Buffer.from(part, 'utf8'));
    }
    return ids;
  }

  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    };
    for (const id of ids) {
      if (id < 256) bytes.push(id);
      else {
        flush();
        if (!opts?.skipSpecialTokens) out += SPECIALS.find(([, s]) => s === id)?.[0] ?? '';
      }
    }
    flush();
    return out;
  }

  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean; extra?: Record<string, unknown> }): string {
    if (!this.hasChatTemplate) throw new ChatTemplateError('this checkpoint ships no chat template');
    let s = '';
    for (const m of messages) {
      if (m.role === 'bogus') throw new Error('Conversation roles must be user/assistant/system');
      s += `<|${m.role}|>${m.content ?? ''}\n`;
    }
    if (opts?.extra?.enable_thinking === false) s += '[no-think]';
    return opts?.addGenerationPrompt === false ? s : `${s}<|assistant|>`;
  }

  createStreamDecoder(opts?: { skipSpecialTokens?: boolean }): StreamDecoder {
    let pending: number[] = [];
    return {
      push: (ids) => {
        pending.push(...ids);
        // hold back an incomplete UTF-8 sequence at the end
        let cut = pending.length;
        for (let back = 1; back <= Math.min(3, pending.length); back++) {
          const b = pending[pending.length - back];
          if (b >= 256 || b < 0x80) break;
          if (b >= 0xc0) {
            const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
            if (back < need) cut = pending.length - back;
            break;
          }
        }
        const text = this.decode(pending.slice(0, cut), opts);
        pending = pending.slice(cut);
        return text;
      },
      flush: () => {
        const text = this.decode(pending, opts);
        pending = [];
        return text;
      },
    };
  }
}
