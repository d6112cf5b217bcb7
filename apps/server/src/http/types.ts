/** What the HTTP app needs from the rest of the server: the served model and a few process-level hooks. */
import type {
  ChatEncoder,
  EngineClient,
  GenerationDefaults,
  ReasoningParser,
  TextGenerationEvent,
  TextGenerationRequest,
  TextTokenizer,
  ToolCallParser,
} from '@plexus/core';

export type { ChatEncoder, ReasoningParser, ToolCallParser };

/** The model the server answers for. The CLI builds it from a loaded checkpoint and an engine client. */
export interface ServedModel {
  /** the id clients put in `model` (--served-model-name, else the model directory name) */
  name: string;
  /** longest prompt + completion the engine accepts (context length) */
  maxModelLen: number;
  tokenizer: TextTokenizer;
  engine: EngineClient;
  /** false while weights are still loading: /health answers 503 and generation endpoints 503 */
  ready(): boolean;
  /** generation_config.json defaults (temperature, top_p, …, eos ids) applied when a request omits a field */
  defaults: GenerationDefaults;
  /** renders chat prompts when the tokenizer has no chat template (e.g. DeepSeek-V4); a template always wins */
  chatEncoder?: ChatEncoder;
  /** --reasoning-parser: chat responses carry `reasoning_content` */
  reasoningParser?: ReasoningParser;
  /** --tool-call-parser: chat requests may send `tools` / `tool_choice`; responses carry `tool_calls` */
  toolParser?: ToolCallParser;
  /** unix seconds shown as `created` in /v1/models (default: when the app was created) */
  createdAt?: number;
}

/** Text-level generation over an engine (core's `streamText`); injectable so tests and the CLI can choose. */
export type StreamText = (
  engine: EngineClient,
  tokenizer: TextTokenizer,
  req: TextGenerationRequest,
  signal?: AbortSignal,
) => AsyncIterable<TextGenerationEvent>;

/** Minimal logger surface (pino's); the app creates a pino logger when none is given. */
export interface AppLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AppLimits {
  /** request bodies above this are refused with 413 (default 8 MiB) */
  maxBodyBytes: number;
  /** largest `n` a request may ask for (default 128) */
  maxN: number;
  /** most stop strings / stop token ids in one request (default 64) */
  maxStopSequences: number;
  /** longest single stop string in characters (default 1024) */
  maxStopLength: number;
  /** most top logprobs per token (default 20, as OpenAI) */
  maxTopLogprobs: number;
}

export interface AppDeps {
  /** what GET /plugins returns (the loader's report) */
  pluginReport(): unknown;
  /** absent: the server runs without a model (health 200, generation endpoints 503) */
  model?: ServedModel;
  /** clients must send `Authorization: Bearer <apiKey>` when set (--api-key) */
  apiKey?: string;
  limits?: Partial<AppLimits>;
  logger?: AppLogger;
  /** defaults to core's streamText */
  streamText?: StreamText;
}
