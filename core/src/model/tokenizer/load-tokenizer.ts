/**
 * Loads a model directory's tokenizer: tokenizer.json (required), tokenizer_config.json (special
 * tokens, add_bos_token, chat_template...) and chat_template.jinja. Parsing the JSON and building the
 * vocabulary takes a fraction of a second for a 150k-token vocabulary: load once per model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointFormatError } from '../../errors.ts';
import type { TextTokenizer } from '../types.ts';
import { isJsonObject, readOptionalJsonFile } from '../json-file.ts';
import { ChatTemplates, parseChatTemplates } from './chat-template.ts';
import { HfTextTokenizer } from './hf-tokenizer.ts';
import { resolveSpecialTokens } from './special-tokens.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);

  const tokenizerJson = await readOptionalJsonFile(tokenizerPath);
  if (tokenizerJson === undefined) {
    throw new CheckpointFormatError(tokenizerPath, 'file not found; Plexus needs the fast-tokenizer file tokenizer.json (write one with transformers: AutoTokenizer.from_pretrained(...).save_pretrained(dir))');
  }
  if (!isJsonObject(tokenizerJson) || !isJsonObject(tokenizerJson['model'])) {
    throw new CheckpointFormatError(tokenizerPath, 'must be a JSON object with a "model" (a Hugging Face tokenizers file)');
  }
  const config = (await readOptionalJsonFile(configPath)) ?? {};
  if (!isJsonObject(config)) throw new CheckpointFormatError(configPath, 'must be a JSON object');

  const addedTokens = tokenizerJson['added_tokens'] ?? [];
  if (!Array.isArray(addedTokens) || !addedTokens.every((t) => isJsonObject(t) && Number.isSafeInteger(t['id']) && typeof t['content'] === 'string')) {
    throw new CheckpointFormatError(tokenizerPath, '"added_tokens" must be a list of {id, content, ...}');
  }

  let lib: Tokenizer;
  try {
    lib = new Tokenizer({ ...tokenizerJson, added_tokens: addedTokens }, config);
  } catch (e) {
    throw new CheckpointFormatError(tokenizerPath, `cannot build the tokenizer (${(e as Error).message})`, undefined, { cause: e });
  }

  const { special, texts } = resolveSpecialTokens(configPath, config, addedTokens as { id: number; content: string; special?: boolean }[], (t) => lib.token_to_id(t));
  const addBos = optionalBoolean(configPath, config, 'add_bos_token');
  const addEos = optionalBoolean(configPath, config, 'add_eos_token');
  if (addBos && !special.bos) throw new CheckpointFormatError(configPath, 'add_bos_token is true but no bos_token is set');
  if (addEos && !special.eos) throw new CheckpointFormatError(configPath, 'add_eos_token is true but no eos_token is set');

  const templateFile = await readOptionalText(join(dir, CHAT_TEMPLATE_FILE));
  const templates = new ChatTemplates(dir, parseChatTemplates(configPath, config['chat_template'], templateFile));

  return new HfTextTokenizer(lib, {
    special,
    specialTexts: texts,
    templates,
    cleanUpSpaces: config['clean_up_tokenization_spaces'] === true,
    ...(addBos !== undefined ? { addBos } : {}),
    ...(addEos !== undefined ? { addEos } : {}),
  });
}

function optionalBoolean(path: string, config: Record<string, unknown>, key: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CheckpointFormatError(path, `"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointFormatError(path, `cannot read (${(e as Error).message})`, undefined, { cause: e });
  }
}
