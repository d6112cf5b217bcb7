/**
 * The grouped low-rank output projection `wo_a` [G·R, in] (in = heads·head_dim / G): group g multiplies only
 * its own heads' outputs by rows [g·R, (g+1)·R). Each group is a normal Linear built by createLinear over a
 * row-slice view of the checkpoint (no copy), so any quant method (FP8 block scales included) applies:
 * weight rows are sliced by R, FP8 scale rows by R / blockRows — which needs R to be a multiple of the
 * block rows, or to fit inside one block (then every group shares that block's scales).
 */
import { CheckpointFormatError, Tensor, DTYPE_BYTES, type TensorStore } from '@plexus/core';
import { createLinear, type Linear, type QuantBuildContext } from '../layers/core-layers.ts';

export interface GroupedLinear {
  readonly groups: number;
  readonly outPerGroup: number;
  readonly inPerGroup: number;
  readonly weightBytes: number;
  /** z[M, G·R] where z[:, gR:(g+1)R] = x[:, g·in:(g+1)·in] · W_gᵀ (x and z row-major) */
  forward(z: Float32Array, x: Float32Array, M: number): void;
}

export function createGroupedLinear(
  store: TensorStore,
  prefix: string,
  groups: number,
  outPerGroup: number,
  inPerGroup: number,
  modelConfig: Readonly<Record<string, unknown>>,
  ctx: QuantBuildContext,
  source: string,
): GroupedLinear {
  const blockRows = fp8BlockRows(modelConfig);
  const parts: Linear[] = [];
  for (let g = 0; g < groups; g++) {
    const view = groupView(store, prefix, g, groups, outPerGroup, blockRows, source);
    parts.push(createLinear(view, `${prefix}.group${g}`, modelConfig, ctx, { shape: [outPerGroup, inPerGroup], bias: false, source }));
  }
  let xg = new Float32Array(0);
  let zg = new Float32Array(0);
  return {
    groups,
    outPerGroup,
    inPerGroup,
    weightBytes: parts.reduce((s, p) => s + p.weightBytes, 0),
    forward(z, x, M) {
      const inAll = groups * inPerGroup, outAll = groups * outPerGroup;
      if (x.length < M * inAll || z.length < M * outAll) throw new RangeError(`grouped linear ${prefix}: buffers too small for ${M} rows`);
      if (xg.length < M * inPerGroup) xg = new Float32Array(M * inPerGroup);
      if (zg.length < M * outPerGroup) zg = new Float32Array(M * outPerGroup);
      const xs = xg.subarray(0, M * inPerGroup), zs = zg.subarray(0, M * outPerGroup);
      for (let g = 0; g < groups; g++) {
        for (let m = 0; m < M; m++) xs.set(x.subarray(m * inAll + g * inPerGroup, m * inAll + (g + 1) * inPerGroup), m * inPerGroup);
        parts[g]!.forward(zs, xs, M);
        for (let m = 0; m < M; m++) z.set(zs.subarray(m * outPerGroup, (m + 1) * outPerGroup), m * outAll + g * outPerGroup);
      }
    },
  };
}

function fp8BlockRows(config: Readonly<Record<string, unknown>>): number {
  const q = config['quantization_config'];
  const size = q && typeof q === 'object' ? (q as Record<string, unknown>)['weight_block_size'] : undefined;
  return Array.isArray(size) && Number.isSafeInteger(size[0]) && (size[0] as number) > 0 ? (size[0] as number) : 128;
}

/** `<prefix>.group<g>.<suffix>` → rows of `<prefix>.<suffix>` belonging to group g */
function groupView(store: TensorStore, prefix: string, g: number, groups: number, rows: number, blockRows: number, source: string): TensorStore {
  const own = `${prefix}.group${g}.`;
  const baseName = (name: string) => (name.startsWith(own) ? `${prefix}.${name.slice(own.length)}` : undefined);
  const slice = (name: string): Tensor => {
    const base = baseName(name);
    if (base === undefined || !store.has(base)) throw new CheckpointFormatError(source, 'no such tensor', name);
    const t = store.get(base);
    if (t.shape.length !== 2 || !t.isContiguous) throw new CheckpointFormatError(source, `grouped projection tensor must be a contiguous matrix, got shape [${t.shape.join(', ')}]`, base);
    const [n, cols] = t.shape as [number, number];
    const rowBytes = cols * DTYPE_BYTES[t.dtype];
    if (n === groups * rows) return new Tensor(t.dtype, [rows, cols], t.buffer, t.byteOffset + g * rows * rowBytes);
    // block-scale tensor: one row per blockRows weight rows
    if (n === Math.ceil((groups * rows) / blockRows)) {
      if (rows % blockRows !== 0 && blockRows % rows !== 0) {
        throw new CheckpointFormatError(source, `block scales of ${blockRows} rows cannot be split into ${groups} groups of ${rows} rows ` +
          '(o_lora_rank must be a multiple of the block rows, or divide them)', base);
      }
      const first = Math.floor((g * rows) / blockRows);
      const count = Math.max(1, rows / blockRows);
      return new Tensor(t.dtype, [count, cols], t.buffer, t.byteOffset + first * rowBytes);
    }
    throw new CheckpointFormatError(source, `has ${n} rows; expected ${groups} groups × ${rows} (o_groups × o_lora_rank) or their block scales`, base);
  };
  return {
    names: () => store.names().filter((n) => n.startsWith(`${prefix}.`)).map((n) => own + n.slice(prefix.length + 1)),
    has: (name) => {
      const base = baseName(name);
      return base !== undefined && store.has(base);
    },
    get: slice,
    get totalBytes() { return store.totalBytes; },
    close() {},
  };
}
