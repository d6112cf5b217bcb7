/**
 * Typed errors. Each says what failed and what to do; `code` is stable for HTTP mapping and tests.
 * Append new classes here (one list, so the server maps every one of them).
 */
export class PlexusError extends Error {
  readonly code: string = 'plexus_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A checkpoint file is malformed, truncated or inconsistent. Names the file and, when known, the tensor. */
export class CheckpointFormatError extends PlexusError {
  override readonly code = 'checkpoint_format';
  constructor(readonly file: string, message: string, readonly tensor?: string, options?: { cause?: unknown }) {
    super(`${file}${tensor ? ` (tensor ${tensor})` : ''}: ${message}`, options);
  }
}

/** The requested architecture has no provider, or its plugin is disabled or failed to load. */
export class ModelNotSupportedError extends PlexusError {
  override readonly code = 'model_not_supported';
}

/** A plugin could not be imported or registered. */
export class PluginLoadError extends PlexusError {
  override readonly code = 'plugin_load';
  constructor(readonly pluginId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad user/configuration input (CLI flags, env, request fields). */
export class InvalidArgumentError extends PlexusError {
  override readonly code = 'invalid_argument';
  constructor(message: string, readonly param?: string) {
    super(message);
  }
}

/** Not enough KV memory / queue capacity. */
export class CapacityError extends PlexusError {
  override readonly code = 'capacity';
}

/** The checkpoint ships no chat template and no plugin provides an encoding. */
export class ChatTemplateError extends PlexusError {
  override readonly code = 'chat_template';
}

/** The native addon is missing or was built for another ABI. */
export class NativeAddonError extends PlexusError {
  override readonly code = 'native_addon';
}

// ---- microkernel (registries, plugin loader, env registry) ----

/** The same id was registered twice with a different value. Dispose the first registration or pick another id. */
export class DuplicateRegistrationError extends PlexusError {
  override readonly code = 'duplicate_registration';
  constructor(readonly registry: string, readonly id: string, readonly existingOwner: string, readonly newOwner: string) {
    super(`${registry}: '${id}' is already registered by ${existingOwner} with a different value (attempted by ${newOwner}); ` +
      'use another id, or dispose the first registration before replacing it');
  }
}

/** A plugin-supplied extension (quant wrapper, KV pool predicate, …) threw; names the extension id and phase. */
export class ExtensionFailedError extends PlexusError {
  override readonly code = 'extension_failed';
  constructor(readonly registry: string, readonly id: string, readonly phase: string, options?: { cause?: unknown }) {
    super(`${registry} entry '${id}' threw in ${phase}: ${describeCause(options?.cause)}; ` +
      `fix or disable the plugin that registered '${id}'`, options);
  }
}

/** Two KV pool providers of equal priority both match the model. */
export class AmbiguousKvPoolError extends PlexusError {
  override readonly code = 'ambiguous_kv_pool';
  constructor(readonly ids: readonly string[], readonly priority: number) {
    super(`KV pools ${ids.map((i) => `'${i}'`).join(' and ')} both match this model at priority ${priority}; ` +
      'give one of them a different priority or disable one of their plugins');
  }
}

/** No coordinator of that name is registered. Lists what is registered and why the expected provider is absent. */
export class CoordinatorNotFoundError extends PlexusError {
  override readonly code = 'coordinator_not_found';
  constructor(readonly coordinator: string, readonly registered: readonly string[], detail: string, options?: { cause?: unknown }) {
    super(`no coordinator '${coordinator}' is registered (registered: ${registered.length ? registered.join(', ') : 'none'}); ${detail}`, options);
  }
}

/** No kernel row of an op can run here (all off, or none applicable). */
export class KernelUnavailableError extends PlexusError {
  override readonly code = 'kernel_unavailable';
  constructor(readonly op: string, message: string) {
    super(message);
  }
}

/** A PLEXUS_* variable has a value that must not be guessed around (enum, strict mode, malformed override). code: invalid_argument. */
export class EnvVarError extends InvalidArgumentError {
  constructor(readonly variable: string, message: string) {
    super(message, variable);
  }
}

/** A plugin targets a core API range this core does not satisfy. code: plugin_load. */
export class PluginIncompatibleError extends PluginLoadError {}

/**
 * A lifecycle hook handler threw. Carries the requests it concerns, so the engine fails exactly those.
 * A handler may throw this itself (with a narrower request list) when only some requests of a batch are affected.
 */
export class HookHandlerError extends PlexusError {
  override readonly code = 'hook_failed';
  constructor(readonly event: string, readonly owner: string, readonly requestIds: readonly string[], options?: { cause?: unknown }) {
    super(`lifecycle hook '${event}' of ${owner} failed for request(s) ${requestIds.join(', ') || '(none)'}: ${describeCause(options?.cause)}`, options);
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

// ---- engine ----

/** The engine cannot take or finish requests: it is shutting down, or its worker crashed. Retry on another replica or after a restart (HTTP 503). */
export class EngineUnavailableError extends PlexusError {
  override readonly code = 'engine_unavailable';
}

// ---- quantization ----

/**
 * A layer's weights need a quant method that no registered wrapper provides (its plugin is disabled, failed
 * or not installed). Names the layer, the method and, when known, the plugin and its failure.
 */
export class QuantMethodUnavailableError extends PlexusError {
  override readonly code = 'quant_method_unavailable';
  constructor(readonly layer: string, readonly method: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ---- text processing (chat encoders, reasoning and tool-call parsers) ----

/**
 * No chat encoder / reasoning parser / tool-call parser of that name is registered (a CLI flag or config
 * names it). Lists what is registered and why the expected provider is absent. code: invalid_argument.
 */
export class TextProcessorNotFoundError extends InvalidArgumentError {
  constructor(readonly kind: string, readonly processor: string, readonly registered: readonly string[], detail: string) {
    super(`no ${kind} '${processor}' is registered (registered: ${registered.length ? registered.join(', ') : 'none'}); ${detail}`, kind);
  }
}
