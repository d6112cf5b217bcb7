/** The prompt's token ids for each kind of `plexus generate` input. */
import { InvalidArgumentError, type TextTokenizer } from '@plexus/core';
import type { PromptInput } from './generate-options.ts';

export function promptIds(input: PromptInput, tokenizer: TextTokenizer): number[] {
  let ids: number[];
  switch (input.kind) {
    case 'input-ids':
      // fed exactly as given: no BOS, no template
      ids = input.ids;
      break;
    case 'prompt':
      ids = tokenizer.encode(input.text);
      break;
    case 'chat': {
      if (!tokenizer.hasChatTemplate) {
        throw new InvalidArgumentError('this model has no chat template (tokenizer_config.json chat_template or chat_template.jinja); use --prompt instead of --chat', 'chat');
      }
      const text = tokenizer.applyChatTemplate([{ role: 'user', content: input.text }], { addGenerationPrompt: true });
      // the template already wrote its special tokens (BOS included) as text
      ids = tokenizer.encode(text, { addSpecialTokens: false });
      break;
    }
  }
  if (ids.length === 0) throw new InvalidArgumentError(`the ${input.kind === 'input-ids' ? '--input-ids list' : `--${input.kind} text`} gives no tokens; pass a non-empty prompt`, input.kind);
  return ids;
}

/** every id must index the model's embedding table */
export function checkIdsInVocab(ids: readonly number[], vocabSize: number): void {
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw new InvalidArgumentError(`--input-ids contains ${bad}, outside the model's vocabulary [0, ${vocabSize})`, 'input-ids');
}
