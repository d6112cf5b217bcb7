/**
 * DeepSeek-V4's chat encoding (its checkpoint ships no Jinja template; the reference is encoding_dsv4.py):
 *   BOS {system}[\n\n## Tools…] <｜User｜>{user}<｜Assistant｜></think>{answer}<｜end▁of▁sentence｜>   chat mode
 *   … <｜User｜>{user}<｜Assistant｜><think>{reasoning}</think>{answer}<｜end▁of▁sentence｜>              thinking mode
 * No newlines between turns. Thinking mode drops the reasoning of turns before the last user turn unless
 * tools are present or chat_template_kwargs.drop_thinking is false.
 */
import { InvalidArgumentError, type ChatEncodeOptions, type ChatEncoder, type ChatMessage } from '@plexus/core';
import { buildConversation, dropEarlierReasoning, lastUserIndex, type Turn } from './conversation.ts';
import { DSV4_TEXT_PROCESSOR } from '../manifest.ts';
import { renderToolCalls } from './dsml-encode.ts';
import { ASSISTANT, BOS, EOS, LATEST_REMINDER, TASK_TOKENS, THINK_END, THINK_START, USER } from './special-tokens.ts';
import { renderToolsSection } from './tools-section.ts';

export const DSV4_TEXT_NAME = DSV4_TEXT_PROCESSOR;

const REASONING_EFFORT_MAX =
  'Reasoning Effort: Absolute maximum with no shortcuts permitted.\n' +
  'You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root cause, rigorously stress-testing your logic against all potential paths, edge cases, and adversarial scenarios.\n' +
  'Explicitly write out your entire deliberation process, documenting every intermediate step, considered alternative, and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n';

/** OpenAI reasoning_effort values; "none" switches to chat mode, "max" adds the maximum-effort preface */
const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'max']);

interface Mode {
  thinking: boolean;
  dropThinking: boolean;
  maxEffort: boolean;
}

export function createDeepseekV4ChatEncoder(): ChatEncoder {
  return { name: DSV4_TEXT_NAME, encode: encodeDeepseekV4 };
}

export function encodeDeepseekV4(messages: readonly ChatMessage[], opts: ChatEncodeOptions): string {
  const effort = opts.reasoningEffort;
  if (effort !== undefined && !EFFORTS.has(effort)) {
    throw new InvalidArgumentError(`reasoning_effort "${effort}" is not one of ${[...EFFORTS].join(', ')}`, 'reasoning_effort');
  }
  const thinking = effort === 'none' ? false : (opts.thinking ?? true);
  const dropSetting = opts.extra?.drop_thinking ?? true;
  if (typeof dropSetting !== 'boolean') throw new InvalidArgumentError('chat_template_kwargs.drop_thinking must be a boolean', 'chat_template_kwargs');

  let turns = buildConversation(messages, opts.tools);
  // reasoning that led to tool calls stays visible while tools are in play
  const dropThinking = dropSetting && !turns.some((t) => t.tools !== undefined);
  if (thinking && dropThinking) turns = dropEarlierReasoning(turns);
  const mode: Mode = { thinking, dropThinking, maxEffort: thinking && effort === 'max' };

  let prompt = BOS;
  const lastUser = lastUserIndex(turns);
  turns.forEach((turn, i) => {
    if (i === 0 && mode.maxEffort) prompt += REASONING_EFFORT_MAX;
    prompt += renderTurn(turns, i, lastUser, mode);
    const isLast = i === turns.length - 1;
    if (!isLast || opts.addGenerationPrompt) prompt += transitionAfter(turns, i, lastUser, mode);
  });
  if (opts.answerPrefix !== undefined) prompt += placeAnswerPrefix(prompt, turns, opts);
  return prompt;
}

function renderTurn(turns: readonly Turn[], i: number, lastUser: number, mode: Mode): string {
  const t = turns[i];
  switch (t.role) {
    case 'system':
      return t.content + (t.tools ? `\n\n${renderToolsSection(t.tools)}` : '');
    case 'developer':
      return USER + t.content + (t.tools ? `\n\n${renderToolsSection(t.tools)}` : '');
    case 'user': {
      const parts = (t.blocks ?? [{ type: 'text' as const, text: t.content }]).map((b) =>
        b.type === 'text' ? b.text : `<tool_result>${b.content}</tool_result>`,
      );
      return USER + parts.join('\n\n');
    }
    case 'latest_reminder':
      return LATEST_REMINDER + t.content;
    case 'assistant': {
      const calls = t.toolCalls && t.toolCalls.length > 0 ? renderToolCalls(t.toolCalls) : '';
      const afterTask = i > 0 && turns[i - 1].task !== undefined;
      const keepsReasoning = mode.thinking && !afterTask && (!mode.dropThinking || i > lastUser);
      const reasoning = keepsReasoning ? `${t.reasoning ?? ''}${THINK_END}` : '';
      return reasoning + t.content + calls + (t.withoutEos ? '' : EOS);
    }
  }
}

/** what opens the next assistant turn (or a task) after turn i; nothing when a non-assistant turn follows */
function transitionAfter(turns: readonly Turn[], i: number, lastUser: number, mode: Mode): string {
  const next = turns[i + 1];
  if (next && next.role !== 'assistant' && next.role !== 'latest_reminder') return '';
  const t = turns[i];
  if (t.task !== undefined) {
    if (t.task !== 'action') return TASK_TOKENS[t.task];
    return ASSISTANT + (mode.thinking ? THINK_START : THINK_END) + TASK_TOKENS.action;
  }
  if (t.role !== 'user' && t.role !== 'developer') return '';
  const opensReasoning = mode.thinking && (!mode.dropThinking || i >= lastUser);
  return ASSISTANT + (opensReasoning ? THINK_START : THINK_END);
}

/** a forced answer start goes right after `<｜Assistant｜></think>`; in thinking mode the reasoning must come first */
function placeAnswerPrefix(prompt: string, turns: readonly Turn[], opts: ChatEncodeOptions): string {
  const last = turns.at(-1);
  const endsInAnswer = opts.addGenerationPrompt && last?.task === undefined && prompt.endsWith(ASSISTANT + THINK_END);
  if (!endsInAnswer) {
    const why = prompt.endsWith(ASSISTANT + THINK_START)
      ? 'in thinking mode DeepSeek-V4 reasons before it answers; turn thinking off (chat_template_kwargs {"thinking": false})'
      : 'the conversation must end with a user message';
    throw new InvalidArgumentError(`cannot force the start of the answer (tool_choice "required" or a named function): ${why}, or use tool_choice "auto"`, 'tool_choice');
  }
  return opts.answerPrefix ?? '';
}
