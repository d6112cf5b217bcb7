/** Which model directory a command uses: --model-path, else PLEXUS_MODEL_PATH, else the embedded default model. */
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** models/plexus-tiny-qwen3 at the repository root, wherever the command is run from */
export const EMBEDDED_MODEL_DIR = fileURLToPath(new URL('../../../../models/plexus-tiny-qwen3', import.meta.url));

/** a relative path is taken from the current directory, as users expect of a flag */
export function resolveModelPath(flag: string | undefined, fromEnv: string | undefined): string {
  const chosen = flag ?? fromEnv;
  return chosen ? resolve(chosen) : EMBEDDED_MODEL_DIR;
}

/** the id clients use when --served-model-name is not given: the directory's name */
export function defaultServedModelName(modelPath: string): string {
  return basename(resolve(modelPath)) || 'model';
}
