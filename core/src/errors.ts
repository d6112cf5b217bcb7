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
