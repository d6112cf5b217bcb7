/** Text processing contracts (chat encoders, reasoning and tool-call parsers) and their registry. */
export type { ChatEncoder, ChatEncodeOptions, ToolDefinition } from './chat-encoder.ts';
export type { ReasoningParser, ReasoningParseOptions, ReasoningResult, ReasoningDelta, ReasoningStream } from './reasoning-parser.ts';
export type {
  ToolCall, ToolCallDelta, ToolCallParser, ToolCallParseOptions, ToolCallParseResult, ToolCallStream, ToolCallStreamDelta,
} from './tool-call-parser.ts';
export { TextProcessingRegistry, TEXT_PROCESSOR_KINDS } from './text-processing-registry.ts';
export type { TextProcessors, TextProcessorKind, TextProcessorFactory, TextProcessorProviderLookup } from './text-processing-registry.ts';
