/**
 * A chat encoder turns chat messages into prompt text in code, for models whose checkpoint ships no Jinja
 * chat template (DeepSeek-V4 publishes its encoding as Python). The server uses it only when the tokenizer
 * has no template; the text it returns is tokenized without adding special tokens (BOS is in the text).
 */
import type { ChatMessage } from '../model/types.ts';

/** An OpenAI tool definition, as clients send it in `tools`. */
export interface ToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** JSON Schema of the arguments object */
    parameters?: Record<string, unknown>;
    [extra: string]: unknown;
  };
}

export interface ChatEncodeOptions {
  /** tool schemas to describe in the prompt (omitted or empty: no tools section) */
  tools?: readonly ToolDefinition[];
  /** reasoning ("thinking") mode; undefined = the encoder's default */
  thinking?: boolean;
  /** OpenAI `reasoning_effort` (e.g. "high", "max", "none"); an encoder rejects values it does not know */
  reasoningEffort?: string;
  /** end the prompt with the opening of an assistant turn */
  addGenerationPrompt: boolean;
  /**
   * Forced start of the assistant's answer (after any reasoning), e.g. the opening of a tool call for
   * tool_choice "required" or a named function. An encoder that cannot place it (reasoning comes first)
   * throws InvalidArgumentError saying how to make it possible.
   */
  answerPrefix?: string;
  /** the request's chat_template_kwargs, for encoder-specific switches (e.g. drop_thinking) */
  extra?: Readonly<Record<string, unknown>>;
}

export interface ChatEncoder {
  readonly name: string;
  /** throws InvalidArgumentError (naming the message field) for messages it cannot encode */
  encode(messages: readonly ChatMessage[], opts: ChatEncodeOptions): string;
}
