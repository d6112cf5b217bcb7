/**
 * TextProcessingRegistry: chat encoders, reasoning parsers and tool-call parsers, each kind keyed by name
 * (`--reasoning-parser deepseek_v4`). Factories run on `get`, so every caller gets its own instance.
 * A chat encoder can also be made the default of an architecture whose checkpoints ship no chat template.
 * Standalone: the kernel exposes one on the plugin context; tests construct their own.
 */
import { ExtensionFailedError, TextProcessorNotFoundError } from '../errors.ts';
import { causeText, type ProviderStatus, type ProvidesKind } from '../kernel/registries/provider-lookup.ts';
import { RegistrationTable, type Disposer } from '../kernel/registries/registration.ts';
import type { ChatEncoder } from './chat-encoder.ts';
import type { ReasoningParser } from './reasoning-parser.ts';
import type { ToolCallParser } from './tool-call-parser.ts';

/** What each kind of text processor is. */
export interface TextProcessors {
  chatEncoder: ChatEncoder;
  reasoningParser: ReasoningParser;
  toolCallParser: ToolCallParser;
}

export type TextProcessorKind = keyof TextProcessors;

export type TextProcessorFactory<K extends TextProcessorKind> = () => TextProcessors[K];

/** Which plugin should have provided a missing name, and what happened to it (the plugin loader answers). */
export type TextProcessorProviderLookup = (kind: TextProcessorKind, name: string) => ProviderStatus | undefined;

/** the manifest `provides` key of each kind (so a missing parser's plugin can be explained) */
export const TEXT_PROVIDES_KIND = {
  chatEncoder: 'chatEncoders',
  reasoningParser: 'reasoningParsers',
  toolCallParser: 'toolCallParsers',
} as const satisfies Record<TextProcessorKind, ProvidesKind>;

export const TEXT_PROCESSOR_KINDS: readonly TextProcessorKind[] = ['chatEncoder', 'reasoningParser', 'toolCallParser'];

/** the methods an instance of each kind must have (checked on get, so a broken plugin is named) */
const REQUIRED_METHODS: { readonly [K in TextProcessorKind]: readonly string[] } = {
  chatEncoder: ['encode'],
  reasoningParser: ['parse', 'createStream', 'startsInReasoning'],
  toolCallParser: ['parse', 'createStream'],
};

const LABEL: { readonly [K in TextProcessorKind]: string } = {
  chatEncoder: 'chat encoder',
  reasoningParser: 'reasoning parser',
  toolCallParser: 'tool-call parser',
};

export class TextProcessingRegistry {
  private readonly tables: { readonly [K in TextProcessorKind]: RegistrationTable<TextProcessorFactory<K>> } = {
    chatEncoder: new RegistrationTable('TextProcessingRegistry.chatEncoder'),
    reasoningParser: new RegistrationTable('TextProcessingRegistry.reasoningParser'),
    toolCallParser: new RegistrationTable('TextProcessingRegistry.toolCallParser'),
  };
  /** architecture → chat encoder name */
  private readonly defaultEncoders = new RegistrationTable<string>('TextProcessingRegistry.defaultChatEncoder');

  constructor(private readonly providers: TextProcessorProviderLookup = () => undefined) {}

  register<K extends TextProcessorKind>(kind: K, name: string, factory: TextProcessorFactory<K>, owner = 'core'): Disposer {
    const table = this.table(kind);
    if (typeof factory !== 'function') throw new TypeError(`TextProcessingRegistry: ${LABEL[kind]} '${name}' needs a factory function`);
    return table.add(name, factory, owner);
  }

  /** makes chat encoder `encoderName` the one used for `architecture` when its checkpoint has no chat template */
  setDefaultChatEncoder(architecture: string, encoderName: string, owner = 'core'): Disposer {
    return this.defaultEncoders.add(architecture, encoderName, owner);
  }

  /** the default chat encoder of an architecture, or undefined when none is set */
  defaultChatEncoder(architecture: string): ChatEncoder | undefined {
    const name = this.defaultEncoders.get(architecture);
    return name === undefined ? undefined : this.get('chatEncoder', name);
  }

  has(kind: TextProcessorKind, name: string): boolean {
    return this.table(kind).has(name);
  }

  names(kind: TextProcessorKind): string[] {
    return this.table(kind).ids().sort();
  }

  /** every registration, for `plexus plugins` style listings */
  list(): Array<{ kind: TextProcessorKind; name: string; owner: string }> {
    return TEXT_PROCESSOR_KINDS.flatMap((kind) => this.table(kind).list().map(({ id, owner }) => ({ kind, name: id, owner })));
  }

  /**
   * A new instance of the named processor. Throws TextProcessorNotFoundError listing the registered names
   * (and the failure of the plugin that should provide it), or ExtensionFailedError when the factory throws.
   */
  get<K extends TextProcessorKind>(kind: K, name: string): TextProcessors[K] {
    const table = this.table(kind);
    const factory = table.get(name);
    if (!factory) throw new TextProcessorNotFoundError(LABEL[kind], name, this.names(kind), this.explain(kind, name));
    const registry = `TextProcessingRegistry (${LABEL[kind]})`;
    let instance: TextProcessors[K];
    try {
      instance = factory();
    } catch (cause) {
      throw new ExtensionFailedError(registry, name, 'create', { cause });
    }
    const missing = REQUIRED_METHODS[kind].filter((m) => typeof (instance as unknown as Record<string, unknown> | null)?.[m] !== 'function');
    if (missing.length > 0) {
      throw new TypeError(`${LABEL[kind]} '${name}' (from ${table.ownerOf(name)}): the factory must return an object with ${missing.map((m) => `${m}()`).join(', ')}`);
    }
    return instance;
  }

  private table<K extends TextProcessorKind>(kind: K): RegistrationTable<TextProcessorFactory<K>> {
    if (!Object.hasOwn(this.tables, kind)) {
      throw new TypeError(`TextProcessingRegistry: unknown kind '${String(kind)}' (kinds: ${TEXT_PROCESSOR_KINDS.join(', ')})`);
    }
    return this.tables[kind] as RegistrationTable<TextProcessorFactory<K>>;
  }

  private explain(kind: TextProcessorKind, name: string): string {
    const provider = this.providers(kind, name);
    if (!provider) return `load a plugin that registers ${LABEL[kind]} '${name}' (--plugin or PLEXUS_PLUGINS), or pick a registered one`;
    if (provider.status === 'failed') {
      return `plugin '${provider.pluginId}' provides it but failed to load: ${causeText(provider.cause)}; fix that plugin (see \`plexus plugins\`)`;
    }
    if (provider.status === 'disabled') {
      return `plugin '${provider.pluginId}' provides it but is disabled (${provider.reason ?? 'no reason given'}); enable it to use '${name}'`;
    }
    return `plugin '${provider.pluginId}' loaded but did not register '${name}'; report this to its authors`;
  }
}
