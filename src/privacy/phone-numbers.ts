/**
 * @module libphonenumber-js, the part tagrelay uses. normalize.ts loads this module with `import()` on the
 * first phone number, so start-up does not load the library and its metadata; the name is listed here
 * so that bundlers (the Worker build) keep only this part, as they did for a static import.
 */
export { parsePhoneNumberFromString } from 'libphonenumber-js';
