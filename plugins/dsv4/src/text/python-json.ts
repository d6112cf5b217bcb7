/**
 * JSON as Python's `json.dumps(value, ensure_ascii=False)` writes it (", " and ": " separators), because
 * DeepSeek's encoder embeds tool schemas and argument values that way and the model was trained on it.
 * Known gap: JavaScript cannot tell 2.0 from 2, and writes 1e-7 where Python writes 1e-07.
 */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v === undefined || typeof v === 'function' ? null : v)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
}
