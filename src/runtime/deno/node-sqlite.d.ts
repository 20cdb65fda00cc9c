/**
 * @module The slice of `node:sqlite` tagrelay uses on Deno (@types/node 20 predates the module).
 * https://docs.deno.com/api/node/sqlite/
 */
declare module 'node:sqlite' {
  type Binding = string | number | bigint | null | Uint8Array;
  export class StatementSync {
    run(...params: Binding[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    all(...params: Binding[]): unknown[];
    get(...params: Binding[]): unknown;
  }
  export class DatabaseSync {
    constructor(path: string, options?: { open?: boolean; readOnly?: boolean });
    readonly isOpen: boolean;
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
