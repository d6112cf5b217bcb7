/**
 * deepseek_v4 tool-call parser for DSML blocks, which the model writes after its answer text:
 *   \n\n<｜DSML｜tool_calls>
 *   <｜DSML｜invoke name="NAME">
 *   <｜DSML｜parameter name="P" string="true">raw text</｜DSML｜parameter>
 *   <｜DSML｜parameter name="Q" string="false">JSON value</｜DSML｜parameter>
 *   </｜DSML｜invoke>
 *   </｜DSML｜tool_calls>
 * Arguments become `{"P": "raw text", "Q": value}` (DeepSeek's own decoder's spacing); string values stream
 * as they arrive, JSON values once complete (invalid JSON is passed on as a string, so arguments stay JSON).
 * Whitespace before a block and after it is not content. Malformed markup inside a block is skipped;
 * a block cut off by max_tokens closes what it opened.
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidArgumentError,
  type ToolCallDelta, type ToolCallParseOptions, type ToolCallParser, type ToolCallStream, type ToolCallStreamDelta,
} from '@plexus/core';
import { DSV4_TEXT_NAME } from './chat-encoder.ts';
import { foldToolCalls } from './fold-tool-calls.ts';
import { partialMarkerLength } from './partial-marker.ts';
import { INVOKE_END, INVOKE_OPEN, PARAMETER_END, PARAMETER_OPEN, TOOL_CALLS_END, TOOL_CALLS_START } from './special-tokens.ts';

export function createDeepseekV4ToolParser(): ToolCallParser {
  return {
    name: DSV4_TEXT_NAME,
    needsSpecialTokens: true,
    parse(text, opts) {
      const stream = new DsmlToolCallStream(opts);
      const a = stream.push(text);
      const b = stream.finish();
      return { content: a.contentDelta + b.contentDelta, toolCalls: foldToolCalls([...a.toolCallDeltas, ...b.toolCallDeltas]) };
    },
    createStream: (opts?: ToolCallParseOptions) => new DsmlToolCallStream(opts),
    forcedCallPrefix(functionName?: string): string {
      if (functionName === undefined) return `\n\n${TOOL_CALLS_START}\n${INVOKE_OPEN} name="`;
      if (!/^[^"<>\s]+$/.test(functionName)) {
        throw new InvalidArgumentError(`function name ${JSON.stringify(functionName)} cannot be written into a DSML invoke tag`, 'tool_choice');
      }
      return `\n\n${TOOL_CALLS_START}\n${INVOKE_OPEN} name="${functionName}">\n`;
    },
  };
}

export const newToolCallId = (): string => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

type State =
  | 'content'
  /** inside <｜DSML｜tool_calls>, between invokes */
  | 'block'
  /** inside an invoke, between parameters */
  | 'invoke'
  | 'string-value'
  | 'json-value';

/** tags that can start at a '<' inside a block (waiting is worth it only while the text could still be one) */
const BLOCK_TAGS = [TOOL_CALLS_END, INVOKE_OPEN, INVOKE_END, PARAMETER_OPEN];

/** an opening tag must close within this many characters, else its '<' is junk (bounds the wait, split-independently) */
const MAX_TAG_LENGTH = 4096;

class DsmlToolCallStream implements ToolCallStream {
  private state: State = 'content';
  private buf = '';
  /** content whitespace withheld until we know no block follows it */
  private heldSpace = '';
  private afterBlock = false;
  private calls = 0;
  private invoke: { index: number; params: number } | undefined;
  /** json-value: how much of buf is known to hold no end tag (each push scans only the new text) */
  private scanned = 0;
  private out: ToolCallStreamDelta = { contentDelta: '', toolCallDeltas: [] };
  private readonly newId: () => string;

  constructor(opts?: ToolCallParseOptions) {
    this.newId = opts?.newId ?? newToolCallId;
  }

  push(delta: string): ToolCallStreamDelta {
    this.buf += delta;
    this.run(false);
    return this.take();
  }

  finish(): ToolCallStreamDelta {
    this.run(true);
    if (this.state === 'string-value') this.args('"');
    this.closeInvoke();
    this.out.contentDelta += this.heldSpace;
    this.heldSpace = '';
    return this.take();
  }

  private take(): ToolCallStreamDelta {
    const out = this.out;
    this.out = { contentDelta: '', toolCallDeltas: [] };
    return out;
  }

  private run(final: boolean): void {
    for (;;) {
      switch (this.state) {
        case 'content': {
          const at = this.buf.indexOf(TOOL_CALLS_START);
          if (at >= 0) {
            this.content(this.buf.slice(0, at), true);
            this.buf = this.buf.slice(at + TOOL_CALLS_START.length);
            this.state = 'block';
            continue;
          }
          const keep = final ? 0 : partialMarkerLength(this.buf, [TOOL_CALLS_START]);
          this.content(this.buf.slice(0, this.buf.length - keep), false);
          this.buf = this.buf.slice(this.buf.length - keep);
          return;
        }
        case 'block':
        case 'invoke':
          if (!this.tag(final)) return;
          continue;
        case 'string-value': {
          const end = this.buf.indexOf(PARAMETER_END);
          if (end >= 0) {
            this.args(`${escapeJson(this.buf.slice(0, end))}"`);
            this.buf = this.buf.slice(end + PARAMETER_END.length);
            this.state = 'invoke';
            continue;
          }
          let keep = final ? 0 : partialMarkerLength(this.buf, [PARAMETER_END]);
          // escape a surrogate pair whole, never half of it
          if (!final && keep === 0 && isHighSurrogate(this.buf.charCodeAt(this.buf.length - 1))) keep = 1;
          const ready = this.buf.slice(0, this.buf.length - keep);
          if (ready) this.args(escapeJson(ready));
          this.buf = this.buf.slice(this.buf.length - keep);
          return;
        }
        case 'json-value': {
          const end = this.buf.indexOf(PARAMETER_END, this.scanned);
          if (end < 0 && !final) {
            this.scanned = Math.max(0, this.buf.length - PARAMETER_END.length + 1);
            return;
          }
          this.scanned = 0;
          const raw = end >= 0 ? this.buf.slice(0, end) : this.buf;
          this.buf = end >= 0 ? this.buf.slice(end + PARAMETER_END.length) : '';
          this.args(jsonValue(raw));
          this.state = 'invoke';
          if (end < 0) return;
          continue;
        }
      }
    }
  }

  /** handles the tag (or junk) at the start of buf inside a block; false when it must wait for more text */
  private tag(final: boolean): boolean {
    const lt = this.buf.indexOf('<');
    if (lt < 0) {
      this.buf = ''; // text between tags is not part of any call
      return false;
    }
    this.buf = this.buf.slice(lt);
    const b = this.buf;
    if (b.startsWith(TOOL_CALLS_END)) {
      this.closeInvoke();
      this.buf = b.slice(TOOL_CALLS_END.length);
      this.state = 'content';
      this.afterBlock = true;
      return true;
    }
    if (b.startsWith(INVOKE_END)) {
      this.closeInvoke();
      this.buf = b.slice(INVOKE_END.length);
      this.state = 'block';
      return true;
    }
    for (const open of [INVOKE_OPEN, PARAMETER_OPEN]) {
      if (!b.startsWith(open)) continue;
      const gt = tagEnd(b, open.length, MAX_TAG_LENGTH);
      if (gt < 0) {
        if (b.length < MAX_TAG_LENGTH && !final) return false;
        this.buf = b.slice(1); // never closes (or the text ended): not a tag
        return true;
      }
      const attrs = attributes(b.slice(open.length, gt));
      this.buf = b.slice(gt + 1);
      if (open === INVOKE_OPEN) this.openInvoke(attrs.get('name'));
      else this.openParameter(attrs.get('name'), attrs.get('string') !== 'false');
      return true;
    }
    if (!final && BLOCK_TAGS.some((t) => t.startsWith(b))) return false;
    this.buf = b.slice(1); // a '<' that starts no tag
    return true;
  }

  private content(text: string, blockFollows: boolean): void {
    text = this.heldSpace + text;
    this.heldSpace = '';
    if (this.afterBlock) {
      text = text.trimStart();
      if (text) this.afterBlock = false;
    }
    if (blockFollows) {
      this.out.contentDelta += text.trimEnd();
      return;
    }
    const body = text.trimEnd();
    this.out.contentDelta += body;
    this.heldSpace = text.slice(body.length);
  }

  private openInvoke(name: string | undefined): void {
    this.closeInvoke(); // an invoke opened inside another closes the first
    if (!name) return; // nameless: its parameters are skipped as junk
    const index = this.calls++;
    this.invoke = { index, params: 0 };
    this.out.toolCallDeltas.push({ index, id: this.newId(), type: 'function', function: { name, arguments: '' } });
    this.state = 'invoke';
  }

  private openParameter(name: string | undefined, isString: boolean): void {
    if (!this.invoke || name === undefined) return;
    this.args(`${this.invoke.params === 0 ? '{' : ', '}${JSON.stringify(name)}: ${isString ? '"' : ''}`);
    this.invoke.params++;
    this.state = isString ? 'string-value' : 'json-value';
  }

  private closeInvoke(): void {
    if (!this.invoke) return;
    this.args(this.invoke.params === 0 ? '{}' : '}');
    this.invoke = undefined;
    this.state = 'block';
  }

  /** argument text of the open call, merged into the last delta when it is for the same call */
  private args(text: string): void {
    if (!this.invoke) return;
    const deltas = this.out.toolCallDeltas;
    const last: ToolCallDelta | undefined = deltas.at(-1);
    if (last && last.index === this.invoke.index) last.function.arguments = (last.function.arguments ?? '') + text;
    else deltas.push({ index: this.invoke.index, function: { arguments: text } });
  }
}

/** index of the '>' closing a tag whose attributes start at `from` (a '>' inside quotes does not close it), within `limit` */
function tagEnd(text: string, from: number, limit: number): number {
  let quoted = false;
  for (let i = from; i < Math.min(text.length, limit); i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}

function attributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"/g)) attrs.set(m[1], m[2]);
  return attrs;
}

function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** a string="false" value: itself when it is JSON, else a JSON string of the raw text */
function jsonValue(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed !== '') {
    try {
      JSON.parse(trimmed);
      return trimmed;
    } catch {
      // fall through: not JSON
    }
  }
  return JSON.stringify(raw);
}
