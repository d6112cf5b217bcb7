/**
 * The checkpoint layouts of MXFP4 experts, and their one conversion into the kernels' layout.
 *  - 'per-expert' (DeepSeek-V4): `<prefix>.<e>.w1|w3|w2.weight` I8 [out, in/2] + `.scale` F8_E8M0 [out, in/32]
 *  - 'stacked' (gpt-oss): `<prefix>.gate_up_proj_blocks` [E, 2I, H/32, 16] + `_scales` [E, 2I, H/32] (U8),
 *    `down_proj_blocks` [E, H, I/32, 16] + `_scales`, optional F32/BF16 `_bias`.
 * Both pack two E2M1 codes per byte with the even element in the low nibble. Loading converts them ONCE
 * into the internal layout (split-half nibbles, gate/up rows interleaved per expert: see
 * @plexus/native quant-ops): a copy of exactly the packed size, the only copy made; the source pages are
 * not touched again. A NaN scale (0xFF) is rejected here, so no kernel ever sees one.
 */
import { CheckpointFormatError, type Tensor } from '@plexus/core';
import type { MoeLayerInfo } from '@plexus/core';
import { mxfp4Pack, type Mxfp4Matrix } from '@plexus/native';

export type Mxfp4Layout = 'per-expert' | 'stacked';

const CODE_DTYPES = new Set(['I8', 'U8']);
const SCALE_DTYPES = new Set(['F8_E8M0', 'U8', 'I8']);
/** scale tensor suffixes of per-expert weights, in lookup order */
const SCALE_SUFFIXES = ['scale', 'weight_scale'];

/** Which MXFP4 layout the layer's tensors are in, if any (reads headers only). */
export function detectLayout(layer: MoeLayerInfo): Mxfp4Layout | undefined {
  const { store } = layer;
  if (layer.naming.layout === 'stacked') {
    return store.has(layer.tensorName('gateUp', undefined, 'blocks')) ? 'stacked' : undefined;
  }
  const w = layer.tensorName('gate', 0, 'weight');
  return store.has(w) && CODE_DTYPES.has(store.get(w).dtype) ? 'per-expert' : undefined;
}

export interface PackedExperts {
  gateUp: Mxfp4Matrix;
  down: Mxfp4Matrix;
  gateUpBias?: Float32Array;
  downBias?: Float32Array;
}

export function packExperts(layer: MoeLayerInfo, layout: Mxfp4Layout): PackedExperts {
  const { numExperts: E, hiddenSize: H, intermediateSize: I, source } = layer;
  if (H % 32 !== 0 || I % 32 !== 0) {
    throw new CheckpointFormatError(source, `MXFP4 experts need hidden (${H}) and intermediate (${I}) sizes that are multiples of 32 (one scale per 32 inputs)`, layer.name);
  }
  const gateUp = allocate(E * 2 * I, H);
  const down = allocate(E * H, I);
  if (layout === 'per-expert') {
    for (let e = 0; e < E; e++) {
      packPart(layer, 'gate', e, I, H, gateUp, e * 2 * I, 2);
      packPart(layer, 'up', e, I, H, gateUp, e * 2 * I + 1, 2);
      packPart(layer, 'down', e, H, I, down, e * H, 1);
    }
    return { gateUp, down };
  }
  const interleaved = layer.naming.layout === 'stacked' && layer.naming.gateUpOrder === 'interleaved';
  const gu = stackedPlanes(layer, 'gateUp', 2 * I, H);
  const dn = stackedPlanes(layer, 'down', H, I);
  for (let e = 0; e < E; e++) {
    if (interleaved) {
      packRows(layer, gu, e * 2 * I, 2 * I, gateUp, e * 2 * I, 1);
    } else {
      packRows(layer, gu, e * 2 * I, I, gateUp, e * 2 * I, 2);
      packRows(layer, gu, e * 2 * I + I, I, gateUp, e * 2 * I + 1, 2);
    }
    packRows(layer, dn, e * H, H, down, e * H, 1);
  }
  const gateUpBias = stackedBias(layer, 'gateUp', E * 2 * I);
  const downBias = stackedBias(layer, 'down', E * H);
  return {
    gateUp,
    down,
    ...(gateUpBias ? { gateUpBias: interleaved ? gateUpBias : interleaveRows(gateUpBias, E, I) } : {}),
    ...(downBias ? { downBias } : {}),
  };
}

function allocate(rows: number, cols: number): Mxfp4Matrix {
  return { codes: new Uint8Array(rows * (cols / 2)), scales: new Uint8Array(rows * (cols / 32)), rows, cols };
}

function tensorOf(layer: MoeLayerInfo, name: string, dtypes: ReadonlySet<string>, shape: readonly number[], what: string): Tensor {
  if (!layer.store.has(name)) throw new CheckpointFormatError(layer.source, `missing MXFP4 ${what} (expected shape [${shape.join(', ')}])`, name);
  const t = layer.store.get(name);
  if (!dtypes.has(t.dtype)) throw new CheckpointFormatError(layer.source, `MXFP4 ${what} has dtype ${t.dtype}, expected ${[...dtypes].join(' or ')}`, name);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointFormatError(layer.source, `MXFP4 ${what} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (from config.json)`, name);
  }
  if (!t.isContiguous) throw new CheckpointFormatError(layer.source, `MXFP4 ${what} is not contiguous`, name);
  return t;
}

/** one per-expert matrix [rows, cols] into dst rows dstStart + r·stride */
function packPart(layer: MoeLayerInfo, part: 'gate' | 'up' | 'down', e: number, rows: number, cols: number, dst: Mxfp4Matrix, dstStart: number, stride: number): void {
  const wName = layer.tensorName(part, e, 'weight');
  const codes = tensorOf(layer, wName, CODE_DTYPES, [rows, cols / 2], 'codes (two E2M1 per byte)');
  const sName = SCALE_SUFFIXES.map((s) => layer.tensorName(part, e, s)).find((n) => layer.store.has(n)) ?? layer.tensorName(part, e, SCALE_SUFFIXES[0]!);
  const scales = tensorOf(layer, sName, SCALE_DTYPES, [rows, cols / 32], 'E8M0 scales');
  const nan = mxfp4Pack({ dst, srcCodes: codes.bytes(), srcScales: scales.bytes(), rows, order: 'interleaved', dstRowStart: dstStart, dstRowStride: stride });
  if (nan >= 0) throw nanScale(layer, sName, nan, cols / 32);
}

interface StackedPlanes { codes: Uint8Array; scales: Uint8Array; scaleName: string; blocksPerRow: number }

function stackedPlanes(layer: MoeLayerInfo, part: 'gateUp' | 'down', rows: number, cols: number): StackedPlanes {
  const E = layer.numExperts, nb = cols / 32;
  const bName = layer.tensorName(part, undefined, 'blocks'), sName = layer.tensorName(part, undefined, 'scales');
  const blocks = tensorOf(layer, bName, CODE_DTYPES, [E, rows, nb, 16], 'blocks');
  const scales = tensorOf(layer, sName, SCALE_DTYPES, [E, rows, nb], 'E8M0 scales');
  return { codes: blocks.bytes(), scales: scales.bytes(), scaleName: sName, blocksPerRow: nb };
}

/** source rows [srcRow, srcRow + rows) of a stacked plane into dst rows dstStart + r·stride */
function packRows(layer: MoeLayerInfo, src: StackedPlanes, srcRow: number, rows: number, dst: Mxfp4Matrix, dstStart: number, stride: number): void {
  const nb = src.blocksPerRow;
  const codes = src.codes.subarray(srcRow * nb * 16, (srcRow + rows) * nb * 16);
  const scales = src.scales.subarray(srcRow * nb, (srcRow + rows) * nb);
  const nan = mxfp4Pack({ dst, srcCodes: codes, srcScales: scales, rows, order: 'interleaved', dstRowStart: dstStart, dstRowStride: stride });
  if (nan >= 0) throw nanScale(layer, src.scaleName, srcRow * nb + nan, nb);
}

function nanScale(layer: MoeLayerInfo, name: string, index: number, perRow: number): CheckpointFormatError {
  return new CheckpointFormatError(layer.source, `E8M0 scale at [row ${Math.floor(index / perRow)}, block ${index % perRow}] is 0xFF (NaN); ` +
    'every weight of that block would be NaN. The checkpoint is corrupt: re-download or re-convert it', name);
}

function stackedBias(layer: MoeLayerInfo, part: 'gateUp' | 'down', length: number): Float32Array | undefined {
  const name = layer.tensorName(part, undefined, 'bias');
  if (!layer.store.has(name)) return undefined;
  const t = layer.store.get(name);
  if (t.numel !== length) throw new CheckpointFormatError(layer.source, `bias has ${t.numel} elements, expected ${length}`, name);
  const bytes = t.bytes();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(length);
  if (t.dtype === 'F32') for (let i = 0; i < length; i++) out[i] = view.getFloat32(4 * i, true);
  else if (t.dtype === 'BF16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < length; i++) u[i] = view.getUint16(2 * i, true) << 16;
  } else throw new CheckpointFormatError(layer.source, `bias dtype ${t.dtype} is not supported (F32 or BF16)`, name);
  return out;
}

/** [E][gate I | up I] → [E][g0 u0 g1 u1 …] */
function interleaveRows(bias: Float32Array, E: number, I: number): Float32Array {
  const out = new Float32Array(bias.length);
  for (let e = 0; e < E; e++) {
    for (let i = 0; i < I; i++) {
      out[e * 2 * I + 2 * i] = bias[e * 2 * I + i]!;
      out[e * 2 * I + 2 * i + 1] = bias[e * 2 * I + I + i]!;
    }
  }
  return out;
}
