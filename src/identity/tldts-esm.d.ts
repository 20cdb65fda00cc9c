/** tldts's ES module build has the package entry's types (see public-suffix.ts). */
declare module 'tldts/dist/index.esm.min.js' {
  export { parse } from 'tldts';
}
