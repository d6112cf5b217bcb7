/**
 * The core never imports a plugin: every import, re-export, dynamic import() and require() in core/src must
 * resolve outside plugins/ and must not name a plugin package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORE_SRC = path.join(ROOT, 'core', 'src');
const PLUGINS = path.join(ROOT, 'plugins');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

function pluginPackageNames(): string[] {
  return readdirSync(PLUGINS, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => {
      try {
        return [JSON.parse(readFileSync(path.join(PLUGINS, e.name, 'package.json'), 'utf8')).name as string];
      } catch {
        return [];
      }
    });
}

/** every module specifier in a source text (static imports/exports, import(), require()) */
function specifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  const found = info.importedFiles.map((f) => f.fileName);
  // preProcessFile sees literal import() and require(); also catch `import(...)` with a template literal
  for (const m of source.matchAll(/\bimport\s*\(\s*`([^`$]*)`/g)) found.push(m[1]!);
  return [...new Set(found)];
}

/** the violations of one file */
function violations(file: string, source: string, pluginNames: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of specifiers(source)) {
    const isRelative = spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:');
    if (isRelative) {
      const target = path.resolve(path.dirname(file), spec.startsWith('file:') ? fileURLToPath(spec) : spec);
      if (target === PLUGINS || target.startsWith(PLUGINS + path.sep)) out.push(`${path.relative(ROOT, file)} imports ${spec} (inside plugins/)`);
    } else if (spec.startsWith('@plexus/plugin-') || pluginNames.some((n) => spec === n || spec.startsWith(`${n}/`))) {
      out.push(`${path.relative(ROOT, file)} imports plugin package ${spec}`);
    }
  }
  return out;
}

describe('core imports no plugin', () => {
  const pluginNames = pluginPackageNames();

  it('knows the plugin packages and finds core sources', () => {
    expect(pluginNames).toContain('@plexus/plugin-llama');
    expect(walk(CORE_SRC).length).toBeGreaterThan(10);
  });

  it('no file under core/src imports from plugins/ or a plugin package', () => {
    const all = walk(CORE_SRC).flatMap((file) => violations(file, readFileSync(file, 'utf8'), pluginNames));
    expect(all).toEqual([]);
  });

  it('the scanner catches every kind of violation (so the check above can fail)', () => {
    const file = path.join(CORE_SRC, 'kernel', 'example.ts');
    const cases = [
      "import { register } from '../../../plugins/llama/src/index.ts';",
      "export * from '../../../plugins/dsv4/src/model.ts';",
      "import type { X } from '@plexus/plugin-llama';",
      "const m = await import('@plexus/plugin-llama/manifest');",
      "const m = await import(`../../../plugins/llama/src/index.ts`);",
      "const r = require('../../../plugins/llama');",
    ];
    for (const code of cases) expect(violations(file, code, pluginNames), code).toHaveLength(1);
    expect(violations(file, "import { x } from './registries/registration.ts'; import '@plexus/native';", pluginNames)).toEqual([]);
  });
});

/**
 * The other direction: a plugin reaches the core only through `@plexus/core` (its public API and the
 * context it is given). Relative imports stay inside the plugin; packages must be declared in its
 * package.json; `@plexus/core/internal`, other plugins and core/src paths are off limits.
 */
function pluginViolations(pluginDir: string, file: string, source: string, declared: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const rel = path.relative(ROOT, file);
  for (const spec of specifiers(source)) {
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) {
      const target = path.resolve(path.dirname(file), spec.startsWith('file:') ? fileURLToPath(spec) : spec);
      if (!(target === pluginDir || target.startsWith(pluginDir + path.sep))) out.push(`${rel} imports ${spec} (outside its plugin)`);
      continue;
    }
    if (spec.startsWith('node:')) continue;
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    if (spec === '@plexus/core') continue;
    if (pkg === '@plexus/core') out.push(`${rel} imports ${spec} (only the public '@plexus/core' API is for plugins)`);
    else if (!declared.has(pkg)) out.push(`${rel} imports ${spec}, which its package.json does not declare`);
  }
  return out;
}

function declaredPackages(pluginDir: string): Set<string> {
  const pkg = JSON.parse(readFileSync(path.join(pluginDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const names = [pkg.dependencies, pkg.peerDependencies, pkg.optionalDependencies].flatMap((d) => Object.keys(d ?? {}));
  // a plugin may never depend on another plugin or on the server
  return new Set(names.filter((n) => !n.startsWith('@plexus/plugin-') && n !== '@plexus/server'));
}

describe('plugins reach the core only through @plexus/core', () => {
  const pluginDirs = readdirSync(PLUGINS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(PLUGINS, e.name));

  it('no plugin source imports core internals, another plugin or an undeclared package', () => {
    const all = pluginDirs.flatMap((dir) => {
      const src = path.join(dir, 'src');
      const declared = declaredPackages(dir);
      return walk(src).flatMap((file) => pluginViolations(dir, file, readFileSync(file, 'utf8'), declared));
    });
    expect(all).toEqual([]);
  });

  it('the scanner catches every kind of violation', () => {
    const dir = path.join(PLUGINS, 'example');
    const file = path.join(dir, 'src', 'model', 'x.ts');
    const declared = new Set(['@plexus/native']);
    const cases = [
      "import { createLinear } from '../../../../core/src/quant/index.ts';",
      "import { Engine } from '@plexus/core/internal';",
      "import { register } from '../../../llama/src/index.ts';",
      "import { x } from '@plexus/plugin-llama';",
      "import pino from 'pino';",
    ];
    for (const code of cases) expect(pluginViolations(dir, file, code, declared), code).toHaveLength(1);
    expect(pluginViolations(dir, file, "import { Tensor } from '@plexus/core'; import { a } from '../util.ts'; import fs from 'node:fs'; import { mxfp4Pack } from '@plexus/native';", declared)).toEqual([]);
  });
});
