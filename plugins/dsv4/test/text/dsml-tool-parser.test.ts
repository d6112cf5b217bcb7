import type { ToolCall, ToolCallDelta } from '@plexus/core';
import { describe, expect, it } from 'vitest';
import { renderToolCalls } from '../../src/text/dsml-encode.ts';
import { createDeepseekV4ToolParser } from '../../src/text/dsml-tool-parser.ts';
import { createDeepseekV4ReasoningParser } from '../../src/text/reasoning-parser.ts';
import { fineSplits, twoPieceSplits } from './stream-harness.ts';

const parser = createDeepseekV4ToolParser();
const ids = () => {
  let n = 0;
  return () => `call_${n++}`;
};

/** the tool-call block of DeepSeek's reference test case 1 (first assistant turn), as the model writes it */
const WEATHER_CALL =
  '\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="get_weather">\n' +
  '<｜DSML｜parameter name="location" string="true">Beijing</｜DSML｜parameter>\n' +
  '<｜DSML｜parameter name="unit" string="true">celsius</｜DSML｜parameter>\n' +
  '</｜DSML｜invoke>\n</｜DSML｜tool_calls>';

const TWO_CALLS =
  'Let me check both.\n\n<｜DSML｜tool_calls>\n' +
  '<｜DSML｜invoke name="search">\n' +
  '<｜DSML｜parameter name="query" string="true">say "hi"\n\tand \\ back <b>bold</b> 東京 🚀</｜DSML｜parameter>\n' +
  '<｜DSML｜parameter name="limit" string="false">5</｜DSML｜parameter>\n' +
  '<｜DSML｜parameter name="filters" string="false">{"lang": ["en", "ja"], "safe": true, "min": -1.5e3}</｜DSML｜parameter>\n' +
  '</｜DSML｜invoke>\n' +
  '<｜DSML｜invoke name="now">\n\n</｜DSML｜invoke>\n' +
  '</｜DSML｜tool_calls>';

function fold(deltas: ToolCallDelta[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const d of deltas) {
    if (!calls[d.index]) {
      // the first delta of a call carries its id, type and full name
      expect(d.id).toMatch(/^call_/);
      expect(d.type).toBe('function');
      expect(d.function.name).toBeTruthy();
      calls[d.index] = { id: d.id!, type: 'function', function: { name: d.function.name!, arguments: '' } };
    } else {
      expect(d.id).toBeUndefined();
      expect(d.function.name).toBeUndefined();
    }
    calls[d.index].function.arguments += d.function.arguments ?? '';
  }
  return calls;
}

function streamed(pieces: string[]) {
  const s = parser.createStream({ newId: ids() });
  let content = '';
  const deltas: ToolCallDelta[] = [];
  for (const out of [...pieces.map((p) => s.push(p)), s.finish()]) {
    content += out.contentDelta;
    deltas.push(...out.toolCallDeltas);
  }
  return { content, toolCalls: fold(deltas) };
}

describe('deepseek_v4 DSML tool-call parser', () => {
  it('parses the reference tool call into OpenAI shape with DeepSeek\'s argument spacing', () => {
    const result = parser.parse(WEATHER_CALL, { newId: ids() });
    expect(result).toEqual({
      content: '',
      toolCalls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Beijing", "unit": "celsius"}' } }],
    });
    expect(JSON.parse(result.toolCalls[0].function.arguments)).toEqual({ location: 'Beijing', unit: 'celsius' });
  });

  it('escapes string values, keeps JSON values, handles several invokes and an invoke without parameters', () => {
    const result = parser.parse(TWO_CALLS, { newId: ids() });
    expect(result.content).toBe('Let me check both.');
    expect(result.toolCalls.map((c) => c.function.name)).toEqual(['search', 'now']);
    expect(JSON.parse(result.toolCalls[0].function.arguments)).toEqual({
      query: 'say "hi"\n\tand \\ back <b>bold</b> 東京 🚀',
      limit: 5,
      filters: { lang: ['en', 'ja'], safe: true, min: -1500 },
    });
    expect(result.toolCalls[1].function.arguments).toBe('{}');
    expect(result.toolCalls.map((c) => c.id)).toEqual(['call_0', 'call_1']);
    // default ids are OpenAI-style and distinct
    const [a, b] = parser.parse(TWO_CALLS).toolCalls;
    expect(a.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('reads back what the encoder writes for past tool calls', () => {
    const args = { path: '/tmp/a "b".txt', lines: [1, 2], opts: { dry: false, note: null } };
    const text = renderToolCalls([{ name: 'read_file', arguments: JSON.stringify(args) }, { name: 'ls', arguments: '{}' }]);
    const calls = parser.parse(text).toolCalls;
    expect(calls.map((c) => c.function.name)).toEqual(['read_file', 'ls']);
    expect(JSON.parse(calls[0].function.arguments)).toEqual(args);
    expect(JSON.parse(calls[1].function.arguments)).toEqual({});
  });

  it('text without a block is all content, whitespace included; text after a block is content too', () => {
    expect(parser.parse('  no tools here \n\n')).toEqual({ content: '  no tools here \n\n', toolCalls: [] });
    const after = parser.parse(`${WEATHER_CALL}\n\nDone.`, { newId: ids() });
    expect(after.content).toBe('Done.');
    expect(after.toolCalls).toHaveLength(1);
  });

  it('streams the call header first, then argument fragments as string values arrive', () => {
    const s = parser.createStream({ newId: ids() });
    expect(s.push('Checking.\n\n<｜DSML｜tool_ca')).toEqual({ contentDelta: 'Checking.', toolCallDeltas: [] });
    expect(s.push('lls>\n<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter name="location" string="true">Bei')).toEqual({
      contentDelta: '',
      toolCallDeltas: [{ index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Bei' } }],
    });
    expect(s.push('jing</｜DSML｜par')).toEqual({ contentDelta: '', toolCallDeltas: [{ index: 0, function: { arguments: 'jing' } }] });
    expect(s.push('ameter>\n<｜DSML｜parameter name="days" string="false">2')).toEqual({
      contentDelta: '',
      toolCallDeltas: [{ index: 0, function: { arguments: '", "days": ' } }],
    });
    expect(s.push('</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>')).toEqual({
      contentDelta: '',
      toolCallDeltas: [{ index: 0, function: { arguments: '2}' } }],
    });
    expect(s.finish()).toEqual({ contentDelta: '', toolCallDeltas: [] });
  });

  it('streaming equals parse() for every split point of sample outputs; no marker ever leaks into content', () => {
    const samples = [
      WEATHER_CALL,
      TWO_CALLS,
      `Sure <｜DSML｜ not a tag, <b> neither.${WEATHER_CALL}\n`,
      // cut off by max_tokens inside a string value, and inside a JSON value
      '\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="f">\n<｜DSML｜parameter name="s" string="true">half a str',
      '<｜DSML｜tool_calls>\n<｜DSML｜invoke name="f">\n<｜DSML｜parameter name="n" string="false">[1, 2',
      // malformed: junk inside the block, a nameless invoke, an invalid JSON value
      '<｜DSML｜tool_calls>junk<｜DSML｜invoke>\n</｜DSML｜invoke><｜DSML｜invoke name="g">x<｜DSML｜parameter name="v" string="false">not json</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜tool_calls>',
    ];
    for (const text of samples) {
      const whole = parser.parse(text, { newId: ids() });
      expect(whole.content).not.toMatch(/｜DSML｜(tool_calls|invoke|parameter)/);
      for (const call of whole.toolCalls) expect(() => JSON.parse(call.function.arguments)).not.toThrow();
      for (const pieces of [...twoPieceSplits(text), ...fineSplits(text)]) {
        expect(streamed(pieces), JSON.stringify(pieces)).toEqual(whole);
      }
    }
  });

  it('closes calls cut off by max_tokens into valid JSON and passes invalid JSON values on as strings', () => {
    const cut = parser.parse('<｜DSML｜tool_calls>\n<｜DSML｜invoke name="f">\n<｜DSML｜parameter name="s" string="true">half', { newId: ids() });
    expect(JSON.parse(cut.toolCalls[0].function.arguments)).toEqual({ s: 'half' });
    const invalid = parser.parse('<｜DSML｜tool_calls><｜DSML｜invoke name="g"><｜DSML｜parameter name="v" string="false">not json</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜tool_calls>');
    expect(JSON.parse(invalid.toolCalls[0].function.arguments)).toEqual({ v: 'not json' });
    const nameless = parser.parse('<｜DSML｜tool_calls><｜DSML｜invoke><｜DSML｜parameter name="a" string="true">x</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜tool_calls>');
    expect(nameless).toEqual({ content: '', toolCalls: [] });
  });

  it('a forced prefix commits to a named call, or to some call with the model choosing the name', () => {
    const named = parser.createStream({ newId: ids() });
    const first = named.push(parser.forcedCallPrefix!('get_weather'));
    expect(first.toolCallDeltas).toEqual([{ index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '' } }]);
    expect(first.contentDelta).toBe('');
    const rest = named.push('<｜DSML｜parameter name="location" string="true">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>');
    expect(rest.toolCallDeltas).toEqual([{ index: 0, function: { arguments: '{"location": "Paris"}' } }]);

    const required = parser.createStream({ newId: ids() });
    expect(required.push(parser.forcedCallPrefix!())).toEqual({ contentDelta: '', toolCallDeltas: [] });
    expect(required.push('now">\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>').toolCallDeltas).toEqual([
      { index: 0, id: 'call_0', type: 'function', function: { name: 'now', arguments: '{}' } },
    ]);
    expect(() => parser.forcedCallPrefix!('bad"name')).toThrow(/cannot be written/);
  });

  it('stays linear on long values pushed a character at a time, and gives up on a tag that never closes', () => {
    const big = JSON.stringify('x'.repeat(100_000));
    const text = `<｜DSML｜tool_calls><｜DSML｜invoke name="f"><｜DSML｜parameter name="v" string="false">${big}</｜DSML｜parameter>` +
      `<｜DSML｜parameter name="s" string="true">${'y'.repeat(100_000)}</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜tool_calls>`;
    const stream = parser.createStream();
    const deltas: ToolCallDelta[] = [];
    const started = performance.now();
    for (const c of text) deltas.push(...stream.push(c).toolCallDeltas);
    deltas.push(...stream.finish().toolCallDeltas);
    expect(performance.now() - started).toBeLessThan(3000); // quadratic rescanning would take minutes
    const args = deltas.map((d) => d.function.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ v: 'x'.repeat(100_000), s: 'y'.repeat(100_000) });

    const unclosed = `<｜DSML｜tool_calls><｜DSML｜invoke name="${'a'.repeat(5000)}">${WEATHER_CALL.trim()}`;
    const whole = parser.parse(unclosed, { newId: ids() });
    // the giant tag is junk; the block goes on and the invoke after it is a call
    expect(whole.toolCalls.map((c) => c.function.name)).toEqual(['get_weather']);
    for (const pieces of [...fineSplits(unclosed), [unclosed.slice(0, 4000), unclosed.slice(4000)], [unclosed.slice(0, 4200), unclosed.slice(4200)]]) {
      expect(streamed(pieces)).toEqual(whole);
    }
  });

  it('composes with the reasoning parser: reasoning, then answer text, then calls', () => {
    const output = `I need the weather.</think>Let me look.${WEATHER_CALL}`;
    const { reasoning, content } = createDeepseekV4ReasoningParser().parse(output, { prompt: '<｜Assistant｜><think>' });
    expect(reasoning).toBe('I need the weather.');
    const tools = parser.parse(content, { newId: ids() });
    expect(tools.content).toBe('Let me look.');
    expect(tools.toolCalls[0].function.name).toBe('get_weather');
  });
});
