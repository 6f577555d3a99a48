/*
 * Issue (sign) a credential with the reference stack, repeatedly, to compare proofs and speed.
 *
 * stdin:  {"credential": {...}, "documents": {url: document}, "created": "2024-…Z",
 *          "key": {"id": vm id, "controller": DID, "publicKeyMultibase": "z6Mk…",
 *                  "secretKeyMultibase": "z3u2…"},
 *          "repeat": n (default 1)}
 * stdout: {"credential": signed credential, "count": n, "seconds": s, "perSecond": n / s}
 */
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {offlineLoader, readJsonStdin, writeJson} from './lib/harness.mjs';

const input = await readJsonStdin();
const documentLoader = offlineLoader(input.documents ?? {});
const keyPair = await Ed25519Multikey.from({type: 'Multikey', ...input.key});
const suite = new DataIntegrityProof({
  signer: keyPair.signer(), date: input.created, cryptosuite: eddsaRdfc2022
});
const count = input.repeat ?? 1;

let signed;
const started = process.hrtime.bigint();
for(let i = 0; i < count; ++i) {
  // jsonld-signatures adds the proof to the object it is given: sign a fresh copy each time.
  const credential = structuredClone(input.credential);
  signed = await vc.issue({credential, suite, documentLoader});
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
writeJson({credential: signed, count, seconds, perSecond: count / seconds});
