/**
 * DeepSeek-V4's text side: the chat encoding (its checkpoint ships no chat template), the `deepseek_v4`
 * reasoning parser and the `deepseek_v4` DSML tool-call parser. The plugin's register() adds them to the
 * TextProcessingRegistry; nothing here imports model code.
 */
export { DSV4_TEXT_NAME, createDeepseekV4ChatEncoder, encodeDeepseekV4 } from './chat-encoder.ts';
export { createDeepseekV4ReasoningParser } from './reasoning-parser.ts';
export { createDeepseekV4ToolParser, newToolCallId } from './dsml-tool-parser.ts';
export * as Dsv4Tokens from './special-tokens.ts';
