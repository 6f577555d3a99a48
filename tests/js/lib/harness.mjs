/*
 * Shared pieces of the reference scripts: stdin JSON, an offline document loader and error text.
 *
 * The loader serves only the documents the caller passes in (the Python package's bundled
 * contexts, DID documents built by the test): nothing is read from disk or the network, so the
 * reference verifies exactly what an offline verifier given the published contexts would.
 */

export async function readJsonStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function writeJson(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/**
 * A jsonld.js document loader over `documents` ({url: document}). A URL with a fragment that is
 * not itself a key resolves, as DID resolvers do, to the node with that id in the document at
 * the URL without the fragment (a verification method inside a DID document).
 */
export function offlineLoader(documents) {
  return async url => {
    const document = Object.hasOwn(documents, url) ? documents[url] : fragmentNode(documents, url);
    if(document === undefined) {
      throw new Error(`refusing to load "${url}": not among the supplied documents (offline)`);
    }
    // "static" lets jsonld.js cache the processed context across operations, as the
    // production loaders of the @digitalbazaar stack do.
    return {contextUrl: null, documentUrl: url, document: structuredClone(document), tag: 'static'};
  };
}

function fragmentNode(documents, url) {
  const base = url.split('#', 1)[0];
  if(base === url || !Object.hasOwn(documents, base)) {
    return undefined;
  }
  const container = documents[base];
  const methods = [].concat(container.verificationMethod ?? []);
  const node = methods.find(m => m.id === url || base + m.id === url);
  return node && {'@context': container['@context'], ...node};
}

/** A one-line description of a (possibly aggregate) verification error. */
export function describeError(error) {
  if(!error) {
    return null;
  }
  const nested = [].concat(error.errors ?? []);
  const messages = nested.length ? nested.map(describeError) : [error.message ?? String(error)];
  const details = error.details?.event?.message;
  return details ? `${messages.join('; ')} (${details})` : messages.join('; ');
}
