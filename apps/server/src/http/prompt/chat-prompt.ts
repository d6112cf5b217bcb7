/** Chat messages → the prompt's token ids, through the model's chat template. */
import { ChatTemplateError, type ChatMessage, type TextTokenizer } from '@plexus/core';
import { badRequest, unsupportedField } from '../errors/api-error.ts';
import type { ChatMessageInput } from '../schemas/chat-completion-request.ts';

export interface ChatPromptOptions {
  addGenerationPrompt?: boolean | null;
  templateKwargs?: Record<string, unknown> | null;
  tools?: unknown[] | null;
}

export function renderChatPrompt(tokenizer: TextTokenizer, messages: ChatMessageInput[], opts: ChatPromptOptions = {}): string {
  const normalized = messages.map(normalizeMessage);
  try {
    return tokenizer.applyChatTemplate(normalized, {
      addGenerationPrompt: opts.addGenerationPrompt ?? true,
      tools: opts.tools && opts.tools.length > 0 ? opts.tools : undefined,
      extra: opts.templateKwargs ?? undefined,
    });
  } catch (err) {
    if (err instanceof ChatTemplateError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(`The chat template rejected these messages: ${why}`, 'messages');
  }
}

/** the template renders text; special tokens in it are literal markers, so no extra BOS is added */
export function encodeChatPrompt(tokenizer: TextTokenizer, messages: ChatMessageInput[], opts: ChatPromptOptions = {}): number[] {
  return tokenizer.encode(renderChatPrompt(tokenizer, messages, opts), { addSpecialTokens: false });
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
