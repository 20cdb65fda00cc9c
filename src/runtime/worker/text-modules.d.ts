/**
 * @module YAML files imported as text: wrangler's `[[rules]] type = "Text"` (wrangler.toml) and esbuild's
 * `loader: { '.yaml': 'text' }` (bundle-size.ts) both bundle the file's contents as a string.
 */
declare module '*.yaml' {
  const text: string;
  export default text;
}
