/**
 * Finds stop strings in streamed text. Text that could still become a stop string is held back
 * (never shown, then retracted), so a stop split across tokens is matched and trimmed cleanly.
 */
export interface StopScan {
  /** text that is safe to emit now */
  text: string;
  /** the stop string that matched; `text` then ends right before it */
  matched?: string;
}

export class StopStringMatcher {
  private readonly stops: string[];
  private held = '';

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(text: string): StopScan {
    const buffer = this.held + text;
    if (this.stops.length === 0) return { text: buffer };
    let at = -1;
    let matched: string | undefined;
    for (const stop of this.stops) {
      const i = buffer.indexOf(stop);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        matched = stop;
      }
    }
    if (matched !== undefined) {
      this.held = '';
      return { text: buffer.slice(0, at), matched };
    }
    const keep = this.holdBack(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep) };
  }

  /** end of generation: nothing can complete a stop any more */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** length of the longest suffix of `buffer` that is a proper prefix of some stop string */
  private holdBack(buffer: string): number {
    let keep = 0;
    for (const stop of this.stops) {
      for (let k = Math.min(stop.length - 1, buffer.length); k > keep; k--) {
        if (buffer.endsWith(stop.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    return keep;
  }
}
