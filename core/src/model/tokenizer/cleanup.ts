/**
 * transformers' `clean_up_tokenization_spaces`: removes the space before punctuation and English
 * contractions (" ." → ".", " n't" → "n't", ...), applied after decoding when tokenizer_config asks for it.
 */
const REPLACEMENTS: ReadonlyArray<readonly [string, string]> = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"],
  [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

/** Every pattern starts with a space and is at most this long. */
const LONGEST_PATTERN = 4;
/** Characters of already-emitted text that stableCleanupCut needs as `before`. */
export const CLEANUP_CONTEXT_CHARS = LONGEST_PATTERN - 1;

export function cleanUpTokenizationSpaces(text: string): string {
  let out = text;
  for (const [from, to] of REPLACEMENTS) out = out.replaceAll(from, to);
  return out;
}

/**
 * For streaming: the largest c such that cleaning text[0, c) and text[c, ...) separately equals cleaning
 * the whole, whatever text is appended later. That holds when the LONGEST_PATTERN - 1 characters before
 * c contain no space: every pattern starts with a space, and cleaning only deletes spaces, so no match
 * can straddle c at any replacement step. `before` is the text that precedes `text` (already cleaned
 * and emitted), needed when `text` is short. Returns 0 when no such cut exists yet.
 */
export function stableCleanupCut(before: string, text: string): number {
  const all = before + text;
  const reach = CLEANUP_CONTEXT_CHARS;
  for (let c = all.length; c > before.length; c--) {
    let clear = true;
    for (let i = Math.max(0, c - reach); i < c; i++) {
      if (all.charCodeAt(i) === 0x20) { clear = false; break; }
    }
    if (clear) return c - before.length;
  }
  return 0;
}
