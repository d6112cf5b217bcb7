import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError, ExtensionFailedError, InvalidArgumentError, PluginLoadError, TextProcessorNotFoundError } from '../../src/errors.ts';
import type { ChatEncoder } from '../../src/text/chat-encoder.ts';
import type { ReasoningParser } from '../../src/text/reasoning-parser.ts';
import { TextProcessingRegistry } from '../../src/text/text-processing-registry.ts';
import type { ToolCallParser } from '../../src/text/tool-call-parser.ts';

const encoder = (name: string): ChatEncoder => ({ name, encode: (messages) => messages.map((m) => m.content).join('|') });

const reasoning = (name: string): ReasoningParser => ({
  name,
  needsSpecialTokens: false,
  startsInReasoning: () => false,
  parse: (text) => ({ reasoning: '', content: text }),
  createStream: () => ({ push: (d) => ({ reasoningDelta: '', contentDelta: d }), finish: () => ({ reasoningDelta: '', contentDelta: '' }) }),
});

const tools = (name: string): ToolCallParser => ({
  name,
  needsSpecialTokens: false,
  parse: (text) => ({ content: text, toolCalls: [] }),
  createStream: () => ({ push: (d) => ({ contentDelta: d, toolCallDeltas: [] }), finish: () => ({ contentDelta: '', toolCallDeltas: [] }) }),
});

describe('TextProcessingRegistry', () => {
  it('gets a fresh instance per call from the registered factory, per kind', () => {
    const reg = new TextProcessingRegistry();
    let made = 0;
    reg.register('reasoningParser', 'r1', () => {
      made++;
      return reasoning('r1');
    });
    reg.register('toolCallParser', 'r1', () => tools('r1')); // same name, other kind: no clash
    const a = reg.get('reasoningParser', 'r1');
    const b = reg.get('reasoningParser', 'r1');
    expect(a).not.toBe(b);
    expect(made).toBe(2);
    expect(a.parse('x')).toEqual({ reasoning: '', content: 'x' });
    expect(reg.get('toolCallParser', 'r1').parse('y').content).toBe('y');
    expect(reg.names('reasoningParser')).toEqual(['r1']);
    expect(reg.names('chatEncoder')).toEqual([]);
  });

  it('a missing name lists the registered names of that kind; the error is a 400-class invalid argument', () => {
    const reg = new TextProcessingRegistry();
    reg.register('toolCallParser', 'hermes', () => tools('hermes'));
    reg.register('toolCallParser', 'deepseek_v4', () => tools('deepseek_v4'));
    const err = (() => {
      try {
        reg.get('toolCallParser', 'qwen');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TextProcessorNotFoundError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as TextProcessorNotFoundError).code).toBe('invalid_argument');
    expect((err as Error).message).toMatch(/no tool-call parser 'qwen'.*registered: deepseek_v4, hermes/);
    expect(() => new TextProcessingRegistry().get('chatEncoder', 'x')).toThrow(/registered: none/);
  });

  it('names the plugin that should provide a missing name and its load failure', () => {
    const cause = new PluginLoadError('dsv4', "plugin 'dsv4' failed to import: missing native symbol dsv4_sparse_attn");
    const reg = new TextProcessingRegistry((kind, name) =>
      kind === 'reasoningParser' && name === 'deepseek_v4' ? { pluginId: 'dsv4', status: 'failed', cause } : undefined,
    );
    expect(() => reg.get('reasoningParser', 'deepseek_v4')).toThrow(/plugin 'dsv4' provides it but failed to load: .*dsv4_sparse_attn/);
    expect(() => reg.get('reasoningParser', 'other')).toThrow(/load a plugin that registers reasoning parser 'other'/);
  });

  it('disposers undo exactly their registration; re-registering the same factory is a no-op, another one an error', () => {
    const reg = new TextProcessingRegistry();
    const factory = () => encoder('e');
    const d1 = reg.register('chatEncoder', 'e', factory, 'plugin-a');
    const d2 = reg.register('chatEncoder', 'e', factory, 'plugin-a');
    expect(() => reg.register('chatEncoder', 'e', () => encoder('e'), 'plugin-b')).toThrow(DuplicateRegistrationError);
    d1();
    d1(); // idempotent
    expect(reg.has('chatEncoder', 'e')).toBe(true); // still held by the second registration
    d2();
    expect(reg.has('chatEncoder', 'e')).toBe(false);
    expect(reg.list()).toEqual([]);
  });

  it('a throwing factory is an ExtensionFailedError naming the processor; a malformed instance names the owner', () => {
    const reg = new TextProcessingRegistry();
    reg.register('reasoningParser', 'boom', () => {
      throw new Error('tokenizer table missing');
    });
    reg.register('toolCallParser', 'half', () => ({ name: 'half' }) as unknown as ToolCallParser, 'plugin-x');
    expect(() => reg.get('reasoningParser', 'boom')).toThrow(ExtensionFailedError);
    expect(() => reg.get('reasoningParser', 'boom')).toThrow(/'boom' threw in create: Error: tokenizer table missing/);
    expect(() => reg.get('toolCallParser', 'half')).toThrow(/'half' \(from plugin-x\).*parse\(\), createStream\(\)/);
  });

  it('rejects unknown kinds and non-function factories', () => {
    const reg = new TextProcessingRegistry();
    expect(() => (reg.register as (k: string, n: string, f: () => unknown) => unknown)('templateEngine', 'x', () => encoder('x'))).toThrow(/unknown kind 'templateEngine'/);
    expect(() => reg.register('chatEncoder', 'x', 'nope' as never)).toThrow(/needs a factory function/);
    expect(() => reg.register('chatEncoder', '', () => encoder(''))).toThrow(/non-empty string/);
  });

  it('a chat encoder can be the default of an architecture', () => {
    const reg = new TextProcessingRegistry();
    reg.register('chatEncoder', 'deepseek_v4', () => encoder('deepseek_v4'), 'dsv4');
    const undo = reg.setDefaultChatEncoder('DeepseekV4ForCausalLM', 'deepseek_v4', 'dsv4');
    expect(reg.defaultChatEncoder('DeepseekV4ForCausalLM')?.name).toBe('deepseek_v4');
    expect(reg.defaultChatEncoder('LlamaForCausalLM')).toBeUndefined();
    expect(() => reg.setDefaultChatEncoder('DeepseekV4ForCausalLM', 'other', 'x')).toThrow(DuplicateRegistrationError);
    undo();
    expect(reg.defaultChatEncoder('DeepseekV4ForCausalLM')).toBeUndefined();
    // a default pointing at an encoder that is not registered says so when used
    reg.setDefaultChatEncoder('Foo', 'ghost');
    expect(() => reg.defaultChatEncoder('Foo')).toThrow(TextProcessorNotFoundError);
  });

  it('lists every registration with its kind and owner', () => {
    const reg = new TextProcessingRegistry();
    reg.register('toolCallParser', 't', () => tools('t'), 'p1');
    reg.register('chatEncoder', 'c', () => encoder('c'), 'p2');
    expect(reg.list()).toEqual([
      { kind: 'chatEncoder', name: 'c', owner: 'p2' },
      { kind: 'toolCallParser', name: 't', owner: 'p1' },
    ]);
  });
});
