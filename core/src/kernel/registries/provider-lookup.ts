/**
 * How registries learn which plugin *should* have provided a missing name, and why it did not.
 * The plugin loader answers from the manifests it read; registries only depend on this function type.
 */

/** The manifest `provides` keys, one per registry. */
export type ProvidesKind =
  | 'architectures' | 'quantMethods' | 'kvPools' | 'coordinators' | 'kernels' | 'env'
  | 'chatEncoders' | 'reasoningParsers' | 'toolCallParsers';

export interface ProviderStatus {
  pluginId: string;
  status: 'loaded' | 'disabled' | 'failed';
  /** why disabled (for `disabled`) */
  reason?: string;
  /** the load failure (for `failed`) */
  cause?: unknown;
}

export type ProviderLookup = (kind: ProvidesKind, name: string) => ProviderStatus | undefined;

export const noProviders: ProviderLookup = () => undefined;

/** A sentence for error messages: what happened to the plugin that claims `name`, and what to do. */
export function explainProvider(kind: ProvidesKind, name: string, provider: ProviderStatus | undefined): string {
  if (!provider) return `no plugin manifest declares '${name}' in provides.${kind}; load a plugin that provides it (--plugin or PLEXUS_PLUGINS)`;
  if (provider.status === 'failed') {
    return `plugin '${provider.pluginId}' provides it but failed to load: ${causeText(provider.cause)}; fix that plugin (see \`plexus plugins\`)`;
  }
  if (provider.status === 'disabled') {
    return `plugin '${provider.pluginId}' provides it but is disabled (${provider.reason ?? 'no reason given'}); enable it to use '${name}'`;
  }
  return `plugin '${provider.pluginId}' loaded but did not register '${name}' although its manifest says so; report this to its authors`;
}

export function causeText(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
