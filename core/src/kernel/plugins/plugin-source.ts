/**
 * Where plugins come from and how their manifest and entry are found, without evaluating the entry.
 *
 * A plugin is a directory (usually a package). Its manifest is, in this order:
 *  1. package.json "plexus": { "manifest": {…} | "./manifest.json" | "./manifest.ts", "entry": "./src/index.ts" }
 *  2. package.json exports["./manifest"] (a module exporting `manifest` or a default)
 *  3. manifest.json next to package.json
 * Its entry (the module exporting `register(ctx)`) is "plexus".entry, else exports["."], else main.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginLoadError } from '../../errors.ts';
import { parseManifest, type PluginManifest } from './manifest.ts';

export type PluginOrigin = 'bundled' | 'cli' | 'env';

export interface PluginCandidate {
  readonly origin: PluginOrigin;
  /** what was asked for (directory name, package name or path) */
  readonly request: string;
  /** the plugin's directory */
  readonly dir: string;
}

export interface LocatedPlugin {
  readonly manifest: PluginManifest;
  /** absolute path of the module exporting register(ctx) */
  readonly entry: string;
}

interface PackageJson {
  name?: string;
  main?: string;
  exports?: unknown;
  plexus?: { manifest?: unknown; entry?: string };
}

/** the workspace's plugins/ folder (sibling of core/), when it exists */
export function defaultBundledPluginsDir(): string | undefined {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'plugins');
  return existsSync(dir) ? dir : undefined;
}

/** every sub-directory of `dir` with a package.json or manifest.json, sorted by name */
export function discoverBundledPlugins(dir: string): PluginCandidate[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => path.join(dir, name))
    .filter((p) => statSync(p).isDirectory() && (existsSync(path.join(p, 'package.json')) || existsSync(path.join(p, 'manifest.json'))))
    .map((p) => ({ origin: 'bundled' as const, request: path.basename(p), dir: realpathSync(p) }));
}

/**
 * `--plugin X` / PLEXUS_PLUGINS entries: a path (absolute, ./ or ../, or an existing directory) or a package
 * name found in node_modules from `cwd` upwards. Throws PluginLoadError when it cannot be found.
 */
export function resolvePluginRequest(request: string, origin: PluginOrigin, cwd: string): PluginCandidate {
  const looksLikePath = path.isAbsolute(request) || request.startsWith('.') || request.includes(path.sep) && !request.startsWith('@');
  const asPath = path.resolve(cwd, request);
  if (looksLikePath || existsSync(asPath)) {
    if (!existsSync(asPath) || !statSync(asPath).isDirectory()) {
      throw new PluginLoadError(request, `plugin path ${asPath} is not a directory; pass the plugin's folder (the one with package.json)`);
    }
    return { origin, request, dir: realpathSync(asPath) };
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', ...request.split('/'));
    // real path: a workspace symlink and the bundled folder are the same plugin
    if (existsSync(path.join(candidate, 'package.json'))) return { origin, request, dir: realpathSync(candidate) };
    if (path.dirname(dir) === dir) break;
  }
  throw new PluginLoadError(request, `plugin package '${request}' is not installed (searched node_modules from ${cwd} upwards); npm install it or pass a path`);
}

/** Reads the manifest (importing at most the manifest module) and finds the entry. */
export async function locatePlugin(candidate: PluginCandidate): Promise<LocatedPlugin> {
  const { dir } = candidate;
  const pkgPath = path.join(dir, 'package.json');
  const pkg: PackageJson = existsSync(pkgPath) ? readJson(pkgPath, candidate.request) as PackageJson : {};
  const fallbackId = pkg.name ?? candidate.request;
  const where = pkg.name ? `package ${pkg.name} (${dir})` : dir;

  let raw: unknown;
  const declared = pkg.plexus?.manifest;
  if (declared && typeof declared === 'object') raw = declared;
  else {
    const file = typeof declared === 'string' ? declared : exportTarget(pkg.exports, './manifest') ?? (existsSync(path.join(dir, 'manifest.json')) ? './manifest.json' : undefined);
    if (!file) throw new PluginLoadError(fallbackId, `no plugin manifest found for ${where}: add "plexus": { "manifest": … } to package.json, an exports["./manifest"] module or a manifest.json`);
    raw = await readManifestFile(path.resolve(dir, file), fallbackId);
  }
  const manifest = parseManifest(raw, where, fallbackId);

  const entryRel = pkg.plexus?.entry ?? exportTarget(pkg.exports, '.') ?? pkg.main;
  if (!entryRel) throw new PluginLoadError(manifest.id, `${where} names no entry module: set "plexus": { "entry": "./src/index.ts" } or "main" in package.json`);
  const entry = path.resolve(dir, entryRel);
  if (!existsSync(entry)) throw new PluginLoadError(manifest.id, `entry module ${entry} of plugin '${manifest.id}' does not exist`);
  return { manifest, entry };
}

async function readManifestFile(file: string, pluginId: string): Promise<unknown> {
  if (!existsSync(file)) throw new PluginLoadError(pluginId, `manifest file ${file} does not exist`);
  if (file.endsWith('.json')) return readJson(file, pluginId);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new PluginLoadError(pluginId, `manifest module ${file} failed to load: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  return mod['manifest'] ?? mod['default'];
}

function readJson(file: string, pluginId: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new PluginLoadError(pluginId, `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** the file a package `exports` map gives for a subpath (string targets and import/default conditions) */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (typeof exports === 'string') return subpath === '.' ? exports : undefined;
  if (!exports || typeof exports !== 'object') return undefined;
  const target = (exports as Record<string, unknown>)[subpath];
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object') {
    const t = target as Record<string, unknown>;
    for (const key of ['import', 'default', 'node']) if (typeof t[key] === 'string') return t[key] as string;
  }
  return undefined;
}
