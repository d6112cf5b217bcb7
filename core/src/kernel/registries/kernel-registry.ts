/**
 * KernelRegistry: op name → ordered rows { id, when(capabilities, shape), impl }.
 * resolve() picks the first row whose `when` holds, after per-row overrides (auto | on | off) from env:
 *  - off: the row is never chosen;
 *  - on:  the row is chosen ahead of every auto row even when its `when` is false (the user is
 *         authoritative), but never when its optional `requires` fails (that guards instructions the CPU lacks);
 *  - PLEXUS_FORCE_PORTABLE_KERNELS turns every row whose id does not end in `.portable` off unless that row has
 *    an explicit override of its own.
 * Every resolution is recorded (op, shape, chosen row, why) and printable (`plexus kernels`).
 */
import type { NativeOps } from '@plexus/native';
import { KernelUnavailableError } from '../../errors.ts';
import { RegistrationTable, type Disposer } from './registration.ts';

/**
 * Op name → function type. Starts with the native ops; a plugin adds its own ops by declaration merging:
 * `declare module '@plexus/core' { interface KernelOps { myOp(x: Float32Array): void } }`.
 */
export interface KernelOps extends NativeOps {}

export type KernelOpName = keyof KernelOps & string;

/** CPU capabilities as the native layer reports them (a plugin may merge more fields in). */
export interface Capabilities {
  readonly arch: string;
  readonly cores: number;
  readonly avx2?: boolean;
  readonly fma?: boolean;
  readonly f16c?: boolean;
  readonly avx512f?: boolean;
  readonly avx512bf16?: boolean;
  readonly avx512vnni?: boolean;
  readonly neon?: boolean;
}

/** Problem size of one call, e.g. { M: 1, N: 4096, K: 4096 }; rows may use it to pick a tile shape. */
export type KernelShape = Readonly<Record<string, number>>;

export type KernelOverride = 'auto' | 'on' | 'off';
export const KERNEL_OVERRIDES: readonly KernelOverride[] = ['auto', 'on', 'off'];

export interface KernelRow<Op extends KernelOpName = KernelOpName> {
  /** unique across all ops, e.g. 'matmul.avx2'; the key of PLEXUS_KERNEL_OVERRIDES; portable rows end in '.portable' */
  readonly id: string;
  /** whether this row is the right choice for these capabilities (and shape, when given) */
  when(caps: Capabilities, shape?: KernelShape): boolean;
  readonly impl: KernelOps[Op];
  /** lower comes first; ties keep registration order. Default 100. */
  readonly priority?: number;
  /** hard requirement (e.g. the CPU can execute the row's instructions); even `on` cannot bypass it */
  requires?(caps: Capabilities): boolean;
}

export interface KernelResolution {
  readonly op: string;
  readonly shape?: KernelShape;
  readonly rowId: string;
  readonly reason: 'auto' | 'forced-on';
  count: number;
}

interface StoredRow {
  op: string;
  row: KernelRow;
  seq: number;
}

export interface KernelRegistryOptions {
  capabilities: Capabilities;
  /** rowId → override (from PLEXUS_KERNEL_OVERRIDES) */
  overrides?: ReadonlyMap<string, KernelOverride>;
  /** PLEXUS_FORCE_PORTABLE_KERNELS */
  forcePortable?: boolean;
}

export class KernelRegistry {
  readonly capabilities: Capabilities;
  private readonly overrides: ReadonlyMap<string, KernelOverride>;
  private readonly forcePortable: boolean;
  private readonly table = new RegistrationTable<StoredRow>('KernelRegistry', (a, b) => a.op === b.op && a.row.impl === b.row.impl && a.row.when === b.row.when);
  private readonly recorded = new Map<string, KernelResolution>();
  private seq = 0;
  /** bumps on every change so bound op tables re-resolve */
  private generation = 0;

  constructor(opts: KernelRegistryOptions) {
    this.capabilities = Object.freeze({ ...opts.capabilities });
    this.overrides = new Map(opts.overrides ?? []);
    this.forcePortable = opts.forcePortable ?? false;
  }

  register<Op extends KernelOpName>(op: Op, row: KernelRow<Op>, owner = 'core'): Disposer {
    validateRow(op, row);
    const dispose = this.table.add(row.id, { op, row: row as unknown as KernelRow, seq: this.seq++ }, owner);
    this.generation++;
    return () => {
      dispose();
      this.generation++;
    };
  }

  /** registered op names, sorted */
  ops(): KernelOpName[] {
    return [...new Set(this.table.list().map((e) => e.value.op as KernelOpName))].sort();
  }

  /** rows of one op in resolution order */
  rows<Op extends KernelOpName>(op: Op): Array<KernelRow<Op> & { owner: string }> {
    return this.table
      .list()
      .filter((e) => e.value.op === op)
      .sort((a, b) => (a.value.row.priority ?? 100) - (b.value.row.priority ?? 100) || a.value.seq - b.value.seq)
      .map((e) => Object.assign(Object.create(e.value.row) as KernelRow<Op>, { owner: e.owner }));
  }

  /** the effective override of a row (explicit entry, else forced-portable rule, else auto) */
  overrideOf(rowId: string): KernelOverride {
    const explicit = this.overrides.get(rowId);
    if (explicit) return explicit;
    if (this.forcePortable && !rowId.endsWith('.portable')) return 'off';
    return 'auto';
  }

  /** override keys that name no registered row (likely typos or a plugin that is not loaded) */
  unknownOverrideKeys(): string[] {
    return [...this.overrides.keys()].filter((id) => !this.table.has(id));
  }

  resolve<Op extends KernelOpName>(op: Op, shape?: KernelShape): KernelRow<Op> {
    const { row, reason } = this.choose(op, shape);
    return this.record(op, shape, row, reason);
  }

  /** the choice without recording it */
  private choose<Op extends KernelOpName>(op: Op, shape?: KernelShape): { row: KernelRow<Op>; reason: KernelResolution['reason'] } {
    const rows = this.rows(op);
    if (rows.length === 0) {
      throw new KernelUnavailableError(op, `no kernel rows are registered for op '${op}'; is the plugin or native addon that provides it loaded? (see \`plexus kernels\`)`);
    }
    const skipped: string[] = [];
    for (const row of rows) {
      if (this.overrideOf(row.id) !== 'on') continue;
      if (row.requires && !row.requires(this.capabilities)) {
        skipped.push(`${row.id}: forced on but this CPU lacks what it requires`);
        continue;
      }
      return { row, reason: 'forced-on' };
    }
    for (const row of rows) {
      const override = this.overrideOf(row.id);
      if (override === 'off') {
        skipped.push(`${row.id}: off`);
        continue;
      }
      if (override === 'on') continue; // already considered above
      if (row.requires && !row.requires(this.capabilities)) {
        skipped.push(`${row.id}: requirement not met`);
        continue;
      }
      if (!row.when(this.capabilities, shape)) {
        skipped.push(`${row.id}: not applicable`);
        continue;
      }
      return { row, reason: 'auto' };
    }
    throw new KernelUnavailableError(op, `no kernel row of op '${op}' can run here${shape ? ` for shape ${shapeKey(shape)}` : ''} (${skipped.join('; ')}); ` +
      'check PLEXUS_KERNEL_OVERRIDES / PLEXUS_FORCE_PORTABLE_KERNELS');
  }

  impl<Op extends KernelOpName>(op: Op, shape?: KernelShape): KernelOps[Op] {
    return this.resolve(op, shape).impl;
  }

  /**
   * An ops object whose every function is the row resolved for that op without a shape (resolved on first
   * use and again after registrations change). What model plugins receive as `ops`.
   */
  bindOps(): KernelOps {
    const cache = new Map<string, { generation: number; fn: unknown }>();
    const resolveCached = (op: string): unknown => {
      const hit = cache.get(op);
      if (hit && hit.generation === this.generation) return hit.fn;
      const fn = this.impl(op as KernelOpName);
      cache.set(op, { generation: this.generation, fn });
      return fn;
    };
    return new Proxy({} as KernelOps, {
      get: (_target, prop) => (typeof prop === 'string' ? resolveCached(prop) : undefined),
      has: (_target, prop) => typeof prop === 'string' && this.table.list().some((e) => e.value.op === prop),
      ownKeys: () => this.ops(),
      getOwnPropertyDescriptor: (_target, prop) =>
        typeof prop === 'string' && (this.ops() as string[]).includes(prop) ? { configurable: true, enumerable: true, get: () => resolveCached(prop) } : undefined,
    });
  }

  /** every distinct (op, shape) resolution so far, with how often it happened */
  resolutions(): readonly KernelResolution[] {
    return [...this.recorded.values()];
  }

  /** human-readable table of ops, rows, overrides and the choice for an unspecified shape */
  describe(): string {
    const lines: string[] = [];
    const caps = Object.entries(this.capabilities).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    lines.push(`capabilities: ${caps}`);
    for (const op of this.ops()) {
      let chosen: string | undefined;
      try {
        chosen = this.peek(op);
      } catch {
        chosen = undefined;
      }
      lines.push(`${op}`);
      for (const row of this.rows(op)) {
        const applicable = (!row.requires || row.requires(this.capabilities)) && row.when(this.capabilities);
        lines.push(`  ${row.id === chosen ? '*' : ' '} ${row.id.padEnd(32)} override=${this.overrideOf(row.id).padEnd(4)} applicable=${applicable ? 'yes' : 'no '} owner=${row.owner}`);
      }
      if (!chosen) lines.push('    (no row can run: this op is unavailable)');
    }
    const unknown = this.unknownOverrideKeys();
    if (unknown.length) lines.push(`overrides naming no registered row: ${unknown.join(', ')}`);
    if (this.recorded.size) {
      lines.push('resolutions:');
      for (const r of this.recorded.values()) {
        lines.push(`  ${r.op}${r.shape ? ` ${shapeKey(r.shape)}` : ''} → ${r.rowId} (${r.reason}) ×${r.count}`);
      }
    }
    return lines.join('\n');
  }

  /** what resolve() would choose, without recording it */
  private peek(op: KernelOpName): string {
    return this.choose(op).row.id;
  }

  private record<Op extends KernelOpName>(op: Op, shape: KernelShape | undefined, row: KernelRow<Op>, reason: KernelResolution['reason']): KernelRow<Op> {
    const key = `${op}|${shape ? shapeKey(shape) : ''}|${row.id}`;
    const hit = this.recorded.get(key);
    if (hit) hit.count++;
    else this.recorded.set(key, { op, ...(shape ? { shape: { ...shape } } : {}), rowId: row.id, reason, count: 1 });
    return row;
  }
}

function shapeKey(shape: KernelShape): string {
  return Object.keys(shape).sort().map((k) => `${k}=${shape[k]}`).join(',');
}

function validateRow(op: string, row: KernelRow<never> | KernelRow): void {
  if (typeof op !== 'string' || !op) throw new TypeError('KernelRegistry: the op name must be a non-empty string');
  if (!row || typeof row.id !== 'string' || !row.id) throw new TypeError(`KernelRegistry: a row of op '${op}' needs a non-empty string id`);
  if (typeof row.when !== 'function') throw new TypeError(`KernelRegistry: row '${row.id}' needs a when(capabilities, shape) function`);
  if (typeof row.impl !== 'function') throw new TypeError(`KernelRegistry: row '${row.id}' needs an impl function`);
  if (row.requires !== undefined && typeof row.requires !== 'function') throw new TypeError(`KernelRegistry: row '${row.id}': requires must be a function`);
  if (row.priority !== undefined && !Number.isFinite(row.priority)) throw new TypeError(`KernelRegistry: row '${row.id}': priority must be a finite number`);
}
