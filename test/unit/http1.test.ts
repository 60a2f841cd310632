import { describe, expect, it } from 'vitest';
import { encodeRequest, readResponse } from '../../web/src/http1.ts';

/** The demo's HTTP/1.1 response reader (web/src/http1.ts), fed in awkward pieces. */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function streamOf(text: string, pieceSize = 3): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + pieceSize));
      at += pieceSize;
    },
  });
}

describe('http1', () => {
  it('encodes a request with Host, Connection: close and a body length', () => {
    const text = decoder.decode(
      encodeRequest({ path: '/x', host: 'h', method: 'POST', body: encoder.encode('ab') }),
    );
    expect(text).toBe(
      'POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab',
    );
  });

  it('reads a Content-Length body and ignores what follows', async () => {
    const res = await readResponse(
      streamOf('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhelloEXTRA'),
      1024,
    );
    expect(res.status).toBe(200);
    expect(res.headers['x-a']).toBe('1, 2');
    expect(decoder.decode(res.body)).toBe('hello');
  });

  it('reads a chunked body and a close-delimited one', async () => {
    const chunked = await readResponse(
      streamOf(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n',
      ),
      1024,
    );
    expect(decoder.decode(chunked.body)).toBe('abcde');
    const closed = await readResponse(streamOf('HTTP/1.0 404 Not Found\r\n\r\ngone'), 1024);
    expect(closed.status).toBe(404);
    expect(decoder.decode(closed.body)).toBe('gone');
  });

  it('refuses oversized, truncated and malformed responses', async () => {
    await expect(
      readResponse(streamOf(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(100)}`), 50),
    ).rejects.toThrow(/larger/);
    await expect(
      readResponse(streamOf('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'), 1024),
    ).rejects.toThrow(/ended inside the body/);
    await expect(readResponse(streamOf('SMTP 220\r\n\r\n'), 1024)).rejects.toThrow(/status line/);
  });
});
