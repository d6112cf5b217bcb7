/** The version of the plugin API (@plexus/core's public surface). Plugins declare the range they target in `coreApi`. */
export const CORE_API_VERSION = '1.0.0';
