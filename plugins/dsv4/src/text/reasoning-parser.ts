/**
 * deepseek_v4 reasoning parser: reasoning is the text up to `</think>`, the answer follows it.
 * In thinking mode the prompt itself ends with `<think>`, so generation starts inside reasoning; in chat mode
 * it ends with `</think>` and everything is answer, unless the model opens a `<think>` block first thing.
 * Without a prompt the parser assumes thinking mode (DeepSeek-V4's default).
 */
import type { ReasoningDelta, ReasoningParseOptions, ReasoningParser, ReasoningStream } from '@plexus/core';
import { DSV4_TEXT_NAME } from './chat-encoder.ts';
import { partialMarkerLength } from './partial-marker.ts';
import { THINK_END, THINK_START } from './special-tokens.ts';

export function createDeepseekV4ReasoningParser(): ReasoningParser {
  return {
    name: DSV4_TEXT_NAME,
    needsSpecialTokens: true,
    startsInReasoning,
    parse(text, opts) {
      const stream = new Dsv4ReasoningStream(startsInReasoning(opts?.prompt));
      const a = stream.push(text);
      const b = stream.finish();
      return { reasoning: a.reasoningDelta + b.reasoningDelta, content: a.contentDelta + b.contentDelta };
    },
    createStream: (opts?: ReasoningParseOptions) => new Dsv4ReasoningStream(startsInReasoning(opts?.prompt)),
  };
}

/** the prompt's last think marker is an opening one */
function startsInReasoning(prompt: string | undefined): boolean {
  if (prompt === undefined) return true;
  return prompt.lastIndexOf(THINK_START) > prompt.lastIndexOf(THINK_END);
}

type State =
  /** at the start, in chat mode: a leading `<think>` would open reasoning */
  | 'may-open'
  /** at the start, in thinking mode: a repeated leading `<think>` is dropped */
  | 'opened'
  | 'reasoning'
  | 'content';

class Dsv4ReasoningStream implements ReasoningStream {
  private state: State;
  private held = '';

  constructor(inReasoning: boolean) {
    this.state = inReasoning ? 'opened' : 'may-open';
  }

  push(delta: string): ReasoningDelta {
    return this.advance(this.held + delta, false);
  }

  finish(): ReasoningDelta {
    return this.advance(this.held, true);
  }

  private advance(text: string, final: boolean): ReasoningDelta {
    const out: ReasoningDelta = { reasoningDelta: '', contentDelta: '' };
    this.held = '';
    for (;;) {
      switch (this.state) {
        case 'may-open':
        case 'opened': {
          if (text.startsWith(THINK_START)) {
            text = text.slice(THINK_START.length);
            this.state = 'reasoning';
            continue;
          }
          if (!final && THINK_START.startsWith(text)) {
            this.held = text; // could still become `<think>`
            return out;
          }
          this.state = this.state === 'opened' ? 'reasoning' : 'content';
          continue;
        }
        case 'reasoning': {
          const end = text.indexOf(THINK_END);
          if (end >= 0) {
            out.reasoningDelta += text.slice(0, end);
            text = text.slice(end + THINK_END.length);
            this.state = 'content';
            continue;
          }
          const keep = final ? 0 : partialMarkerLength(text, [THINK_END]);
          out.reasoningDelta += text.slice(0, text.length - keep);
          this.held = text.slice(text.length - keep);
          return out;
        }
        case 'content':
          out.contentDelta += text;
          return out;
      }
    }
  }
}
