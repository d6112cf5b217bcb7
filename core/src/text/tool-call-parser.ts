/**
 * A tool-call parser extracts OpenAI-shaped tool calls from a model's answer text. Non-streaming `parse`
 * and the streaming state machine agree: the deltas of any split of a text, folded together
 * by index, equal parse(text).toolCalls, and the content deltas concatenate to its content.
 */

export interface ToolCall {
  id: string;
  type: 'function';
  function: {
    name: string;
    /** a JSON object, as text (OpenAI's shape) */
    arguments: string;
  };
}

/** One streamed piece of a tool call: the first piece of a call carries id, type and name; later ones argument text. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: {
    name?: string;
    arguments?: string;
  };
}

export interface ToolCallParseResult {
  /** the answer text outside tool-call blocks */
  content: string;
  toolCalls: ToolCall[];
}

export interface ToolCallStreamDelta {
  contentDelta: string;
  toolCallDeltas: ToolCallDelta[];
}

export interface ToolCallParseOptions {
  /** makes tool call ids (default: `call_` + 24 random hex digits) */
  newId?: () => string;
}

/** One generation's parse state. Partial markers are held back, never leaked into content. */
export interface ToolCallStream {
  push(delta: string): ToolCallStreamDelta;
  /** closes what the text left open (a call cut off by max_tokens); call once */
  finish(): ToolCallStreamDelta;
}

export interface ToolCallParser {
  readonly name: string;
  /** see ReasoningParser.needsSpecialTokens */
  readonly needsSpecialTokens: boolean;
  parse(text: string, opts?: ToolCallParseOptions): ToolCallParseResult;
  createStream(opts?: ToolCallParseOptions): ToolCallStream;
  /**
   * Text that, placed at the start of the answer, commits the model to a tool call: of `functionName`
   * when given (tool_choice naming a function), of any tool otherwise (tool_choice "required").
   * Absent when the format cannot be forced this way; the server then refuses those tool_choice values.
   * The caller pushes the same text into the stream before the generated text.
   */
  forcedCallPrefix?(functionName?: string): string;
}
