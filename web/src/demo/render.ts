/**
 * Draws one connection's result. Everything shown is set as text (`textContent`), never as
 * HTML, so names from certificates and bytes from the server cannot inject markup.
 */
import type { TlsEvent } from '../../../src/web/index.ts';
import type { DemoResult } from './connect-once.ts';

/** Creates an element with optional class and text. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A definition list of `[term, value]` pairs; `data-fact` names each value for tests. */
function facts(rows: [string, string][]): HTMLDListElement {
  const list = el('dl', 'facts');
  for (const [term, value] of rows) {
    list.append(el('dt', undefined, term));
    const dd = el('dd', undefined, value);
    dd.dataset.fact = term;
    list.append(dd);
  }
  return list;
}

/**
 * The timeline: one row per event, with its time and a bar placed on a common time axis from
 * the connection's start to its last event.
 */
function timeline(events: readonly TlsEvent[]): HTMLElement {
  const section = el('section', 'timeline');
  section.append(el('h3', undefined, 'Handshake timeline'));
  const end = Math.max(1, ...events.map((e) => e.at));
  const list = el('ol', 'events');
  for (const event of events) {
    const row = el('li', `event ${event.type}`);
    const name = messageName(event.name);
    row.dataset.event = name;
    const bytes = typeof event.detail?.bytes === 'number' ? ` (${event.detail.bytes} B)` : '';
    row.append(
      el('span', 'at', `${event.at.toFixed(1)} ms`),
      el('span', 'dir', arrow(event.type)),
      el('span', 'name', name + bytes),
    );
    const track = el('span', 'track');
    const bar = el('span', 'bar');
    bar.style.left = `${(100 * event.at) / end}%`;
    track.append(bar);
    row.append(track);
    list.append(row);
  }
  section.append(list);
  return section;
}

/**
 * Handshake messages in the RFC's prose form: received ones are reported by their wire names
 * (`server_hello`), which become `ServerHello`; other event names stay as they are.
 */
function messageName(name: string): string {
  if (!/^[a-z]+(_[a-z]+)*$/.test(name)) return name;
  return name
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

function arrow(type: TlsEvent['type']): string {
  switch (type) {
    case 'send':
      return 'client →';
    case 'receive':
      return '← server';
    case 'alert':
      return 'alert';
    default:
      return '·';
  }
}

/** The certificate chain as sent, leaf first. */
function chain(result: DemoResult): HTMLElement {
  const section = el('section', 'chain');
  const from = result.info?.resumed ? ', from the session being resumed' : '';
  section.append(el('h3', undefined, `Certificate chain (${result.certificates.length}${from})`));
  const list = el('ol', 'certs');
  for (const cert of result.certificates) {
    const item = el('li', 'cert');
    item.append(
      facts([
        ['Subject', cert.subject.text],
        ['Issuer', cert.issuer.text],
        ['Valid', `${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`],
        ['Key', `${cert.publicKeyAlgorithm} ${cert.publicKeyCurve ?? cert.publicKeyBits ?? ''}`],
        ['SHA-256', cert.fingerprintSha256],
      ]),
    );
    list.append(item);
  }
  section.append(list);
  return section;
}

/** The response's status line and body, as text. */
function response(result: DemoResult): HTMLElement {
  const section = el('section', 'response');
  section.append(el('h3', undefined, 'HTTP/1.1 response'));
  const res = result.response;
  if (!res) {
    section.append(el('p', undefined, 'none'));
    return section;
  }
  const status = el('p', 'status', `${res.status} ${res.statusText}`);
  status.dataset.fact = 'Status';
  const body = el('pre', 'body', new TextDecoder().decode(res.body));
  body.dataset.fact = 'Body';
  section.append(status, body);
  return section;
}

/** Renders `result` as the `n`th connection of this page. */
export function renderResult(n: number, result: DemoResult): HTMLElement {
  const article = el('article', 'connection');
  article.dataset.connection = String(n);
  const title = result.info?.resumed ? 'resumed' : 'full handshake';
  article.append(
    el('h2', undefined, `Connection ${n}: ${result.error ? 'failed' : title}`),
    el('p', 'elapsed', elapsed(result)),
  );
  if (result.error) {
    const error = el('p', 'error', result.error);
    error.dataset.fact = 'Error';
    article.append(error);
  }
  const info = result.info;
  if (info) {
    article.append(
      facts([
        ['Protocol', info.protocol ?? 'unknown'],
        ['Cipher suite', info.cipherSuite ?? 'unknown'],
        ['Group', info.group ?? (info.resumed ? 'none (PSK only)' : 'unknown')],
        ['ALPN', info.alpn ?? 'none'],
        ['HelloRetryRequest', info.helloRetry ? 'yes' : 'no'],
        ['Resumed', info.resumed ? 'yes' : 'no'],
        ['0-RTT', earlyData(result)],
        ['ECH', info.ech],
        ['Cert compression', info.certCompression],
        ['Verification', info.verification],
      ]),
    );
  }
  article.append(timeline(result.events), chain(result), response(result));
  return article;
}

function elapsed(result: DemoResult): string {
  const total = `${result.elapsedMs.toFixed(0)} ms from click to response`;
  if (result.relayOpenMs === undefined) return total;
  return `${total} (the WebSocket to the relay opened in ${result.relayOpenMs.toFixed(0)} ms)`;
}

function earlyData(result: DemoResult): string {
  const state = result.info?.earlyData ?? 'not sent';
  if (state === 'accepted') return `accepted (${result.info?.earlyDataBytes ?? 0} B: GET /)`;
  if (state === 'rejected') return 'rejected (GET / sent again after the handshake)';
  return state;
}
