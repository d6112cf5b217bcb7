/**
 * A streaming parser must not emit a marker's first characters before it knows whether the marker follows:
 * this is how many trailing characters of `text` could still grow into one of `markers`.
 */
export function partialMarkerLength(text: string, markers: readonly string[]): number {
  let longest = 0;
  for (const marker of markers) {
    for (let len = Math.min(marker.length - 1, text.length); len > longest; len--) {
      if (text.endsWith(marker.slice(0, len))) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}
