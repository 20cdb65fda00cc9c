/**
 * @module The typed registry of destination kinds: a missing kind is a compile error.
 */
import { z } from 'zod';
import { sqlite, sqliteConfigSchema } from './sqlite.js';
import type { Destination } from './types.js';

/** Every destination kind tagrelay ships. */
export type DestinationKind = 'sqlite';

export const destinations: Record<DestinationKind, Destination<any, any>> = {
  sqlite,
};

/** One destination entry in config, discriminated by `type`. */
export const destinationConfigSchema = z.discriminatedUnion('type', [sqliteConfigSchema]);
export type DestinationConfig = z.infer<typeof destinationConfigSchema>;
