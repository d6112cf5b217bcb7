/**
 * Small stand-ins for a model's chat encoder and parsers, with one-character markers so the HTTP layer's
 * plumbing is tested apart from any real format (DeepSeek-V4's has its own tests in plugins/dsv4):
 *   reasoning: in thinking mode (the prompt ends with "[think]") the answer starts after the first '|'
 *   tool calls: "@name:ARGS;" — content before the first '@', ARGS streamed as they come
 */
import { InvalidArgumentError, type ChatEncodeOptions, type ChatEncoder, type ChatMessage, type ReasoningDelta, type ReasoningParser, type ToolCallDelta, type ToolCallParser, type ToolCallStreamDelta } from '@plexus/core';

export class FakeChatEncoder implements ChatEncoder {
  readonly name = 'fake';
  readonly calls: Array<{ messages: ChatMessage[]; opts: ChatEncodeOptions }> = [];

  encode(messages: readonly ChatMessage[], opts: ChatEncodeOptions): string {
    this.calls.push({ messages: [...messages], opts });
    const thinking = opts.thinking ?? false;
    let s = messages.map((m) => `<${m.role}>${m.content ?? ''}`).join('');
    if (opts.tools?.length) s += `[tools:${opts.tools.map((t) => t.function.name).join(',')}]`;
    if (opts.addGenerationPrompt) s += thinking ? '<assistant>[think]' : '<assistant>';
    if (opts.answerPrefix !== undefined) {
      if (thinking) throw new InvalidArgumentError('cannot force the answer in thinking mode', 'tool_choice');
      s += opts.answerPrefix;
    }
    return s;
  }
}

export function fakeReasoningParser(): ReasoningParser {
  const startsInReasoning = (prompt: string | undefined) => prompt === undefined || prompt.endsWith('[think]');
  const createStream = (opts?: { prompt?: string }) => {
    let inReasoning = startsInReasoning(opts?.prompt);
    return {
      push(delta: string): ReasoningDelta {
        if (!inReasoning) return { reasoningDelta: '', contentDelta: delta };
        const bar = delta.indexOf('|');
        if (bar < 0) return { reasoningDelta: delta, contentDelta: '' };
        inReasoning = false;
        return { reasoningDelta: delta.slice(0, bar), contentDelta: delta.slice(bar + 1) };
      },
      finish: (): ReasoningDelta => ({ reasoningDelta: '', contentDelta: '' }),
    };
  };
  return {
    name: 'fake-reasoning',
    needsSpecialTokens: true,
    startsInReasoning,
    createStream,
    parse(text, opts) {
      const out = createStream(opts).push(text);
      return { reasoning: out.reasoningDelta, content: out.contentDelta };
    },
  };
}

export function fakeToolParser(opts: { forcing?: boolean } = {}): ToolCallParser {
  const createStream = (o?: { newId?: () => string }) => {
    let n = 0;
    const newId = o?.newId ?? (() => `call_fake_${n}`);
    let state: 'content' | 'name' | 'args' = 'content';
    let name = '';
    let index = -1;
    let out: ToolCallStreamDelta = { contentDelta: '', toolCallDeltas: [] };
    const args = (text: string) => {
      const last: ToolCallDelta | undefined = out.toolCallDeltas.at(-1);
      if (last?.index === index) last.function.arguments += text;
      else out.toolCallDeltas.push({ index, function: { arguments: text } });
    };
    const take = () => {
      const o = out;
      out = { contentDelta: '', toolCallDeltas: [] };
      return o;
    };
    return {
      push(delta: string) {
        for (const c of delta) {
          if (state === 'content') {
            if (c === '@') state = 'name';
            else out.contentDelta += c;
          } else if (state === 'name') {
            if (c === ':') {
              index++;
              n++;
              out.toolCallDeltas.push({ index, id: newId(), type: 'function', function: { name, arguments: '' } });
              name = '';
              state = 'args';
            } else name += c;
          } else if (c === ';') state = 'content';
          else args(c);
        }
        return take();
      },
      finish: () => take(),
    };
  };
  const parser: ToolCallParser = {
    name: 'fake-tools',
    needsSpecialTokens: false,
    createStream,
    parse(text) {
      const out = createStream().push(text);
      const calls = out.toolCallDeltas.reduce<Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>>((acc, d) => {
        if (d.id) acc.push({ id: d.id, type: 'function', function: { name: d.function.name!, arguments: d.function.arguments ?? '' } });
        else acc[d.index].function.arguments += d.function.arguments ?? '';
        return acc;
      }, []);
      return { content: out.contentDelta, toolCalls: calls };
    },
  };
  if (opts.forcing !== false) parser.forcedCallPrefix = (fn?: string) => (fn === undefined ? '@' : `@${fn}:`);
  return parser;
}
