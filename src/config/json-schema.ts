/**
 * @module config/schema.json, generated from the zod schema (for editor completion), never written by hand.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the config file as written (input side: defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'tagrelay configuration',
  };
}
