import { describe, expect, it } from 'vitest';
import { CoordinatorNotFoundError, PluginLoadError } from '../../../src/errors.ts';
import { EngineScope } from '../../../src/kernel/engine-scope.ts';
import { createContainer } from '../../../src/kernel/di/container.ts';
import { EnvRegistry } from '../../../src/kernel/env/env-registry.ts';
import { silentLogger } from '../../../src/kernel/log.ts';
import { CoordinatorRegistry, type Coordinator, type CoordinatorHost } from '../../../src/kernel/registries/coordinator-registry.ts';
import { HookTable } from '../../../src/kernel/registries/lifecycle-hooks.ts';
import type { ProviderLookup } from '../../../src/kernel/registries/provider-lookup.ts';

const env = new EnvRegistry({ source: {} }).snapshot();
const log = silentLogger();

function scopeDeps(coordinators: CoordinatorRegistry) {
  return { container: createContainer(), coordinators, pluginHooks: new HookTable(), env, log };
}

describe('CoordinatorRegistry', () => {
  it('a missing name lists the registered names and the failed provider\'s cause', () => {
    const cause = new PluginLoadError('hisparse', 'plugin \'hisparse\' failed to import: host allocator missing');
    const providers: ProviderLookup = (kind, name) => (kind === 'coordinators' && name === 'hisparse' ? { pluginId: 'hisparse', status: 'failed', cause } : undefined);
    const reg = new CoordinatorRegistry(providers);
    reg.register('zeta', () => ({ attach() {}, dispose() {} }));
    reg.register('alpha', () => ({ attach() {}, dispose() {} }));
    const err = (() => { try { reg.create('hisparse', { engineId: 'e', env, log, options: {} }); } catch (e) { return e as CoordinatorNotFoundError; } })();
    expect(err).toBeInstanceOf(CoordinatorNotFoundError);
    expect(err!.registered).toEqual(['alpha', 'zeta']);
    expect(err!.message).toContain('alpha, zeta');
    expect(err!.message).toContain("plugin 'hisparse'");
    expect(err!.message).toContain('host allocator missing');
    expect(err!.cause).toBe(cause);
  });

  it('a missing name with a disabled provider says it is disabled, and with no provider says so', () => {
    const reg = new CoordinatorRegistry((_k, name) => (name === 'off' ? { pluginId: 'offp', status: 'disabled', reason: 'listed in PLEXUS_DISABLED_PLUGINS' } : undefined));
    expect(() => reg.create('off', { engineId: 'e', env, log, options: {} })).toThrow(/offp.*disabled.*PLEXUS_DISABLED_PLUGINS/);
    expect(() => reg.create('nobody', { engineId: 'e', env, log, options: {} })).toThrow(/no plugin manifest declares 'nobody'/);
  });

  it('engine scopes follow create → attach → dispose (reverse order) and never share instances', () => {
    const reg = new CoordinatorRegistry();
    const events: string[] = [];
    const instances: Array<{ engineId: string; coordinator: Coordinator }> = [];
    for (const name of ['first', 'second']) {
      reg.register(name, (deps) => {
        events.push(`create ${name} ${deps.engineId}`);
        const coordinator: Coordinator = {
          attach: (host: CoordinatorHost) => {
            events.push(`attach ${name} ${host.engineId}`);
            host.hooks.on('requestFinished', (p) => events.push(`${name}@${host.engineId} finished ${p.requestId}`));
          },
          dispose: () => events.push(`dispose ${name} ${deps.engineId}`),
        };
        instances.push({ engineId: deps.engineId, coordinator });
        return coordinator;
      });
    }
    const a = new EngineScope(scopeDeps(reg), { engineId: 'A', coordinators: ['first', 'second'] });
    const b = new EngineScope(scopeDeps(reg), { engineId: 'B', coordinators: ['first'] });
    expect(events).toEqual(['create first A', 'create second A', 'attach first A', 'attach second A', 'create first B', 'attach first B']);
    expect(a.coordinator('first')).not.toBe(b.coordinator('first'));
    expect(new Set(instances.map((i) => i.coordinator)).size).toBe(3);

    events.length = 0;
    b.hooks.emit('requestFinished', { requestId: 'rb', reason: 'stop' });
    expect(events).toEqual(['first@B finished rb']);

    events.length = 0;
    a.dispose();
    a.dispose();
    expect(events).toEqual(['dispose second A', 'dispose first A']);
    // A's handlers are gone, B's still run
    expect(a.hooks.emit('requestFinished', { requestId: 'ra', reason: 'stop' })).toEqual([]);
    b.hooks.emit('requestFinished', { requestId: 'rb2', reason: 'stop' });
    expect(events).toEqual(['dispose second A', 'dispose first A', 'first@B finished rb2']);
    b.dispose();
  });

  it('a coordinator that fails to attach disposes the ones already created', () => {
    const reg = new CoordinatorRegistry();
    const disposed: string[] = [];
    reg.register('ok', () => ({ attach() {}, dispose: () => disposed.push('ok') }));
    reg.register('bad', () => ({ attach() { throw new Error('attach failed'); }, dispose: () => disposed.push('bad') }));
    expect(() => new EngineScope(scopeDeps(reg), { coordinators: ['ok', 'bad'] })).toThrow('attach failed');
    expect(disposed).toEqual(['bad', 'ok']);
  });

  it('a missing coordinator fails the engine scope with the registry error', () => {
    const reg = new CoordinatorRegistry();
    expect(() => new EngineScope(scopeDeps(reg), { coordinators: ['ghost'] })).toThrow(CoordinatorNotFoundError);
  });
});
