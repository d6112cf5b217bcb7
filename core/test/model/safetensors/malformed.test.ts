import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors.ts';
import { MAX_HEADER_BYTES, openSafetensorsStore, writeSafetensors } from '../../../src/model/index.ts';
import { f32Bytes, rawSafetensors, writeRawSafetensors } from '../helpers/raw-safetensors.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => { tmp = makeTempDir(); });
afterAll(() => tmp.cleanup());

let counter = 0;
const nextPath = () => join(tmp.dir, `case-${counter++}.safetensors`);

/** Opens `path` and expects a CheckpointFormatError naming the file and (when given) the tensor. */
async function expectFormatError(path: string, tensor: string | undefined, message: RegExp): Promise<CheckpointFormatError> {
  const err = await openSafetensorsStore(path).then(
    (store) => { store.close(); throw new Error('expected a CheckpointFormatError, the file loaded'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointFormatError);
  const e = err as CheckpointFormatError;
  expect(e.file).toBe(path);
  expect(e.tensor).toBe(tensor);
  expect(e.message).toContain(path);
  if (tensor) expect(e.message).toContain(tensor);
  expect(e.message).toMatch(message);
  return e;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors validation: every malformed file is a CheckpointFormatError naming file and tensor', () => {
  it('truncated data section names the tensor that runs past the end', async () => {
    const good = nextPath();
    await writeSafetensors(good, {
      a: { dtype: 'F32', shape: [4], data: f32Bytes([1, 2, 3, 4]) },
      b: { dtype: 'F32', shape: [4], data: f32Bytes([5, 6, 7, 8]) },
    });
    const bytes = readFileSync(good);
    const cut = nextPath();
    writeFileSync(cut, bytes.subarray(0, bytes.byteLength - 5));
    await expectFormatError(cut, 'b', /run past .*truncated/);
  });

  it('file truncated inside the header or before the length prefix', async () => {
    const good = nextPath();
    await writeSafetensors(good, { a: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } });
    const bytes = readFileSync(good);
    const inHeader = nextPath();
    writeFileSync(inHeader, bytes.subarray(0, 20));
    await expectFormatError(inHeader, undefined, /runs past the end .*truncated/);
    const tiny = nextPath();
    writeFileSync(tiny, bytes.subarray(0, 5));
    await expectFormatError(tiny, undefined, /too short/);
  });

  it('header length above the cap', async () => {
    const path = nextPath();
    writeFileSync(path, rawSafetensors({}, new Uint8Array(0), { declaredLength: BigInt(MAX_HEADER_BYTES) + 8n }));
    await expectFormatError(path, undefined, /exceeds the .*cap/);
    const huge = nextPath();
    writeFileSync(huge, rawSafetensors({}, new Uint8Array(0), { declaredLength: 2n ** 63n }));
    await expectFormatError(huge, undefined, /exceeds/);
  });

  it('header length not a multiple of 8', async () => {
    const path = nextPath();
    const header = JSON.stringify({ a: entry('U8', [1], 0, 1) });
    expect(header.length % 8).not.toBe(0);
    writeRawSafetensors(path, header, new Uint8Array([1]), { pad: false });
    await expectFormatError(path, undefined, /not a multiple of 8/);
  });

  it('header that is not JSON, not an object, or not UTF-8', async () => {
    const badJson = nextPath();
    writeRawSafetensors(badJson, '{"a": {"dtype": "U8", ', new Uint8Array(0));
    await expectFormatError(badJson, undefined, /not valid JSON/);
    const array = nextPath();
    writeRawSafetensors(array, '[1, 2]', new Uint8Array(0));
    await expectFormatError(array, undefined, /must be a JSON object/);
    const latin1 = nextPath();
    const raw = rawSafetensors('{"\u00ff": 1}', new Uint8Array(0));
    raw[10] = 0xff; raw[11] = 0xfe; // invalid UTF-8 inside the key
    writeFileSync(latin1, raw);
    await expectFormatError(latin1, undefined, /UTF-8/);
  });

  it('offsets outside the data section', async () => {
    const path = nextPath();
    writeRawSafetensors(path, { a: entry('U8', [4], 0, 4), far: entry('U8', [4], 100, 104) }, new Uint8Array(8));
    await expectFormatError(path, 'far', /run past the 8-byte data section/);
  });

  it('overlapping tensors', async () => {
    const path = nextPath();
    writeRawSafetensors(path, { first: entry('F32', [2], 0, 8), second: entry('F32', [2], 4, 12) }, new Uint8Array(12));
    const e = await expectFormatError(path, 'second', /overlap tensor first/);
    expect(e.message).toContain('[0, 8]');
  });

  it('holes between tensors and trailing bytes', async () => {
    const gap = nextPath();
    writeRawSafetensors(gap, { a: entry('U8', [2], 0, 2), b: entry('U8', [2], 4, 6) }, new Uint8Array(6));
    await expectFormatError(gap, 'b', /unused/);
    const trailing = nextPath();
    writeRawSafetensors(trailing, { a: entry('U8', [2], 0, 2) }, new Uint8Array(10));
    await expectFormatError(trailing, undefined, /trailing bytes/);
  });

  it('dtype x shape that does not match the byte range', async () => {
    const path = nextPath();
    writeRawSafetensors(path, { w: entry('BF16', [3, 2], 0, 8) }, new Uint8Array(8));
    await expectFormatError(path, 'w', /needs 12 bytes .* span 8/);
  });

  it('unknown dtype names the dtype', async () => {
    const path = nextPath();
    writeRawSafetensors(path, { w: entry('F64', [1], 0, 8) }, new Uint8Array(8));
    await expectFormatError(path, 'w', /unsupported dtype "F64"/);
  });

  it('bad shapes, offsets and entries', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ dtype: 'U8', shape: [-1], data_offsets: [0, 0] }, /shape must be/],
      [{ dtype: 'U8', shape: [1.5], data_offsets: [0, 0] }, /shape must be/],
      [{ dtype: 'U8', shape: '4', data_offsets: [0, 4] }, /shape must be/],
      [{ dtype: 'U8', shape: [4], data_offsets: [0] }, /data_offsets must be/],
      [{ dtype: 'U8', shape: [4], data_offsets: [4, 0] }, /end before/],
      [{ dtype: 'U8', shape: [4] }, /data_offsets must be/],
      [{ shape: [4], data_offsets: [0, 4] }, /dtype must be a string/],
      [{ dtype: 'U8', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] }, /too large/],
      ['not an entry', /entry must be an object/],
    ];
    for (const [value, message] of cases) {
      const path = nextPath();
      writeRawSafetensors(path, { w: value }, new Uint8Array(4));
      await expectFormatError(path, 'w', message);
    }
  });

  it('__metadata__ must map strings to strings', async () => {
    const path = nextPath();
    writeRawSafetensors(path, { __metadata__: { format: 1 }, a: entry('U8', [1], 0, 1) }, new Uint8Array(1));
    await expectFormatError(path, undefined, /__metadata__\.format must be a string/);
  });

  it('a missing file', async () => {
    await expectFormatError(join(tmp.dir, 'absent.safetensors'), undefined, /cannot open/);
  });
});
