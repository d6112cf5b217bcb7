/**
 * One choice's answer text split into reasoning, content and tool calls, as it streams: the reasoning parser
 * first (reasoning vs answer), then the tool-call parser on the answer. Without parsers the text is content.
 * Non-streaming responses push the whole text once, so both paths give the same result.
 */
import type { ReasoningParser, ReasoningStream, ToolCall, ToolCallDelta, ToolCallStream } from '@plexus/core';
import type { ToolPlan } from '../tools/tool-plan.ts';

export interface ChatOutputDelta {
  reasoning: string;
  content: string;
  toolCalls: ToolCallDelta[];
}

export class ChatOutputParser {
  private readonly reasoning: ReasoningStream | undefined;
  private readonly tools: ToolCallStream | undefined;
  private readonly singleCall: boolean;
  /** what pushing the forced prefix produced (a named call's header), delivered with the first push */
  private pending: ToolCallDelta[] = [];
  private calls = 0;

  constructor(reasoningParser: ReasoningParser | undefined, plan: ToolPlan, prompt: string) {
    this.reasoning = reasoningParser?.createStream({ prompt });
    this.tools = plan.parser?.createStream();
    this.singleCall = plan.singleCall;
    if (this.tools && plan.forcedPrefix !== undefined) this.pending = this.tools.push(plan.forcedPrefix).toolCallDeltas;
  }

  /** number of tool calls seen so far */
  get toolCallCount(): number {
    return this.calls;
  }

  push(text: string): ChatOutputDelta {
    if (!this.reasoning) return this.answer(text, false);
    const r = this.reasoning.push(text);
    return { ...this.answer(r.contentDelta, false), reasoning: r.reasoningDelta };
  }

  finish(): ChatOutputDelta {
    if (!this.reasoning) return this.answer('', true);
    const r = this.reasoning.finish();
    return { ...this.answer(r.contentDelta, true), reasoning: r.reasoningDelta };
  }

  private answer(text: string, final: boolean): ChatOutputDelta {
    if (!this.tools) return { reasoning: '', content: text, toolCalls: [] };
    const pushed = this.tools.push(text);
    const closed = final ? this.tools.finish() : { contentDelta: '', toolCallDeltas: [] };
    let deltas = [...this.pending, ...pushed.toolCallDeltas, ...closed.toolCallDeltas];
    this.pending = [];
    if (this.singleCall) deltas = deltas.filter((d) => d.index === 0);
    for (const d of deltas) this.calls = Math.max(this.calls, d.index + 1);
    return { reasoning: '', content: pushed.contentDelta + closed.contentDelta, toolCalls: mergeByIndex(deltas) };
  }
}

/** consecutive fragments of one call become one delta (fewer, larger SSE chunks) */
function mergeByIndex(deltas: ToolCallDelta[]): ToolCallDelta[] {
  const out: ToolCallDelta[] = [];
  for (const d of deltas) {
    const last = out.at(-1);
    if (last && last.index === d.index && d.id === undefined && d.function.name === undefined) {
      last.function = { ...last.function, arguments: (last.function.arguments ?? '') + (d.function.arguments ?? '') };
    } else {
      out.push({ ...d, function: { ...d.function } });
    }
  }
  return out;
}

/** folds streamed deltas into the calls a non-streaming message carries */
export function foldToolCalls(deltas: readonly ToolCallDelta[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const d of deltas) {
    const call = (calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (d.id !== undefined) call.id = d.id;
    if (d.function.name !== undefined) call.function.name = d.function.name;
    if (d.function.arguments !== undefined) call.function.arguments += d.function.arguments;
  }
  return calls.filter(Boolean);
}
