import { describe, expect, it } from 'vitest';
import { createDeepseekV4ReasoningParser } from '../../src/text/reasoning-parser.ts';
import { fineSplits, twoPieceSplits } from './stream-harness.ts';

const parser = createDeepseekV4ReasoningParser();
const THINKING_PROMPT = '<｜begin▁of▁sentence｜><｜User｜>What is the capital of France?<｜Assistant｜><think>';
const CHAT_PROMPT = '<｜begin▁of▁sentence｜><｜User｜>Hello<｜Assistant｜></think>';

function streamed(pieces: string[], prompt?: string) {
  const s = parser.createStream({ prompt });
  let reasoning = '';
  let content = '';
  for (const p of [...pieces.map((x) => s.push(x)), s.finish()]) {
    reasoning += p.reasoningDelta;
    content += p.contentDelta;
  }
  return { reasoning, content };
}

describe('deepseek_v4 reasoning parser', () => {
  it('splits the golden thinking-mode answer at </think>', () => {
    const text = 'The user asks about the capital of France. It is Paris.</think>The capital of France is Paris.';
    expect(parser.parse(text, { prompt: THINKING_PROMPT })).toEqual({
      reasoning: 'The user asks about the capital of France. It is Paris.',
      content: 'The capital of France is Paris.',
    });
  });

  it('tells the mode from the prompt: thinking prompts end with <think>, chat prompts with </think>', () => {
    expect(parser.startsInReasoning(THINKING_PROMPT)).toBe(true);
    expect(parser.startsInReasoning(CHAT_PROMPT)).toBe(false);
    // the earlier turns' markers do not count, only the last one
    expect(parser.startsInReasoning(`${THINKING_PROMPT}r</think>a<｜end▁of▁sentence｜><｜User｜>x<｜Assistant｜></think>`)).toBe(false);
    expect(parser.startsInReasoning(undefined)).toBe(true); // DeepSeek-V4 defaults to thinking
    expect(parser.parse('Hi there! How can I help you?', { prompt: CHAT_PROMPT })).toEqual({ reasoning: '', content: 'Hi there! How can I help you?' });
    expect(parser.parse('plan</think>answer')).toEqual({ reasoning: 'plan', content: 'answer' });
  });

  it('in chat mode a leading <think> block is still reasoning; a later one is content', () => {
    expect(parser.parse('<think>hmm</think>ok', { prompt: CHAT_PROMPT })).toEqual({ reasoning: 'hmm', content: 'ok' });
    expect(parser.parse('ok <think>x</think>', { prompt: CHAT_PROMPT })).toEqual({ reasoning: '', content: 'ok <think>x</think>' });
    // a repeated opening tag in thinking mode is not reasoning text
    expect(parser.parse('<think>a</think>b', { prompt: THINKING_PROMPT })).toEqual({ reasoning: 'a', content: 'b' });
  });

  it('reasoning cut off before </think> (max_tokens) is all reasoning, and a half marker at the end is text', () => {
    expect(parser.parse('still thinking', { prompt: THINKING_PROMPT })).toEqual({ reasoning: 'still thinking', content: '' });
    expect(parser.parse('still thinking</thi', { prompt: THINKING_PROMPT })).toEqual({ reasoning: 'still thinking</thi', content: '' });
    expect(parser.parse('<thi', { prompt: CHAT_PROMPT })).toEqual({ reasoning: '', content: '<thi' });
  });

  it('holds back a marker split across deltas instead of emitting it', () => {
    const s = parser.createStream({ prompt: THINKING_PROMPT });
    expect(s.push('abc</th')).toEqual({ reasoningDelta: 'abc', contentDelta: '' });
    expect(s.push('ink>de')).toEqual({ reasoningDelta: '', contentDelta: 'de' });
    expect(s.push('f')).toEqual({ reasoningDelta: '', contentDelta: 'f' });
    expect(s.finish()).toEqual({ reasoningDelta: '', contentDelta: '' });
    const c = parser.createStream({ prompt: CHAT_PROMPT });
    expect(c.push('<thi')).toEqual({ reasoningDelta: '', contentDelta: '' });
    expect(c.push('s is content')).toEqual({ reasoningDelta: '', contentDelta: '<this is content' });
  });

  it('streaming equals parse() for every split of sample outputs', () => {
    const samples: Array<[string, string | undefined]> = [
      ['The user asks about the capital of France. It is Paris.</think>The capital of France is Paris.', THINKING_PROMPT],
      ['<think>a < b </thin k></think>\n\n答案 </think> 🚀', CHAT_PROMPT],
      ['plain answer with </ and <th inside', CHAT_PROMPT],
      ['</think>', undefined],
      ['I need a tool.</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="f">\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>', THINKING_PROMPT],
      ['unterminated </thi', THINKING_PROMPT],
    ];
    for (const [text, prompt] of samples) {
      const whole = parser.parse(text, { prompt });
      expect(whole.reasoning + whole.content).toBe(text.replace('<think>', '').replace('</think>', ''));
      for (const pieces of [...twoPieceSplits(text), ...fineSplits(text)]) {
        expect(streamed(pieces, prompt), JSON.stringify(pieces)).toEqual(whole);
      }
    }
  });
});
