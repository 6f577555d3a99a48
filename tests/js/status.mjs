/*
 * Verify credentials and check their Bitstring Status List entries with the reference stack:
 * @digitalbazaar/vc + eddsa-rdfc-2022, with @digitalbazaar/vc-bitstring-status-list checkStatus
 * (which loads the status list credential through the same offline loader and verifies it).
 * Also encodes and decodes lists with the reference implementation, to check bit order and
 * encoding both ways. Every part is optional; one node start per batch.
 *
 * stdin:  {"credentials": [{...}, ...], "documents": {url: document},
 *          "encode": [{"length": n, "set": [index, ...]}, ...],
 *          "decode": [{"encodedList": "u…", "indices": [index, ...]}, ...]}
 * stdout: {"results": [{"verified": bool, "error": string|null,
 *                       "status": null | {"verified": bool, "error": string|null,
 *                                         "entries": [{"statusPurpose", "statusListIndex",
 *                                                      "status": bool}]}}],
 *          "encoded": ["u…", ...], "decoded": [{"length": n, "bits": [bool, ...]}, ...]}
 *
 * A revoked credential still verifies (verified: true): its revocation shows as
 * status.entries[i].status === true.
 */
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  checkStatus, createList, decodeList
} from '@digitalbazaar/vc-bitstring-status-list';
import {describeError, offlineLoader, readJsonStdin, writeJson} from './lib/harness.mjs';

const input = await readJsonStdin();
const documentLoader = offlineLoader(input.documents ?? {});
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function describeStatus(statusResult) {
  if(!statusResult) {
    return null;
  }
  return {
    verified: statusResult.verified,
    error: describeError(statusResult.error),
    entries: (statusResult.results ?? []).map(r => ({
      statusPurpose: r.credentialStatus?.statusPurpose ?? null,
      statusListIndex: r.credentialStatus?.statusListIndex ?? null,
      status: r.status
    }))
  };
}

async function verify(credential) {
  try {
    const result = await vc.verifyCredential({
      credential, suite, documentLoader, checkStatus
    });
    const error = result.verified ? null :
      describeError(result.error ?? result.statusResult?.error ??
        result.results?.find(r => !r.verified)?.error);
    return {verified: result.verified, error, status: describeStatus(result.statusResult)};
  } catch(error) {
    return {verified: false, error: describeError(error), status: null};
  }
}

const results = [];
for(const credential of input.credentials ?? []) {
  results.push(await verify(credential));
}

const encoded = [];
for(const {length, set} of input.encode ?? []) {
  const list = await createList({length});
  for(const index of set) {
    list.setStatus(index, true);
  }
  encoded.push(await list.encode());
}

const decoded = [];
for(const {encodedList, indices} of input.decode ?? []) {
  const list = await decodeList({encodedList});
  decoded.push({length: list.length, bits: indices.map(i => list.getStatus(i))});
}

writeJson({results, encoded, decoded});
