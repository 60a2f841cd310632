/**
 * Two connected in-memory stream.Duplex ends, for node:tls in-process without sockets: what one
 * end writes the other reads, on the next turn of the event loop (setImmediate), so a TLS
 * socket on one end never re-enters the other from inside its own write.
 *
 * With `delayMs` > 0 every chunk (and the end of the stream) arrives that many milliseconds
 * after it was written instead: a link with that one-way delay (round trip twice it) and no
 * bandwidth limit. Same-delay timers fire in the order they were set, so order is kept.
 */
import { Duplex } from 'node:stream';

/** Called just before bytes reach end `to` (0 or 1): lets a clock charge the receiving side. */
export type OnDeliver = (to: 0 | 1) => void;

export function duplexPair(onDeliver: OnDeliver = () => {}, delayMs = 0): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const later = (deliver: () => void) =>
    delayMs > 0 ? setTimeout(deliver, delayMs) : setImmediate(deliver);
  const make = (self: 0 | 1): Duplex => {
    const peer = (1 - self) as 0 | 1;
    return new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        later(() => {
          onDeliver(peer);
          ends[peer].push(chunk);
        });
        done();
      },
      final(done) {
        later(() => ends[peer].push(null));
        done();
      },
    });
  };
  ends.push(make(0), make(1));
  return [ends[0], ends[1]];
}
