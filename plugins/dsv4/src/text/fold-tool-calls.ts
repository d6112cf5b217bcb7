/** Streamed tool-call deltas folded into whole calls (how parse() reuses the streaming machine). */
import type { ToolCall, ToolCallDelta } from '@plexus/core';

export function foldToolCalls(deltas: readonly ToolCallDelta[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const d of deltas) {
    const call = (calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (d.id !== undefined) call.id = d.id;
    if (d.function.name !== undefined) call.function.name = d.function.name;
    if (d.function.arguments !== undefined) call.function.arguments += d.function.arguments;
  }
  return calls;
}
