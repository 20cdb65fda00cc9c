/**
 * @module The slice of `bun:sqlite` tagrelay uses (bun-types is not installed; Bun ships the module).
 * https://bun.sh/docs/api/sqlite
 */
declare module 'bun:sqlite' {
  type Binding = string | number | bigint | boolean | null | Uint8Array;
  export class Statement {
    run(...params: Binding[]): { changes: number; lastInsertRowid: number | bigint };
    all(...params: Binding[]): unknown[];
    get(...params: Binding[]): unknown;
  }
  export class Database {
    constructor(file: string, options?: { create?: boolean; readonly?: boolean; strict?: boolean });
    exec(sql: string): void;
    prepare(sql: string): Statement;
    transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
    close(): void;
  }
}
