/**
 * A reasoning parser separates a model's reasoning ("thinking") from its answer, for `reasoning_content`.
 * Non-streaming `parse` and the streaming state machine must agree: pushing any split of a text and then
 * calling finish() yields the same reasoning and content as parse(text).
 */

export interface ReasoningParseOptions {
  /**
   * The rendered prompt, when known. Templates often open the reasoning block in the prompt itself
   * (DeepSeek-V4 thinking mode ends it with `<think>`), so the generated text starts inside reasoning.
   * Without it a parser assumes its model's default mode (documented by the parser).
   */
  prompt?: string;
}

export interface ReasoningResult {
  /** '' when the text has no reasoning */
  reasoning: string;
  content: string;
}

export interface ReasoningDelta {
  reasoningDelta: string;
  contentDelta: string;
}

/** One generation's parse state. Markers split across pushes are held back, never emitted as text. */
export interface ReasoningStream {
  push(delta: string): ReasoningDelta;
  /** emits whatever was held back (the text ended); call once */
  finish(): ReasoningDelta;
}

export interface ReasoningParser {
  readonly name: string;
  /**
   * True when the parser's markers may be special tokens of the tokenizer: detokenizing with
   * skip_special_tokens would erase them, so the server keeps special tokens unless the client asks otherwise.
   */
  readonly needsSpecialTokens: boolean;
  /** true when generation after `prompt` starts inside a reasoning block */
  startsInReasoning(prompt: string | undefined): boolean;
  parse(text: string, opts?: ReasoningParseOptions): ReasoningResult;
  createStream(opts?: ReasoningParseOptions): ReasoningStream;
}
