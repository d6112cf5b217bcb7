/** Past assistant tool calls rendered back into DSML, as the model wrote them (for multi-turn prompts). */
import { pythonJson } from './python-json.ts';
import { INVOKE_END, INVOKE_OPEN, PARAMETER_END, PARAMETER_OPEN, TOOL_CALLS_END, TOOL_CALLS_START } from './special-tokens.ts';

export interface EncodableToolCall {
  name: string;
  /** OpenAI's JSON text (or, leniently, an already parsed object) */
  arguments: unknown;
}

/** `\n\n<｜DSML｜tool_calls>…</｜DSML｜tool_calls>`: the separator before the block is part of it */
export function renderToolCalls(calls: readonly EncodableToolCall[]): string {
  const invokes = calls.map((c) => `${INVOKE_OPEN} name="${c.name}">\n${renderParameters(c.arguments)}\n${INVOKE_END}`);
  return `\n\n${TOOL_CALLS_START}\n${invokes.join('\n')}\n${TOOL_CALLS_END}`;
}

/** one line per argument: strings raw with string="true", everything else as JSON with string="false" */
export function renderParameters(args: unknown): string {
  let parsed: unknown = args;
  if (typeof args === 'string') {
    try {
      parsed = JSON.parse(args);
    } catch {
      parsed = undefined;
    }
  }
  // arguments that are not a JSON object travel whole, as DeepSeek's encoder does for unparsable text
  const object = isPlainObject(parsed) ? parsed : { arguments: typeof args === 'string' ? args : pythonJson(args) };
  return Object.entries(object)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => {
      const isString = typeof v === 'string';
      return `${PARAMETER_OPEN} name="${key}" string="${isString}">${isString ? v : pythonJson(v)}${PARAMETER_END}`;
    })
    .join('\n');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
