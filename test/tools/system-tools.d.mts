/** The Chromium that test/browser drives through playwright-core (Debian package `chromium`). */
export declare const CHROMIUM: string;
/** Where initdb/pg_ctl live; `dir` is undefined when none of the places tried holds both. */
export declare function findPostgresBinDir(): { dir: string | undefined; tried: string[] };
/** The ClickHouse server binary; `path` is undefined when none of the places tried has it. */
export declare function findClickHouseServer(): { path: string | undefined; tried: string[] };
