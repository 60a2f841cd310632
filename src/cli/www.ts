/** The `-www` mode of s_server: one HTTP/1.0 request, one page describing the connection. */
import type { ConnectionInfo } from '../conn/types.ts';
import { fromUtf8, utf8 } from '../util/bytes.ts';
import { summaryLines } from './summary.ts';

/** The most a request head may take before we answer anyway. */
const MAX_REQUEST_HEAD = 16 * 1024;

/**
 * Reads from `readable` until the end of an HTTP request head (a blank line), the end of the
 * stream, or 16 KiB. Returns the text read; leaves the stream locked to nobody.
 */
export async function readHttpRequest(readable: ReadableStream<Uint8Array>): Promise<string> {
  const reader = readable.getReader();
  let text = '';
  try {
    while (text.length < MAX_REQUEST_HEAD && !/\r?\n\r?\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += fromUtf8(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

/** The response to `request`: the connection page for a GET, 400 for anything else. */
export function wwwResponse(request: string, info: ConnectionInfo): Uint8Array {
  if (!/^GET /.test(request)) {
    const body = 'webtls s_server -www answers GET requests only\n';
    return utf8(`HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n${body}`);
  }
  const lines = summaryLines(info).map(escapeHtml).join('\n');
  const requestLine = escapeHtml(request.split(/\r?\n/, 1)[0]);
  const page = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>webtls s_server</title></head><body>',
    '<h1>webtls s_server</h1>',
    `<p>Request: <code>${requestLine}</code></p>`,
    `<pre>\n${lines}\n</pre>`,
    '</body></html>',
    '',
  ].join('\n');
  return utf8(`HTTP/1.0 200 ok\r\nContent-Type: text/html\r\n\r\n${page}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
