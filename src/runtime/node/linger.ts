/**
 * @module Lingering close for Node sockets answered before their request body was read (413).
 */
import type { Socket } from 'node:net';

/** How long, and how much, a closing socket keeps reading what the client still sends. */
export interface LingerLimits {
  ms: number;
  bytes: number;
}

const DEFAULT_LIMITS: LingerLimits = { ms: 2_000, bytes: 64 * 2 ** 20 };

/**
 * Make the socket's close after the current response a lingering one: send FIN, then read and
 * discard what the client still streams (bounded in time and bytes) before destroying it. Closing a
 * socket with unread input makes the kernel answer RST, and the client's kernel then drops the
 * response it had not read yet: a client streaming an oversized body saw a reset instead of the 413
 * (RFC 9112 §9.6 asks servers to close in stages for this reason). Node's HTTP server closes a
 * `Connection: close` response with `socket.destroySoon()`; this replaces it on this socket only.
 *
 * @example
 * if (response.status === 413) lingerOnClose(incoming.socket)
 */
export function lingerOnClose(socket: Socket, limits: LingerLimits = DEFAULT_LIMITS): void {
  let lingering = false;
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    if (lingering) return;
    lingering = true;
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      this.off('data', onData);
      this.destroy();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.bytes) done();
    };
    const timer = setTimeout(done, limits.ms);
    timer.unref();
    this.on('data', onData);
    this.once('end', done);
    this.once('error', done);
    if (this.writable) this.end();
    this.resume();
  };
}
