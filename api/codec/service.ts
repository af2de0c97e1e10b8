// The codec server's work (ADR 0016): Temporal Web and the `temporal` CLI send the payloads they show
// through it, and get them back decrypted (or, for what a person types into Temporal Web, encrypted under
// the MSP's own key). It shows any organization's data, so only the role authz.ts names may use it, and
// each use is audited: who, how many payloads, which keys; never what they hold.
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { getDb } from '../../db/client.ts';
import { isEncrypted, KEY_ID_METADATA, PayloadDecryptionError } from '../../infra/secrets/payload-codec.ts';
import { temporalPayloadCodec } from '../../infra/temporal-codec.ts';
import { filedUnderActor, recordSuccess } from '../audit/record.ts';
import { authorize, authorizeScope, type ServiceContext } from '../authz.ts';
import { AppError, InvalidInputError } from '../errors.ts';
import { temporalNamespace } from '../temporal-client.ts';

/** Base64 as Temporal's JSON encoding of bytes writes it. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
/** The codec server protocol's body: `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`. */
export const CodecBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() })).max(10_000),
});
export type CodecBody = z.infer<typeof CodecBody>;

const fromJson = (p: CodecBody['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

let codec: ReturnType<typeof temporalPayloadCodec> | undefined;
const webCodec = () => (codec ??= temporalPayloadCodec({ db: getDb }));

type Direction = 'decode' | 'encode';

/** Decodes or encodes the body's payloads for the actor, answering the protocol's JSON. */
export async function runCodec(ctx: ServiceContext, direction: Direction, namespace: string | undefined, body: unknown): Promise<CodecBody> {
  // A decode shows data (the read scope); an encode makes what a run will believe came from us (operate).
  await authorizeScope(ctx, direction === 'decode' ? 'read' : 'operate', `POST /codec/${direction}`);
  await authorize(ctx, direction === 'decode' ? 'temporal.payloads.decode' : 'temporal.payloads.encode');
  // The temporal CLI sends the header empty: only a namespace named and not ours is refused.
  if (namespace && namespace !== temporalNamespace()) throw new InvalidInputError({ 'X-Namespace': `this codec server serves the namespace "${temporalNamespace()}" only` });
  const parsed = CodecBody.safeParse(body);
  if (!parsed.success) throw new InvalidInputError({ payloads: parsed.error.issues[0]?.message ?? 'not a list of payloads' });
  const payloads = parsed.data.payloads.map(fromJson);
  const keys = [...new Set(payloads.filter(isEncrypted).map((p) => Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString('utf8')))];
  let done: Payload[];
  try {
    done = direction === 'decode' ? await webCodec().decode(payloads) : await webCodec().encode(payloads);
  } catch (err) {
    if (err instanceof PayloadDecryptionError) throw new AppError(422, 'Unprocessable Content', `A payload cannot be decoded: ${err.message}.`);
    throw err;
  }
  // Temporal Web asks on every page: what holds no ciphertext showed nothing encrypted and is not recorded.
  if (direction === 'encode' || keys.length) {
    await recordSuccess(ctx.db, ctx.actor, `temporal.payloads.${direction}`, filedUnderActor(ctx.actor, 'temporal_namespace', temporalNamespace()), {
      payloads: payloads.length,
      ...(direction === 'decode' ? { encrypted: payloads.filter(isEncrypted).length, keys: keys.slice(0, 20) } : {}),
    });
  }
  return { payloads: done.map(toJson) };
}
