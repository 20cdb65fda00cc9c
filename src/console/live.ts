/**
 * @module What the Live view needs from the debug stream backend (src/debug/): open and close a session,
 * and stream its messages as Server-Sent Events. The message shape is the backend's (src/debug/types.ts).
 */
import type { Context } from 'hono';

/** A debug session as the console shows it. */
export interface LiveSession {
  id: string;
  /** The signed debug token, and the path that sets it as a cookie in the browser that opens it. */
  token: string;
  link: string;
  expires_at: string;
}

/** The debug stream backend, seen from the console. */
export interface LiveBackend {
  open(label: string | undefined): Promise<LiveSession>;
  close(id: string): boolean;
  /** `text/event-stream` of the session's messages (404 when there is no such session). */
  stream(c: Context, id: string): Response | Promise<Response>;
}
