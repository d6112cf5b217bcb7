/**
 * Expected prompts are transcribed from DeepSeek's reference encoder (encoding_dsv4.py) and its published
 * golden output encoding/tests/test_output_2.txt, as quoted in /work/shared/reference/dsv4-architecture.md §5.
 * They are written out literally here, never produced by the encoder under test.
 */
import { InvalidArgumentError, type ChatMessage, type ToolDefinition } from '@plexus/core';
import { describe, expect, it } from 'vitest';
import { encodeDeepseekV4 } from '../../src/text/chat-encoder.ts';

const BOS = '<｜begin▁of▁sentence｜>';
const EOS = '<｜end▁of▁sentence｜>';
const SYSTEM: ChatMessage = { role: 'system', content: 'You are a helpful assistant.' };

const chat = { addGenerationPrompt: true, thinking: false } as const;
const think = { addGenerationPrompt: true, thinking: true } as const;

const THREE_TURNS: ChatMessage[] = [
  SYSTEM,
  { role: 'user', content: 'One' },
  { role: 'assistant', content: 'First answer.', reasoning_content: 'First reasoning.' },
  { role: 'user', content: 'Two' },
  { role: 'assistant', content: 'Second answer.', reasoning_content: 'Second reasoning.' },
  { role: 'user', content: 'Three' },
];

const WEATHER_TOOL: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get weather',
    parameters: { type: 'object', properties: { location: { type: 'string' }, days: { type: 'integer' } }, required: ['location'] },
  },
};

/** the reference TOOLS_TEMPLATE, rendered, with one schema line */
const toolsSection = (schemas: string) =>
  '## Tools\n\n' +
  'You have access to a set of tools to help answer the user\'s question. You can invoke tools by writing a "<｜DSML｜tool_calls>" block like the following:\n\n' +
  '<｜DSML｜tool_calls>\n' +
  '<｜DSML｜invoke name="$TOOL_NAME">\n' +
  '<｜DSML｜parameter name="$PARAMETER_NAME" string="true|false">$PARAMETER_VALUE</｜DSML｜parameter>\n' +
  '...\n' +
  '</｜DSML｜invoke>\n' +
  '<｜DSML｜invoke name="$TOOL_NAME2">\n' +
  '...\n' +
  '</｜DSML｜invoke>\n' +
  '</｜DSML｜tool_calls>\n\n' +
  'String parameters should be specified as is and set `string="true"`. For all other types (numbers, booleans, arrays, objects), pass the value in JSON format and set `string="false"`.\n\n' +
  'If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning inside <think>...</think> BEFORE any tool calls or final response.\n\n' +
  'Otherwise, output directly after </think> with tool calls or final response.\n\n' +
  '### Available Tool Schemas\n\n' +
  schemas +
  '\n\nYou MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n';

const WEATHER_SCHEMA =
  '{"name": "get_weather", "description": "Get weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"}}, "required": ["location"]}}';

describe('DeepSeek-V4 chat encoding', () => {
  it('reproduces the published golden output test_output_2 (thinking mode drops earlier reasoning)', () => {
    const prompt = encodeDeepseekV4(
      [
        SYSTEM,
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi there! How can I help you?', reasoning_content: 'The user said hello, I should greet back.' },
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'The capital of France is Paris.', reasoning_content: 'The user asks about the capital of France. It is Paris.' },
      ],
      think,
    );
    expect(prompt).toBe(
      '<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>Hello<｜Assistant｜></think>Hi there! How can I help you?<｜end▁of▁sentence｜>' +
        '<｜User｜>What is the capital of France?<｜Assistant｜><think>The user asks about the capital of France. It is Paris.</think>' +
        'The capital of France is Paris.<｜end▁of▁sentence｜>',
    );
    expect(prompt).not.toContain('The user said hello');
  });

  it('spells the special tokens with U+FF5C and U+2581, not ASCII look-alikes', () => {
    const prompt = encodeDeepseekV4([{ role: 'user', content: 'x' }], chat);
    expect([...prompt.slice(0, BOS.length)].map((c) => c.codePointAt(0))).toEqual(
      [0x3c, 0xff5c, ...'begin'.split('').map((c) => c.charCodeAt(0)), 0x2581, 0x6f, 0x66, 0x2581, ...'sentence'.split('').map((c) => c.charCodeAt(0)), 0xff5c, 0x3e],
    );
    expect(prompt).toBe('<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>x<\uff5cAssistant\uff5c></think>');
  });

  it('ends chat mode with </think> and thinking mode with <think>', () => {
    const msgs = [SYSTEM, { role: 'user', content: 'Hello' }];
    expect(encodeDeepseekV4(msgs, chat)).toBe(`${BOS}You are a helpful assistant.<｜User｜>Hello<｜Assistant｜></think>`);
    expect(encodeDeepseekV4(msgs, think)).toBe(`${BOS}You are a helpful assistant.<｜User｜>Hello<｜Assistant｜><think>`);
    // thinking is DeepSeek-V4's default; reasoning_effort "none" turns it off
    expect(encodeDeepseekV4(msgs, { addGenerationPrompt: true })).toBe(encodeDeepseekV4(msgs, think));
    expect(encodeDeepseekV4(msgs, { addGenerationPrompt: true, reasoningEffort: 'none' })).toBe(encodeDeepseekV4(msgs, chat));
  });

  it('drops every earlier reasoning block by default, keeps them with drop_thinking false, shows none in chat mode', () => {
    expect(encodeDeepseekV4(THREE_TURNS, think)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>One<｜Assistant｜></think>First answer.${EOS}` +
        `<｜User｜>Two<｜Assistant｜></think>Second answer.${EOS}<｜User｜>Three<｜Assistant｜><think>`,
    );
    expect(encodeDeepseekV4(THREE_TURNS, { ...think, extra: { drop_thinking: false } })).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>One<｜Assistant｜><think>First reasoning.</think>First answer.${EOS}` +
        `<｜User｜>Two<｜Assistant｜><think>Second reasoning.</think>Second answer.${EOS}<｜User｜>Three<｜Assistant｜><think>`,
    );
    expect(encodeDeepseekV4(THREE_TURNS, chat)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>One<｜Assistant｜></think>First answer.${EOS}` +
        `<｜User｜>Two<｜Assistant｜></think>Second answer.${EOS}<｜User｜>Three<｜Assistant｜></think>`,
    );
  });

  it('reasoning_effort "max" prefaces the prompt in thinking mode only', () => {
    const msgs = [SYSTEM, { role: 'user', content: 'Hello' }];
    expect(encodeDeepseekV4(msgs, { ...think, reasoningEffort: 'max' })).toBe(
      BOS +
        'Reasoning Effort: Absolute maximum with no shortcuts permitted.\n' +
        'You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root cause, rigorously stress-testing your logic against all potential paths, edge cases, and adversarial scenarios.\n' +
        'Explicitly write out your entire deliberation process, documenting every intermediate step, considered alternative, and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n' +
        'You are a helpful assistant.<｜User｜>Hello<｜Assistant｜><think>',
    );
    expect(encodeDeepseekV4(msgs, { ...think, reasoningEffort: 'high' })).toBe(encodeDeepseekV4(msgs, think));
    expect(encodeDeepseekV4(msgs, { ...chat, reasoningEffort: 'max' })).toBe(encodeDeepseekV4(msgs, chat));
  });

  it('renders developer as a user turn and drops developer turns before the last user turn', () => {
    expect(encodeDeepseekV4([SYSTEM, { role: 'developer', content: 'Answer in one word.' }], think)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>Answer in one word.<｜Assistant｜><think>`,
    );
    expect(
      encodeDeepseekV4(
        [SYSTEM, { role: 'developer', content: 'Answer in one word.' }, { role: 'assistant', content: 'Yes.', reasoning_content: 'Earlier.' }, { role: 'user', content: 'Again?' }],
        think,
      ),
    ).toBe(`${BOS}You are a helpful assistant.Yes.${EOS}<｜User｜>Again?<｜Assistant｜><think>`);
  });

  it('renders latest_reminder with its token, tasks with theirs, and joins consecutive user messages', () => {
    expect(encodeDeepseekV4([SYSTEM, { role: 'latest_reminder', content: '2026-08-11, London' }, { role: 'user', content: 'Hello' }], think)).toBe(
      `${BOS}You are a helpful assistant.<｜latest_reminder｜>2026-08-11, London<｜User｜>Hello<｜Assistant｜><think>`,
    );
    expect(encodeDeepseekV4([SYSTEM, { role: 'user', content: 'Weather?', task: 'action' }], chat)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>Weather?<｜Assistant｜></think><｜action｜>`,
    );
    expect(encodeDeepseekV4([SYSTEM, { role: 'user', content: 'Weather?', task: 'query' }], chat)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>Weather?<｜query｜>`,
    );
    expect(encodeDeepseekV4([SYSTEM, { role: 'user', content: 'One' }, { role: 'user', content: 'Two' }], chat)).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>One\n\nTwo<｜Assistant｜></think>`,
    );
  });

  it('without a generation prompt the conversation ends with its last message', () => {
    expect(encodeDeepseekV4([SYSTEM, { role: 'user', content: 'Hello' }], { ...chat, addGenerationPrompt: false })).toBe(
      `${BOS}You are a helpful assistant.<｜User｜>Hello`,
    );
    expect(
      encodeDeepseekV4([SYSTEM, { role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi', wo_eos: true }], { ...chat, addGenerationPrompt: false }),
    ).toBe(`${BOS}You are a helpful assistant.<｜User｜>Hello<｜Assistant｜></think>Hi`);
  });

  it('puts tool schemas in the system prompt, tool calls in DSML and tool results in the next user turn', () => {
    const prompt = encodeDeepseekV4(
      [
        SYSTEM,
        { role: 'user', content: "What's the weather in Beijing?" },
        {
          role: 'assistant',
          content: '',
          reasoning_content: 'I should use the weather tool.',
          tool_calls: [{ id: 'call-001', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Beijing","days":2}' } }],
        },
        { role: 'tool', tool_call_id: 'call-001', content: '{"temperature":22}' },
      ],
      { ...think, tools: [WEATHER_TOOL] },
    );
    // tools present: earlier reasoning is kept (drop_thinking is off)
    expect(prompt).toBe(
      `${BOS}You are a helpful assistant.\n\n${toolsSection(WEATHER_SCHEMA)}` +
        "<｜User｜>What's the weather in Beijing?<｜Assistant｜><think>I should use the weather tool.</think>\n\n" +
        '<｜DSML｜tool_calls>\n<｜DSML｜invoke name="get_weather">\n' +
        '<｜DSML｜parameter name="location" string="true">Beijing</｜DSML｜parameter>\n' +
        '<｜DSML｜parameter name="days" string="false">2</｜DSML｜parameter>\n' +
        `</｜DSML｜invoke>\n</｜DSML｜tool_calls>${EOS}` +
        '<｜User｜><tool_result>{"temperature":22}</tool_result><｜Assistant｜><think>',
    );
  });

  it('without a system message the tools section opens the prompt', () => {
    expect(encodeDeepseekV4([{ role: 'user', content: 'U' }], { ...think, tools: [WEATHER_TOOL] })).toBe(
      `${BOS}\n\n${toolsSection(WEATHER_SCHEMA)}<｜User｜>U<｜Assistant｜><think>`,
    );
  });

  it('orders tool results like the calls they answer, then follows with the user text', () => {
    const prompt = encodeDeepseekV4(
      [
        { role: 'user', content: 'Compare' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x": [1, {"y": null}], "ok": true}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: 'not json' } },
          ],
        },
        { role: 'tool', tool_call_id: 'b', content: 'RB' },
        { role: 'tool', tool_call_id: 'a', content: 'RA' },
        { role: 'user', content: 'and?' },
      ],
      chat,
    );
    expect(prompt).toBe(
      `${BOS}<｜User｜>Compare<｜Assistant｜></think>\n\n<｜DSML｜tool_calls>\n` +
        '<｜DSML｜invoke name="f">\n' +
        '<｜DSML｜parameter name="x" string="false">[1, {"y": null}]</｜DSML｜parameter>\n' +
        '<｜DSML｜parameter name="ok" string="false">true</｜DSML｜parameter>\n' +
        '</｜DSML｜invoke>\n' +
        '<｜DSML｜invoke name="g">\n' +
        '<｜DSML｜parameter name="arguments" string="true">not json</｜DSML｜parameter>\n' +
        `</｜DSML｜invoke>\n</｜DSML｜tool_calls>${EOS}` +
        '<｜User｜><tool_result>RA</tool_result>\n\n<tool_result>RB</tool_result>\n\nand?<｜Assistant｜></think>',
    );
  });

  it('places a forced answer start after </think> in chat mode and refuses it in thinking mode', () => {
    const msgs = [{ role: 'user', content: 'Hi' }];
    expect(encodeDeepseekV4(msgs, { ...chat, answerPrefix: '<X>' })).toBe(`${BOS}<｜User｜>Hi<｜Assistant｜></think><X>`);
    expect(() => encodeDeepseekV4(msgs, { ...think, answerPrefix: '<X>' })).toThrow(/thinking mode.*"thinking": false/);
    expect(() => encodeDeepseekV4(msgs, { ...chat, addGenerationPrompt: false, answerPrefix: '<X>' })).toThrow(InvalidArgumentError);
  });

  it('rejects what it cannot encode with an InvalidArgumentError naming the field', () => {
    const bad = (messages: ChatMessage[], opts: Parameters<typeof encodeDeepseekV4>[1] = chat) => {
      try {
        encodeDeepseekV4(messages, opts);
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidArgumentError);
        return (e as InvalidArgumentError).param;
      }
      throw new Error('expected an error');
    };
    expect(bad([{ role: 'narrator', content: 'x' }])).toBe('messages[0].role');
    expect(bad([{ role: 'user', content: 'x' }, { role: 'assistant', content: '', tool_calls: [{ function: {} }] }])).toBe('messages[1].tool_calls[0].function.name');
    expect(bad([{ role: 'assistant', content: '', tool_calls: 'f()' }])).toBe('messages[0].tool_calls');
    expect(bad([{ role: 'developer', content: '' }])).toBe('messages[0].content');
    expect(bad([{ role: 'user', content: 5 as unknown as string }])).toBe('messages[0].content');
    expect(bad([{ role: 'user', content: 'x', task: 'summarize' }])).toBe('messages[0].task');
    expect(bad([{ role: 'user', content: 'x' }], { ...chat, reasoningEffort: 'extreme' })).toBe('reasoning_effort');
    expect(bad([{ role: 'user', content: 'x' }], { ...chat, extra: { drop_thinking: 'no' } })).toBe('chat_template_kwargs');
    expect(bad([{ role: 'user', content: 'x' }], { ...chat, tools: [{ type: 'function' } as unknown as ToolDefinition] })).toBe('tools[0]');
  });
});
