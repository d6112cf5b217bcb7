/**
 * Chat messages → prompt text and token ids: through the tokenizer's chat template, or, when the checkpoint
 * ships none, through the model's chat encoder (DeepSeek-V4 encodes in code). The text is kept because
 * parsers read it (a prompt ending in `<think>` means the output starts inside reasoning).
 */
import { ChatTemplateError, InvalidArgumentError, type ChatMessage, type ToolDefinition } from '@plexus/core';
import { ApiError, badRequest, unsupportedField } from '../errors/api-error.ts';
import type { ChatMessageInput } from '../schemas/chat-completion-request.ts';
import type { ServedModel } from '../types.ts';

export interface ChatPromptOptions {
  addGenerationPrompt?: boolean | null;
  templateKwargs?: Record<string, unknown> | null;
  /** validated tool definitions to describe in the prompt */
  tools?: ToolDefinition[];
  reasoningEffort?: string | null;
  /** forced start of the answer (tool_choice "required" / named); only a chat encoder can place it */
  answerPrefix?: string;
}

export interface ChatPrompt {
  text: string;
  ids: number[];
}

/** true when prompts of this model come from its chat encoder rather than a template */
export const usesChatEncoder = (model: ServedModel): boolean => !model.tokenizer.hasChatTemplate && model.chatEncoder !== undefined;

export function renderChatPrompt(model: ServedModel, messages: ChatMessageInput[], opts: ChatPromptOptions = {}): string {
  const normalized = messages.map(normalizeMessage);
  const tools = opts.tools && opts.tools.length > 0 ? opts.tools : undefined;
  const kwargs = opts.templateKwargs ?? undefined;
  const effort = opts.reasoningEffort ?? undefined;
  try {
    if (usesChatEncoder(model)) {
      return model.chatEncoder!.encode(normalized, {
        addGenerationPrompt: opts.addGenerationPrompt ?? true,
        tools,
        thinking: thinkingSwitch(kwargs),
        reasoningEffort: effort,
        answerPrefix: opts.answerPrefix,
        extra: kwargs,
      });
    }
    if (opts.answerPrefix !== undefined) {
      throw badRequest('Forcing a tool call (tool_choice "required" or a named function) needs the model\'s own chat encoder; this model renders prompts with a chat template. Use tool_choice "auto".', 'tool_choice');
    }
    // templates that know reasoning_effort (gpt-oss style) read it as a variable
    const extra = effort !== undefined && kwargs?.reasoning_effort === undefined ? { ...kwargs, reasoning_effort: effort } : kwargs;
    return model.tokenizer.applyChatTemplate(normalized, { addGenerationPrompt: opts.addGenerationPrompt ?? true, tools, extra });
  } catch (err) {
    if (err instanceof ChatTemplateError || err instanceof InvalidArgumentError || err instanceof ApiError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(`The chat template rejected these messages: ${why}`, 'messages');
  }
}

/** the special tokens in the text are literal markers, so no extra BOS is added */
export function encodeChatPrompt(model: ServedModel, messages: ChatMessageInput[], opts: ChatPromptOptions = {}): ChatPrompt {
  const text = renderChatPrompt(model, messages, opts);
  return { text, ids: model.tokenizer.encode(text, { addSpecialTokens: false }) };
}

/** chat_template_kwargs.thinking / enable_thinking (both spellings are in use) */
function thinkingSwitch(kwargs: Record<string, unknown> | undefined): boolean | undefined {
  for (const key of ['thinking', 'enable_thinking']) {
    const v = kwargs?.[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw badRequest(`\`chat_template_kwargs.${key}\` must be true or false.`, 'chat_template_kwargs');
    return v;
  }
  return undefined;
}

function normalizeMessage(m: ChatMessageInput, i: number): ChatMessage {
  const { content, ...rest } = m;
  const out: ChatMessage = { ...rest, role: m.role === 'developer' ? 'system' : m.role, content: flattenContent(content, i) };
  // clients name an assistant turn's reasoning either way; templates read reasoning_content
  if (out.reasoning_content === undefined && typeof out.reasoning === 'string') out.reasoning_content = out.reasoning;
  return out;
}

function flattenContent(content: ChatMessageInput['content'], i: number): string | null {
  if (content === undefined || content === null) return null;
  if (typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type !== 'text') {
        throw unsupportedField(`messages[${i}].content[${j}].type`, `content parts of type "${part.type}" are not supported by this text-only model`);
      }
      if (typeof part.text !== 'string') throw badRequest(`\`messages[${i}].content[${j}].text\` must be a string.`, `messages[${i}].content[${j}].text`);
      return part.text;
    })
    .join('\n');
}
