/**
 * @module Privacy configuration: global hashing salt, retention, and per-destination minimization.
 */
import { z } from 'zod';

/** Per destination: what is minimized before mapping. */
export const destinationPrivacySchema = z
  .object({
    /** keep | truncate (IPv4 /24, IPv6 /48) | drop. Unset: the destination's default. */
    ip: z.enum(['keep', 'truncate', 'drop']).optional(),
  })
  .prefault({});

export type DestinationPrivacy = z.infer<typeof destinationPrivacySchema>;

export const privacyConfigSchema = z.object({}).prefault({});
export type PrivacyConfig = z.infer<typeof privacyConfigSchema>;
