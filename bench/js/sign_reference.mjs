/*
 * The bench's timed driver of the reference JavaScript issuer (@digitalbazaar/vc 7 +
 * DataIntegrityProof + eddsa-rdfc-2022), the same stack and calls as tests/js/issue.mjs, with a
 * warm-up before the timed loop, CPU time as well as wall time, and a verify pass.
 *
 * Run from tests/js (its node_modules) as an ES module given on the command line:
 *     cd tests/js && node --input-type=module --eval "$(cat ../../bench/js/sign_reference.mjs)"
 * stdin:  {"credential", "documents", "created", "key", "warmup", "repeat", "verify": bool}
 * stdout: {"credential": last signed, "sign": {...}, "verify": {...} | null}, each
 *         {"count", "seconds", "cpuSeconds", "perSecond", "cpuPerSecond", "failures"}
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
const warmup = input.warmup ?? 0;
const count = input.repeat ?? 1;

async function timed(n, step) {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let failures = 0;
  for(let i = 0; i < n; ++i) {
    failures += (await step()) ? 0 : 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {count: n, seconds, cpuSeconds, perSecond: n / seconds, cpuPerSecond: n / cpuSeconds,
          failures};
}

let signed;
// As tests/js/issue.mjs: jsonld-signatures adds the proof to the object it is given, so each
// iteration signs a fresh copy.
const issueOnce = async () => {
  const credential = structuredClone(input.credential);
  signed = await vc.issue({credential, suite, documentLoader});
  return true;
};
await timed(warmup, issueOnce);
const sign = await timed(count, issueOnce);

let verify = null;
if(input.verify) {
  const verifySuite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  // The proof only, as openedx_microcred.credentials.proof.verify checks it: the status list is
  // another document (a stub answers "not revoked"); validity dates are checked by vc anyway.
  const checkStatus = async () => ({verified: true});
  const verifyOnce = async () => {
    const result = await vc.verifyCredential({
      credential: signed, suite: verifySuite, documentLoader, checkStatus});
    return result.verified;
  };
  await timed(warmup, verifyOnce);
  verify = await timed(count, verifyOnce);
}
writeJson({credential: signed, sign, verify});
