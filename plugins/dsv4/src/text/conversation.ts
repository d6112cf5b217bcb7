/**
 * Chat messages as DeepSeek-V4's encoder sees them: validated, with request-level tools attached to the
 * leading system message, `tool` results folded into user turns (sorted by the order of the calls they
 * answer), and, when asked, earlier turns' reasoning dropped. Mirrors encoding_dsv4.py's preprocessing.
 */
import { InvalidArgumentError, type ChatMessage, type ToolDefinition } from '@plexus/core';
import { TASK_TOKENS, type TaskName } from './special-tokens.ts';

export type Role = 'system' | 'user' | 'developer' | 'assistant' | 'latest_reminder';

export type UserBlock = { type: 'text'; text: string } | { type: 'tool_result'; toolCallId: string; content: string };

export interface ToolCallInput {
  id: string;
  name: string;
  arguments: unknown;
}

export interface Turn {
  role: Role;
  content: string;
  /** tool schemas (the `function` objects), on the leading system/developer turn */
  tools?: readonly unknown[];
  toolCalls?: ToolCallInput[];
  reasoning?: string;
  /** user turns: text and tool results, rendered joined by a blank line */
  blocks?: UserBlock[];
  task?: TaskName;
  /** an assistant turn left open (no end-of-sentence) */
  withoutEos?: boolean;
}

const ROLES = new Set(['system', 'user', 'developer', 'assistant', 'latest_reminder', 'tool']);

/** validates and folds the messages; throws InvalidArgumentError naming the offending field */
export function buildConversation(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] | undefined): Turn[] {
  if (!Array.isArray(messages)) throw new InvalidArgumentError('messages must be an array of {role, content}', 'messages');
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw new InvalidArgumentError(`${at} must be an object with a role`, at);
    const role = m.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidArgumentError(`${at}.role "${String(role)}" is not one DeepSeek-V4 encodes (${[...ROLES].join(', ')})`, `${at}.role`);
    }
    const content = textOf(m.content, `${at}.content`);
    if (role === 'tool') {
      const id = m.tool_call_id ?? '';
      if (typeof id !== 'string') throw new InvalidArgumentError(`${at}.tool_call_id must be a string`, `${at}.tool_call_id`);
      appendToolResult(turns, { type: 'tool_result', toolCallId: id, content });
      return;
    }
    const task = taskOf(m.task, `${at}.task`);
    if (role === 'user') {
      appendUserText(turns, content, task, m.wo_eos === true);
      return;
    }
    if (role === 'developer' && content === '') throw new InvalidArgumentError(`${at} (developer) needs non-empty content`, `${at}.content`);
    const turn: Turn = { role: role as Role, content };
    if (task) turn.task = task;
    if (m.wo_eos === true) turn.withoutEos = true;
    if (role === 'assistant') {
      const reasoning = m.reasoning_content ?? m.reasoning;
      if (reasoning !== undefined && reasoning !== null) turn.reasoning = textOf(reasoning, `${at}.reasoning_content`);
      if (m.tool_calls !== undefined && m.tool_calls !== null) turn.toolCalls = toolCallsOf(m.tool_calls, `${at}.tool_calls`);
    }
    turns.push(turn);
  });
  attachTools(turns, tools);
  sortToolResults(turns);
  return turns;
}

/** DeepSeek's drop_thinking: before the last user turn, assistant reasoning goes and developer turns are dropped */
export function dropEarlierReasoning(turns: readonly Turn[]): Turn[] {
  const lastUser = lastUserIndex(turns);
  const kept: Turn[] = [];
  turns.forEach((t, i) => {
    if (t.role === 'user' || t.role === 'system' || t.role === 'latest_reminder' || i >= lastUser) kept.push(t);
    else if (t.role === 'assistant') kept.push({ ...t, reasoning: undefined });
  });
  return kept;
}

export function lastUserIndex(turns: readonly Turn[]): number {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i].role === 'user' || turns[i].role === 'developer') return i;
  return -1;
}

function textOf(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // OpenAI content parts: text parts only (this model reads no images)
    return value
      .map((part, j) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p?.type !== 'text' || typeof p.text !== 'string') {
          throw new InvalidArgumentError(`${field}[${j}] must be a text part {type: "text", text}`, `${field}[${j}]`);
        }
        return p.text;
      })
      .join('\n\n');
  }
  throw new InvalidArgumentError(`${field} must be a string`, field);
}

function taskOf(value: unknown, field: string): TaskName | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && Object.hasOwn(TASK_TOKENS, value)) return value as TaskName;
  throw new InvalidArgumentError(`${field} must be one of ${Object.keys(TASK_TOKENS).join(', ')}`, field);
}

function toolCallsOf(value: unknown, field: string): ToolCallInput[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${field} must be an array`, field);
  return value.map((raw, j) => {
    const call = raw as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const name = call?.function?.name;
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError(`${field}[${j}].function.name must be a non-empty string`, `${field}[${j}].function.name`);
    }
    const id = typeof call.id === 'string' ? call.id : '';
    return { id, name, arguments: call.function?.arguments ?? '{}' };
  });
}

function appendToolResult(turns: Turn[], block: UserBlock): void {
  const last = turns.at(-1);
  if (last?.role === 'user' && last.blocks) last.blocks.push(block);
  else turns.push({ role: 'user', content: '', blocks: [block] });
}

function appendUserText(turns: Turn[], text: string, task: TaskName | undefined, withoutEos: boolean): void {
  const last = turns.at(-1);
  if (last?.role === 'user' && last.blocks && last.task === undefined) {
    last.blocks.push({ type: 'text', text });
    return;
  }
  const turn: Turn = { role: 'user', content: text, blocks: [{ type: 'text', text }] };
  if (task) turn.task = task;
  if (withoutEos) turn.withoutEos = true;
  turns.push(turn);
}

/** request-level tools go on the leading system/developer turn, or on a new empty system turn before everything */
function attachTools(turns: Turn[], tools: readonly ToolDefinition[] | undefined): void {
  if (!tools || tools.length === 0) return;
  const functions = tools.map((t, i) => {
    const fn = (t as { function?: unknown })?.function;
    if (typeof fn !== 'object' || fn === null || typeof (fn as { name?: unknown }).name !== 'string') {
      throw new InvalidArgumentError(`tools[${i}] must be {type: "function", function: {name, …}}`, `tools[${i}]`);
    }
    return fn;
  });
  const head = turns[0];
  if (head && (head.role === 'system' || head.role === 'developer')) head.tools = functions;
  else turns.unshift({ role: 'system', content: '', tools: functions });
}

/** tool results of one user turn follow the order of the calls of the latest assistant turn with tool calls */
function sortToolResults(turns: Turn[]): void {
  let order = new Map<string, number>();
  for (const t of turns) {
    if (t.role === 'assistant' && t.toolCalls && t.toolCalls.length > 0) {
      order = new Map();
      t.toolCalls.forEach((c, i) => {
        if (c.id) order.set(c.id, i);
      });
    } else if (t.role === 'user' && t.blocks) {
      const results = t.blocks.filter((b) => b.type === 'tool_result');
      if (results.length < 2 || order.size === 0) continue;
      const sorted = [...results].sort((a, b) => (order.get(a.toolCallId) ?? 0) - (order.get(b.toolCallId) ?? 0));
      let next = 0;
      t.blocks = t.blocks.map((b) => (b.type === 'tool_result' ? sorted[next++] : b));
    }
  }
}
