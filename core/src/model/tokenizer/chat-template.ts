/**
 * Chat templates rendered with @huggingface/jinja the way transformers' apply_chat_template does: the
 * template sees messages, tools (null when none), documents (null), add_generation_prompt, the special
 * token strings (bos_token, eos_token, ...), caller extras (chat_template_kwargs such as enable_thinking),
 * and the library globals raise_exception / strftime_now / range. A checkpoint may ship one template or
 * several named ones ("default", "tool_use", ...); "tool_use" is chosen when tools are given.
 */
import { Template } from '@huggingface/jinja';
import { ChatTemplateError, CheckpointFormatError, InvalidArgumentError } from '../../errors.ts';
import type { ChatMessage } from '../types.ts';

export type NamedTemplates = ReadonlyMap<string, string>;

const DEFAULT_NAME = 'default';
const TOOL_USE_NAME = 'tool_use';
/** Names the renderer sets itself; extras may not override them. */
const RESERVED = new Set([
  'messages', 'tools', 'documents', 'add_generation_prompt',
  'raise_exception', 'strftime_now', 'range', 'true', 'false', 'none', 'True', 'False', 'None',
]);

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  tools?: unknown[];
  extra?: Record<string, unknown>;
}

export class ChatTemplates {
  private readonly compiled = new Map<string, Template | Error>();

  /** `origin` says where the templates came from (for errors). */
  constructor(private readonly origin: string, private readonly templates: NamedTemplates) {}

  get available(): boolean {
    return this.templates.size > 0;
  }

  render(messages: ChatMessage[], specialTokens: Readonly<Record<string, string>>, opts: RenderOptions = {}): string {
    if (!Array.isArray(messages)) throw new InvalidArgumentError('messages must be an array of {role, content}', 'messages');
    for (const key of Object.keys(opts.extra ?? {})) {
      if (RESERVED.has(key)) throw new InvalidArgumentError(`chat_template_kwargs may not set "${key}"`, 'chat_template_kwargs');
    }
    const name = this.pick(opts.tools !== undefined);
    const template = this.compile(name);
    try {
      return template.render({
        ...specialTokens,
        ...opts.extra,
        messages,
        tools: opts.tools ?? null,
        documents: null,
        add_generation_prompt: opts.addGenerationPrompt ?? false,
      });
    } catch (e) {
      throw new ChatTemplateError(`chat template ${this.label(name)} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private pick(withTools: boolean): string {
    if (this.templates.size === 0) {
      throw new ChatTemplateError(`${this.origin} has no chat template (tokenizer_config.json "chat_template" or chat_template.jinja); send a plain prompt or add a template`);
    }
    if (withTools && this.templates.has(TOOL_USE_NAME)) return TOOL_USE_NAME;
    if (this.templates.has(DEFAULT_NAME)) return DEFAULT_NAME;
    throw new ChatTemplateError(`${this.origin} has several chat templates (${[...this.templates.keys()].join(', ')}) and none named "${DEFAULT_NAME}"`);
  }

  private compile(name: string): Template {
    let t = this.compiled.get(name);
    if (t === undefined) {
      try {
        t = new Template(this.templates.get(name)!);
      } catch (e) {
        t = e as Error;
      }
      this.compiled.set(name, t);
    }
    if (t instanceof Error) throw new ChatTemplateError(`chat template ${this.label(name)} does not parse: ${t.message}`, { cause: t });
    return t;
  }

  private label(name: string): string {
    return this.templates.size === 1 && name === DEFAULT_NAME ? `of ${this.origin}` : `"${name}" of ${this.origin}`;
  }
}

/**
 * tokenizer_config.json "chat_template" (a string, or a list of {name, template}) overridden by a
 * chat_template.jinja file, as transformers loads them. Returns an empty map when there is none.
 */
export function parseChatTemplates(configPath: string, fromConfig: unknown, fromFile: string | undefined): NamedTemplates {
  const map = new Map<string, string>();
  if (fromFile !== undefined) {
    map.set(DEFAULT_NAME, fromFile);
    return map;
  }
  if (fromConfig === undefined || fromConfig === null) return map;
  if (typeof fromConfig === 'string') {
    map.set(DEFAULT_NAME, fromConfig);
    return map;
  }
  if (Array.isArray(fromConfig)) {
    for (const entry of fromConfig) {
      const { name, template } = (entry ?? {}) as { name?: unknown; template?: unknown };
      if (typeof name !== 'string' || typeof template !== 'string') {
        throw new CheckpointFormatError(configPath, 'chat_template list entries must be {"name": string, "template": string}');
      }
      map.set(name, template);
    }
    return map;
  }
  throw new CheckpointFormatError(configPath, 'chat_template must be a string or a list of {name, template}');
}
