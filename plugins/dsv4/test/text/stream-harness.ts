/** Drives a streaming parser over every way of cutting a text, for streaming == non-streaming checks. */

/** the text cut at one point, for every point (including the empty prefix and suffix) */
export function* twoPieceSplits(text: string): Generator<string[]> {
  for (let i = 0; i <= text.length; i++) yield [text.slice(0, i), text.slice(i)];
}

/** one character per piece, and pieces of a few fixed sizes */
export function* fineSplits(text: string): Generator<string[]> {
  yield [...text];
  for (const size of [2, 3, 5, 7]) {
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
    yield pieces;
  }
}
