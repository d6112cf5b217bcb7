/** The loader's account of every plugin: loaded | disabled(reason) | failed(cause). Served at GET /plugins. */
import type { PluginManifest, PluginProvides } from './manifest.ts';
import type { PluginOrigin } from './plugin-source.ts';
import type { ProviderLookup, ProvidesKind, ProviderStatus } from '../registries/provider-lookup.ts';

export type PluginStatus = 'loaded' | 'disabled' | 'failed';

export interface PluginRecord {
  readonly id: string;
  readonly version?: string;
  readonly origin: PluginOrigin;
  /** the plugin's directory, or what was asked for when it could not be found */
  readonly location: string;
  readonly status: PluginStatus;
  /** why it is disabled */
  readonly reason?: string;
  /** why it failed */
  readonly error?: Error;
  readonly manifest?: PluginManifest;
  /** what it registered, e.g. "kernel row matmul.avx2 (matmul)" */
  readonly registered: readonly string[];
  /** time spent importing and registering, ms */
  readonly loadMs?: number;
}

export interface PluginRecordJson {
  id: string;
  version: string | null;
  origin: PluginOrigin;
  location: string;
  status: PluginStatus;
  reason?: string;
  error?: { name: string; code?: string; message: string };
  provides: PluginProvides;
  registered: readonly string[];
  loadMs?: number;
}

export interface PluginReportJson {
  coreApiVersion: string;
  plugins: PluginRecordJson[];
}

export function recordToJson(r: PluginRecord): PluginRecordJson {
  return {
    id: r.id,
    version: r.version ?? null,
    origin: r.origin,
    location: r.location,
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.error ? { error: errorToJson(r.error) } : {}),
    provides: r.manifest?.provides ?? {},
    registered: r.registered,
    ...(r.loadMs !== undefined ? { loadMs: Math.round(r.loadMs * 10) / 10 } : {}),
  };
}

export function reportToJson(records: readonly PluginRecord[], coreApiVersion: string): PluginReportJson {
  return { coreApiVersion, plugins: records.map(recordToJson) };
}

/** one line per plugin, for `plexus plugins` */
export function formatPluginReport(records: readonly PluginRecord[]): string {
  if (records.length === 0) return 'no plugins found';
  return records
    .map((r) => {
      const head = `${r.status.padEnd(8)} ${r.id}${r.version ? `@${r.version}` : ''} (${r.origin}: ${r.location})`;
      const detail = r.status === 'failed' ? `\n         cause: ${r.error?.name}: ${r.error?.message}`
        : r.status === 'disabled' ? `\n         reason: ${r.reason}`
        : r.registered.length ? `\n         registered: ${r.registered.join('; ')}` : '';
      return head + detail;
    })
    .join('\n');
}

/** answers "which plugin should have provided this name" from the records (failed first: most informative) */
export function providerLookupFrom(records: () => readonly PluginRecord[]): ProviderLookup {
  const rank: Record<PluginStatus, number> = { failed: 0, disabled: 1, loaded: 2 };
  return (kind: ProvidesKind, name: string): ProviderStatus | undefined => {
    const claimants = records()
      .filter((r) => r.manifest?.provides[kind]?.includes(name))
      .sort((a, b) => rank[a.status] - rank[b.status]);
    const r = claimants[0];
    if (!r) return undefined;
    return { pluginId: r.id, status: r.status, ...(r.reason !== undefined ? { reason: r.reason } : {}), ...(r.error ? { cause: r.error } : {}) };
  };
}

function errorToJson(e: Error): { name: string; code?: string; message: string } {
  const code = (e as { code?: unknown }).code;
  return { name: e.name, ...(typeof code === 'string' ? { code } : {}), message: e.message };
}
