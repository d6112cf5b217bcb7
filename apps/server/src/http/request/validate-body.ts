/**
 * Validates a parsed JSON body against a valibot schema: the first issue becomes a 400 naming the field;
 * fields the schema does not know are accepted and logged (vLLM's behaviour), never an error.
 */
import * as v from 'valibot';
import { badRequest } from '../errors/api-error.ts';
import type { AppLogger } from '../types.ts';

type ObjectSchema = v.GenericSchema & { readonly entries: Record<string, unknown> };

export function validateBody<S extends ObjectSchema>(
  schema: S,
  body: unknown,
  logger: AppLogger,
  endpoint: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (!result.success) {
    const issue = result.issues[0];
    const param = v.getDotPath(issue) ?? null;
    throw badRequest(param ? `Invalid value for \`${param}\`: ${issue.message}` : issue.message, param);
  }
  const unknown = unknownFields(schema, body);
  if (unknown.length > 0) {
    logger.warn({ endpoint, fields: unknown }, 'request fields were present but are not known to this server; ignored');
  }
  return result.output;
}

function unknownFields(schema: ObjectSchema, body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  return Object.keys(body)
    .filter((k) => !Object.hasOwn(schema.entries, k))
    .slice(0, 32)
    .map((k) => k.slice(0, 64));
}
