/**
 * @module Live debug stream configuration (`debug`): session lifetime and the token signing secret.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

export const debugConfigSchema = z
  .object({
    /** Allow debug sessions (created through the admin API with scope `debug:read`). */
    enabled: z.boolean().default(true),
    /**
     * HMAC-SHA-256 key of debug tokens (at least 32 characters), e.g. `${TAGRELAY_DEBUG_SECRET}`. Unset: derived
     * from `admin.jwt.secret`, or a random key per process (tokens then hold only on the instance that minted them).
     */
    secret: z.string().min(32, 'expected at least 32 characters').optional(),
    /** Default lifetime of a session and its token (at most 8h). */
    session_ttl: duration.prefault('30m').refine((ms) => ms >= 1000 && ms <= 8 * 3_600_000, 'expected between 1s and 8h'),
    /** Sessions open at once. */
    max_sessions: z.number().int().min(1).max(1000).default(20),
    /** Messages a session keeps for a stream that (re)connects. */
    buffer: z.number().int().min(10).max(10_000).default(200),
  })
  .prefault({});

export type DebugConfig = z.infer<typeof debugConfigSchema>;
