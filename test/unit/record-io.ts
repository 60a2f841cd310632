/** Test helpers over the record layer's write-through calls. */
import type { InboundRecord, RecordLayer } from '../../src/record/layer.ts';

/** Queues `data` as records of `type` and seals them into a fresh buffer. */
export async function sealAll(
  layer: RecordLayer,
  type: number,
  data: Uint8Array,
): Promise<Uint8Array> {
  layer.queue(type, data);
  const out = new Uint8Array(layer.pendingLength);
  const written = await layer.encode(out);
  return out.subarray(0, written);
}

/** Every record in `bytes` (a copy is read), opened; each content copied out. */
export async function openAll(layer: RecordLayer, bytes: Uint8Array): Promise<InboundRecord[]> {
  const out: InboundRecord[] = [];
  layer.beginInput(bytes.slice());
  try {
    for (let r = await layer.next(); r; r = await layer.next()) {
      out.push({ ...r, content: r.content.slice() });
    }
  } finally {
    await layer.endInput();
  }
  return out;
}
