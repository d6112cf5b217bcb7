/** The text of a single token for logprob listings (special tokens shown, as vLLM does). */
import type { TextTokenizer } from '@plexus/core';

export const tokenText = (tokenizer: TextTokenizer, id: number): string => tokenizer.decode([id], { skipSpecialTokens: false });

export const utf8Bytes = (text: string): number[] => Array.from(Buffer.from(text, 'utf8'));
