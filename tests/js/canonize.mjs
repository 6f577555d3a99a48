/*
 * Canonical N-Quads (URDNA2015 / RDFC-1.0) from jsonld.js + rdf-canonize, offline, with the
 * options the eddsa-rdfc-2022 cryptosuite uses (safe mode, i18n-datatype directions).
 *
 * stdin:  {"document": {...}, "documents": {url: document}}   stdout: the N-Quads
 *     or  {"batch": [{...}, ...], "documents": {...}}
 *         stdout: {"results": ["<N-Quads>" | {"error": string}, ...]}
 */
import jsonld from 'jsonld';
import {describeError, offlineLoader, readJsonStdin, writeJson} from './lib/harness.mjs';

const input = await readJsonStdin();
const documentLoader = offlineLoader(input.documents ?? {});

function canonize(document) {
  return jsonld.canonize(document, {
    algorithm: 'URDNA2015',
    format: 'application/n-quads',
    documentLoader,
    safe: true,
    base: null,
    rdfDirection: 'i18n-datatype'
  });
}

if(Array.isArray(input.batch)) {
  const results = [];
  for(const document of input.batch) {
    try {
      results.push(await canonize(document));
    } catch(error) {
      results.push({error: describeError(error)});
    }
  }
  writeJson({results});
} else {
  process.stdout.write(await canonize(input.document));
}
