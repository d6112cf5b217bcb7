/**
 * The base MoE experts method: F32 / BF16 / F16 expert weights read in place by the matmul kernel, one
 * expert at a time over the tokens routed to it (gather → gate/up → activation → down → weighted scatter).
 * Quant plugins replace it through the QuantMethodRegistry.
 */
import { Tensor, DTYPE_BYTES } from '@plexus/native';
import { QuantMethodUnavailableError } from '../errors.ts';
import { FLOAT_DTYPES, floatVector, requireTensor } from '../quant/tensor-checks.ts';
import { applyActivation } from './activation.ts';
import type { ExpertPlan, MoeExperts, MoeExpertsMethod, MoeLayerInfo } from './experts-method.ts';

export const UNQUANTIZED_EXPERTS_ID = 'unquantized';

interface ExpertWeights {
  /** per-expert layout: separate gate and up; stacked: one gateUp slice [2I, H] */
  gate?: Tensor;
  up?: Tensor;
  gateUp?: Tensor;
  down: Tensor;
  gateBias?: Float32Array;
  upBias?: Float32Array;
  gateUpBias?: Float32Array;
  downBias?: Float32Array;
}

export const UNQUANTIZED_EXPERTS: MoeExpertsMethod = {
  id: UNQUANTIZED_EXPERTS_ID,
  create: (layer) => new DenseExperts(layer),
};

class DenseExperts implements MoeExperts {
  readonly method = UNQUANTIZED_EXPERTS_ID;
  readonly bytesPerExpert: number;
  private readonly experts: ExpertWeights[];
  private scratch = new Float32Array(0);

  constructor(private readonly layer: MoeLayerInfo) {
    this.experts = layer.naming.layout === 'per-expert' ? bindPerExpert(layer) : bindStacked(layer);
    const e0 = this.experts[0]!;
    const bytes = (t?: Tensor) => (t ? t.byteLength : 0);
    const vbytes = (v?: Float32Array) => (v ? v.byteLength : 0);
    this.bytesPerExpert = bytes(e0.gate) + bytes(e0.up) + bytes(e0.gateUp) + bytes(e0.down) +
      vbytes(e0.gateBias) + vbytes(e0.upBias) + vbytes(e0.gateUpBias) + vbytes(e0.downBias);
  }

  run(out: Float32Array, x: Float32Array, plan: ExpertPlan): void {
    const { hiddenSize: H, intermediateSize: I, ops, activation } = this.layer;
    const T = plan.numTokens;
    if (out.length !== T * H || x.length !== T * H) throw new RangeError(`MoE ${this.layer.name}: out and x must hold numTokens*hidden = ${T}*${H} values`);
    out.fill(0);
    let maxN = 0;
    for (let a = 0; a < plan.experts.length; a++) maxN = Math.max(maxN, plan.expertStart[a + 1]! - plan.expertStart[a]!);
    // xg [n,H] | gate [n,I] | up [n,I] | gateUp [n,2I] | h [n,I] | y [n,H]
    const need = maxN * (2 * H + 5 * I);
    if (this.scratch.length < need) this.scratch = new Float32Array(need);
    const buf = this.scratch;
    for (let a = 0; a < plan.experts.length; a++) {
      const w = this.experts[plan.experts[a]!]!;
      const s0 = plan.expertStart[a]!, n = plan.expertStart[a + 1]! - s0;
      if (n === 0) continue;
      let off = 0;
      const take = (len: number) => buf.subarray(off, (off += len));
      const xg = take(n * H), g = take(n * I), u = take(n * I), gu = take(n * 2 * I), h = take(n * I), y = take(n * H);
      for (let i = 0; i < n; i++) xg.set(x.subarray(plan.slotToken[s0 + i]! * H, plan.slotToken[s0 + i]! * H + H), i * H);
      if (w.gateUp) {
        ops.matmul({ out: gu, x: xg, w: w.gateUp, M: n, ...(w.gateUpBias ? { bias: w.gateUpBias } : {}) });
        splitGateUp(gu, g, u, n, I, this.layer.naming.layout === 'stacked' && this.layer.naming.gateUpOrder === 'interleaved');
      } else {
        ops.matmul({ out: g, x: xg, w: w.gate!, M: n, ...(w.gateBias ? { bias: w.gateBias } : {}) });
        ops.matmul({ out: u, x: xg, w: w.up!, M: n, ...(w.upBias ? { bias: w.upBias } : {}) });
      }
      applyActivation(ops, h, g, u, n * I, activation);
      ops.matmul({ out: y, x: h, w: w.down, M: n, ...(w.downBias ? { bias: w.downBias } : {}) });
      for (let i = 0; i < n; i++) {
        const t = plan.slotToken[s0 + i]!, wt = plan.slotWeight[s0 + i]!;
        for (let j = 0; j < H; j++) out[t * H + j]! += wt * y[i * H + j]!;
      }
    }
  }
}

function splitGateUp(gu: Float32Array, g: Float32Array, u: Float32Array, n: number, I: number, interleaved: boolean): void {
  for (let r = 0; r < n; r++) {
    const o = r * 2 * I;
    if (interleaved) {
      for (let i = 0; i < I; i++) { g[r * I + i] = gu[o + 2 * i]!; u[r * I + i] = gu[o + 2 * i + 1]!; }
    } else {
      g.set(gu.subarray(o, o + I), r * I);
      u.set(gu.subarray(o + I, o + 2 * I), r * I);
    }
  }
}

function requireFloat(layer: MoeLayerInfo, name: string, shape: number[]): Tensor {
  if (layer.store.has(name) && !FLOAT_DTYPES.has(layer.store.get(name).dtype)) {
    throw new QuantMethodUnavailableError(layer.name, 'unknown', `MoE layer ${layer.name}: expert tensor ${name} has dtype ${layer.store.get(name).dtype}, which the ` +
      'unquantized experts method cannot read and no registered quant method claimed; load the quant plugin for this format (`plexus plugins`)');
  }
  return requireTensor(layer.store, name, layer.source, { what: 'expert weight', dtypes: FLOAT_DTYPES, shape });
}

function optionalVector(layer: MoeLayerInfo, name: string, length: number): Float32Array | undefined {
  return layer.store.has(name) ? floatVector(layer.store.get(name), name, layer.source, length) : undefined;
}

function bindPerExpert(layer: MoeLayerInfo): ExpertWeights[] {
  const { numExperts: E, hiddenSize: H, intermediateSize: I } = layer;
  const out: ExpertWeights[] = [];
  for (let e = 0; e < E; e++) {
    const name = (part: 'gate' | 'up' | 'down', suffix: string) => layer.tensorName(part, e, suffix);
    const gateBias = optionalVector(layer, name('gate', 'bias'), I);
    const upBias = optionalVector(layer, name('up', 'bias'), I);
    const downBias = optionalVector(layer, name('down', 'bias'), H);
    out.push({
      gate: requireFloat(layer, name('gate', 'weight'), [I, H]),
      up: requireFloat(layer, name('up', 'weight'), [I, H]),
      down: requireFloat(layer, name('down', 'weight'), [H, I]),
      ...(gateBias ? { gateBias } : {}),
      ...(upBias ? { upBias } : {}),
      ...(downBias ? { downBias } : {}),
    });
  }
  return out;
}

function bindStacked(layer: MoeLayerInfo): ExpertWeights[] {
  const { numExperts: E, hiddenSize: H, intermediateSize: I } = layer;
  const gu = requireFloat(layer, layer.tensorName('gateUp', undefined, ''), [E, 2 * I, H]);
  const dn = requireFloat(layer, layer.tensorName('down', undefined, ''), [E, H, I]);
  const guBias = optionalVector(layer, layer.tensorName('gateUp', undefined, 'bias'), E * 2 * I);
  const dnBias = optionalVector(layer, layer.tensorName('down', undefined, 'bias'), E * H);
  const slice = (t: Tensor, e: number, rows: number, cols: number) =>
    new Tensor(t.dtype, [rows, cols], t.buffer, t.byteOffset + e * rows * cols * DTYPE_BYTES[t.dtype]);
  const out: ExpertWeights[] = [];
  for (let e = 0; e < E; e++) {
    out.push({
      gateUp: slice(gu, e, 2 * I, H),
      down: slice(dn, e, H, I),
      ...(guBias ? { gateUpBias: guBias.subarray(e * 2 * I, (e + 1) * 2 * I) } : {}),
      ...(dnBias ? { downBias: dnBias.subarray(e * H, (e + 1) * H) } : {}),
    });
  }
  return out;
}
