/**
 * End to end: `plexus generate --json` on a reference fixture (HF transformers, float32) reproduces its
 * greedy ids and logprobs; --prompt tokenizes like HF, --chat renders the template, plain output streams
 * the same text; bad flags exit 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'apps', 'server', 'src', 'bin', 'plexus.ts');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');
const LOGPROB_TOLERANCE = 1e-3;

interface RefLogprob { token_id: number; logprob: number; top: Array<{ token_id: number; logprob: number }> }
interface RefPrompt {
  name: string;
  kind: 'ids' | 'text' | 'chat';
  text?: string;
  messages?: Array<{ role: string; content: string }>;
  input_ids: number[];
  output_ids: number[];
  logprobs: RefLogprob[];
}
interface Reference { max_new_tokens: number; top_n: number; special_token_ids: Record<string, number>; prompts: RefPrompt[] }

const fixtureName = readdirSync(FIXTURES).sort().find((d) => existsSync(path.join(FIXTURES, d, 'reference.json')));
const modelDir = fixtureName ? path.join(FIXTURES, fixtureName) : '';
const reference: Reference | undefined = fixtureName ? JSON.parse(readFileSync(path.join(modelDir, 'reference.json'), 'utf8')) : undefined;

async function plexus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEXUS_'))), PLEXUS_LOG_LEVEL: 'warn' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', BIN, 'generate', ...args], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

interface GenerateJson {
  input_ids: number[];
  output_ids: number[];
  text: string;
  finish_reason: string;
  logprobs: Array<{ token_id: number; logprob: number; top: Array<{ token_id: number; logprob: number }> }>;
}

function parseOnlyObject(stdout: string): GenerateJson {
  // exactly one JSON object and nothing else on stdout
  const trimmed = stdout.trim();
  expect(trimmed.split('\n')).toHaveLength(1);
  return JSON.parse(trimmed) as GenerateJson;
}

function expectMatchesReference(out: GenerateJson, ref: RefPrompt): void {
  expect(out.input_ids).toEqual(ref.input_ids);
  expect(out.output_ids).toEqual(ref.output_ids);
  expect(out.finish_reason).toBe('length');
  expect(out.logprobs).toHaveLength(ref.output_ids.length);
  out.logprobs.forEach((lp, i) => {
    const want = ref.logprobs[i]!;
    expect(lp.token_id).toBe(out.output_ids[i]);
    expect(Math.abs(lp.logprob - want.logprob)).toBeLessThan(LOGPROB_TOLERANCE);
    expect(lp.top).toHaveLength(want.top.length);
    expect(lp.top[0]!.token_id).toBe(lp.token_id);
    for (let j = 1; j < lp.top.length; j++) expect(lp.top[j - 1]!.logprob).toBeGreaterThanOrEqual(lp.top[j]!.logprob);
    for (const alt of lp.top) {
      const match = want.top.find((t) => t.token_id === alt.token_id);
      if (match) expect(Math.abs(alt.logprob - match.logprob)).toBeLessThan(LOGPROB_TOLERANCE);
    }
  });
}

describe.runIf(reference)(`plexus generate --json on the ${fixtureName} fixture`, () => {
  const ref = reference!;
  const greedy = ['--model-path', modelDir, '--temperature', '0', '--max-new-tokens', String(ref.max_new_tokens), '--top-logprobs', String(ref.top_n), '--json'];

  it('--input-ids: greedy ids and logprobs equal the HF reference for every id prompt', async () => {
    const prompts = ref.prompts.filter((p) => p.kind === 'ids');
    expect(prompts.length).toBeGreaterThan(0);
    const outs = await Promise.all(prompts.map((p) => plexus([...greedy, '--input-ids', p.input_ids.join(',')])));
    outs.forEach((o, i) => {
      expect(o.code, o.stderr).toBe(0);
      expectMatchesReference(parseOnlyObject(o.stdout), prompts[i]!);
    });
  });

  it('--prompt tokenizes as tokenizer_config says; plain output streams the same text', async () => {
    const p = ref.prompts.find((x) => x.kind === 'text');
    expect(p?.text).toBeDefined();
    const [json, plain] = await Promise.all([
      plexus([...greedy, '--prompt', p!.text!]),
      plexus(['--model-path', modelDir, '--temperature', '0', '--max-new-tokens', String(ref.max_new_tokens), '--prompt', p!.text!]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const out = parseOnlyObject(json.stdout);
    expectMatchesReference(out, p!);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.replace(/\n$/, '')).toBe(out.text);
  });

  it('--chat renders the chat template with the generation prompt', async () => {
    const chat = ref.prompts.find((x) => x.kind === 'chat');
    expect(chat?.messages).toBeDefined();
    const user = chat!.messages!.at(-1)!;
    expect(user.role).toBe('user');
    const o = await plexus([...greedy, '--max-new-tokens', '2', '--chat', user.content]);
    expect(o.code, o.stderr).toBe(0);
    const out = parseOnlyObject(o.stdout);
    // the reference's last user turn plus the assistant prompt: from the <|im_start|> before the last <|im_end|>
    const ids = chat!.input_ids;
    const imStart = ref.special_token_ids['<|im_start|>']!;
    const imEnd = ref.special_token_ids['<|im_end|>']!;
    const userTurn = ids.lastIndexOf(imStart, ids.lastIndexOf(imEnd));
    expect(userTurn).toBeGreaterThan(0);
    expect(out.input_ids.slice(-(ids.length - userTurn))).toEqual(ids.slice(userTurn));
    expect(out.input_ids[0]).toBe(ids[0]);
    expect(out.output_ids).toHaveLength(2);
  });
});

describe('plexus generate with bad input', () => {
  it('exits 2 with a message saying what to do', async () => {
    const [none, both, badIds, badTemp, outOfVocab] = await Promise.all([
      plexus(['--json']),
      plexus(['--prompt', 'a', '--input-ids', '1']),
      plexus(['--input-ids', '1,-2']),
      plexus(['--prompt', 'a', '--temperature', 'hot']),
      plexus(['--model-path', modelDir || path.join(ROOT, 'models', 'plexus-tiny-qwen3'), '--input-ids', '99999999', '--json']),
    ]);
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('give exactly one of --prompt TEXT, --input-ids 1,2,3 or --chat TEXT') });
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('got --prompt and --input-ids') });
    expect(badIds).toMatchObject({ code: 2, stderr: expect.stringContaining("'-2' is not one") });
    expect(badTemp).toMatchObject({ code: 2, stderr: expect.stringContaining("--temperature must be a number ≥ 0, got 'hot'") });
    expect(outOfVocab).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/99999999, outside the model's vocabulary \[0, \d+\)/) });
  });
});
