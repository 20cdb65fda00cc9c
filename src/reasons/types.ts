/**
 * @module The shape of the reason-code catalog: one describer per code, keyed by the code without its `:<argument>`.
 */

/**
 * Words for one reason code. `arg` is the part after the first `:` (`consent.purpose_denied:ad_storage`
 * → `ad_storage`), already made safe to print, or `''`.
 */
export type Describe = (arg: string) => string;

/** Codes of one area (`privacy.*`, `ga4.*`, …) and their describers. */
export type ReasonTable = Readonly<Record<string, Describe>>;

/** A code prefix completed at run time (`ga4.http_` + `400`): the shape of the completion and its words. */
export interface CodePrefix {
  part: RegExp;
  describe: Describe;
}
