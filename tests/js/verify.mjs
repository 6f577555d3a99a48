/*
 * Verify credentials with the reference stack: @digitalbazaar/vc + DataIntegrityProof +
 * eddsa-rdfc-2022, fully offline.
 *
 * stdin:  {"credential": {...}, "documents": {url: document}}
 *     or  {"credentials": [{...}, ...], "documents": {...}}      (one node start per batch)
 * stdout: {"verified": bool, "error": string|null}
 *     or  {"results": [{"verified": bool, "error": string|null}, ...]}
 */
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {describeError, offlineLoader, readJsonStdin, writeJson} from './lib/harness.mjs';

const input = await readJsonStdin();
const documentLoader = offlineLoader(input.documents ?? {});
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function verify(credential) {
  try {
    const result = await vc.verifyCredential({credential, suite, documentLoader});
    const error = result.verified ? null :
      describeError(result.error ?? result.results?.find(r => !r.verified)?.error);
    return {verified: result.verified, error};
  } catch(error) {
    return {verified: false, error: describeError(error)};
  }
}

if(Array.isArray(input.credentials)) {
  const results = [];
  for(const credential of input.credentials) {
    results.push(await verify(credential));
  }
  writeJson({results});
} else {
  writeJson(await verify(input.credential));
}
