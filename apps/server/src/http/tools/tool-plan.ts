/**
 * What a chat request's `tools`, `tool_choice` and `parallel_tool_calls` mean for this model, decided before
 * the prompt is built: which tools the prompt describes, whether the output is parsed for calls, and the
 * forced answer start that honours tool_choice "required" / a named function. What cannot be honoured is a
 * 400 naming the field (never silently ignored). Without a tool-call parser, `tools` is refused as before.
 */
import type { ToolCallParser, ToolDefinition } from '@plexus/core';
import { badRequest, unsupportedField } from '../errors/api-error.ts';
import { usesChatEncoder } from '../prompt/chat-prompt.ts';
import type { ChatCompletionRequest } from '../schemas/chat-completion-request.ts';
import type { ServedModel } from '../types.ts';

export interface ToolPlan {
  /** tools the prompt describes (empty: none) */
  promptTools: ToolDefinition[];
  /** parses the answer for tool calls (absent: no calls are expected) */
  parser?: ToolCallParser;
  /** appended to the prompt and pushed through the parser first: commits the answer to a tool call */
  forcedPrefix?: string;
  /** parallel_tool_calls: false — only the first call is returned */
  singleCall: boolean;
}

/** OpenAI's rule for function names (letters, digits, underscores, dashes; dots are common in practice) */
const FUNCTION_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type ToolChoice = { kind: 'none' | 'auto' | 'required' } | { kind: 'named'; name: string };

export function planTools(req: ChatCompletionRequest, model: ServedModel): ToolPlan {
  const given = req.tools ?? [];
  const parser = model.toolParser;
  if (!parser) {
    if (given.length > 0) throw unsupportedField('tools', 'no tool-call parser is active for this model (start the server with --tool-call-parser)');
    if (req.tool_choice !== undefined && req.tool_choice !== null && req.tool_choice !== 'none') {
      throw unsupportedField('tool_choice', 'no tool-call parser is active for this model');
    }
    return { promptTools: [], singleCall: false };
  }
  const tools = given.map(validateTool);
  const choice = parseToolChoice(req.tool_choice, tools.length > 0);
  const singleCall = req.parallel_tool_calls === false;
  if (choice.kind === 'none' || tools.length === 0) return { promptTools: [], singleCall };
  if (choice.kind === 'auto') return { promptTools: tools, parser, singleCall };

  const label = choice.kind === 'named' ? `{"type": "function", "function": {"name": "${choice.name}"}}` : '"required"';
  if (choice.kind === 'named' && !tools.some((t) => t.function.name === choice.name)) {
    throw badRequest(`\`tool_choice\` names function "${choice.name}", which is not in \`tools\`.`, 'tool_choice');
  }
  if (!parser.forcedCallPrefix) {
    throw unsupportedField('tool_choice', `tool_choice ${label} cannot be enforced with the "${parser.name}" tool-call parser; use "auto"`);
  }
  if (!usesChatEncoder(model)) {
    throw unsupportedField('tool_choice', `tool_choice ${label} needs the model's own chat encoder, and this model renders prompts with a chat template; use "auto"`);
  }
  const forcedPrefix = parser.forcedCallPrefix(choice.kind === 'named' ? choice.name : undefined);
  return { promptTools: tools, parser, forcedPrefix, singleCall };
}

function validateTool(raw: unknown, i: number): ToolDefinition {
  const at = `tools[${i}]`;
  const tool = raw as { type?: unknown; function?: Record<string, unknown> } | null;
  if (typeof tool !== 'object' || tool === null || Array.isArray(tool)) throw badRequest(`\`${at}\` must be an object.`, at);
  if (tool.type !== 'function') throw badRequest(`\`${at}.type\` must be "function" (the only tool type this server calls).`, `${at}.type`);
  const fn = tool.function;
  if (typeof fn !== 'object' || fn === null || Array.isArray(fn)) throw badRequest(`\`${at}.function\` must be an object with a \`name\`.`, `${at}.function`);
  if (typeof fn.name !== 'string' || !FUNCTION_NAME.test(fn.name)) {
    throw badRequest(`\`${at}.function.name\` must be 1-64 letters, digits, underscores, dots or dashes.`, `${at}.function.name`);
  }
  if (fn.description !== undefined && fn.description !== null && typeof fn.description !== 'string') {
    throw badRequest(`\`${at}.function.description\` must be a string.`, `${at}.function.description`);
  }
  if (fn.parameters !== undefined && fn.parameters !== null && (typeof fn.parameters !== 'object' || Array.isArray(fn.parameters))) {
    throw badRequest(`\`${at}.function.parameters\` must be a JSON Schema object.`, `${at}.function.parameters`);
  }
  return tool as ToolDefinition;
}

function parseToolChoice(raw: unknown, haveTools: boolean): ToolChoice {
  if (raw === undefined || raw === null) return { kind: haveTools ? 'auto' : 'none' };
  if (raw === 'none' || raw === 'auto') return { kind: raw };
  if (raw === 'required') {
    if (!haveTools) throw badRequest('`tool_choice` "required" needs a non-empty `tools` list.', 'tool_choice');
    return { kind: 'required' };
  }
  const named = raw as { type?: unknown; function?: { name?: unknown } } | null;
  if (typeof named === 'object' && named !== null && named.type === 'function' && typeof named.function?.name === 'string') {
    if (!haveTools) throw badRequest('`tool_choice` names a function but `tools` is empty.', 'tool_choice');
    return { kind: 'named', name: named.function.name };
  }
  throw badRequest('`tool_choice` must be "none", "auto", "required" or {"type": "function", "function": {"name": …}}.', 'tool_choice');
}
