#!/usr/bin/env node
// Independent fuzzer of an HTTP API, driven only by its OpenAPI 3.1 document (it knows no route of its own).
//
//   node tools/api-fuzz/fuzz.mjs --base http://127.0.0.1:PORT --key-file PATH [--cases N] [--seed S]
//        [--document PATH_OR_URL] [--concurrency C] [--timeout-ms T] [--no-coverage-check] [--verbose]
//
// For every operation in the document it sends valid requests (path and query parameters and JSON bodies made from
// the schemas by json-schema-faker) and invalid ones (fast-check's hostile values of the wrong type, missing required
// properties, extra properties, huge strings, control characters, lone surrogates, bytes that are not UTF-8, malformed
// JSON, wrong content types, a body over the limit, no or a wrong bearer key, methods and paths the document does not
// have), and checks each answer against the document with Ajv (JSON Schema 2020-12):
//   - no 5xx, ever;
//   - the status is declared for the operation (undeclared methods must answer 405, unknown paths 404);
//   - the content type is one the document declares for that status;
//   - a problem+json body validates against its schema and its `code` is one of the response's `x-problem-codes`;
//   - a 2xx JSON body validates against the declared response schema.
// Values the API returned (ids from 2xx answers) are reused by parameter and property name, so operations on existing
// resources are reached too. Prints `api fuzz (independent): N cases, F failures` and each failure; exits 1 on any.
// The key is read from a file, sent only as `Authorization: Bearer`, and never printed.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { generateSync } from 'json-schema-faker';

// ---------------------------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
  if (message) console.error(`fuzz.mjs: ${message}`);
  console.error('usage: node fuzz.mjs --base URL --key-file PATH [--cases N] [--seed S] [--document PATH_OR_URL] ' +
    '[--concurrency C] [--timeout-ms T] [--max-failures F] [--max-seconds S] [--no-coverage-check] [--strict-http] [--verbose]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { strictHttp: false, maxFailures: 100, maxSeconds: 600, cases: 500, seed: 1, concurrency: 8, timeoutMs: 10000, coverage: true, verbose: false, document: '/admin/v1/openapi.json' };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${name} needs a value`));
    const integer = (min) => {
      const text = value();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < min) usage(`${name} must be an integer >= ${min} (was ${text})`);
      return n;
    };
    switch (name) {
      case '--base': args.base = value(); break;
      case '--key-file': args.keyFile = value(); break;
      case '--cases': args.cases = integer(1); break;
      case '--seed': args.seed = integer(0); break;
      case '--document': args.document = value(); break;
      case '--concurrency': args.concurrency = integer(1); break;
      case '--timeout-ms': args.timeoutMs = integer(100); break;
      case '--max-failures': args.maxFailures = integer(1); break;
      case '--max-seconds': args.maxSeconds = integer(1); break;
      case '--no-coverage-check': args.coverage = false; break;
      case '--strict-http': args.strictHttp = true; break;
      case '--verbose': args.verbose = true; break;
      default: usage(`unknown argument ${name}`);
    }
  }
  if (!args.base) usage('--base is required');
  if (!args.keyFile) usage('--key-file is required');
  let base;
  try {
    base = new URL(args.base);
  } catch {
    usage(`--base is not a URL (${args.base})`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') usage('--base must be http:// or https://');
  args.base = base;
  return args;
}

const args = parseArgs(process.argv.slice(2));
let adminKey;
try {
  adminKey = fs.readFileSync(args.keyFile, 'utf8').trim();
} catch (error) {
  usage(`cannot read --key-file (${error.code ?? error.message})`);
}
if (adminKey.length === 0) usage('--key-file is empty');

/** Whatever is printed passes through here: the key never reaches the output, even if an answer echoed it. */
function redact(text) {
  return String(text).split(adminKey).join('<admin key>');
}

function log(line) {
  process.stdout.write(`${redact(line)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

const agentOptions = { keepAlive: true, maxSockets: args.concurrency };
const agent = args.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
const transport = args.base.protocol === 'https:' ? https : http;
const basePath = args.base.pathname.replace(/\/+$/, '');

let retried = 0;

/**
 * Sends one request; the path is sent as given (already percent-encoded). Resolves {status, headers, body} or {error}.
 * A connection that breaks before the answer is tried again, up to four times in all: a kept-alive connection the
 * server closes as it is reused is a known race (a connection is closed after an answer that left a body unread), and
 * a request that breaks every connection still fails. A timeout is not retried.
 */
async function send(request) {
  for (let attempt = 0; ; attempt++) {
    const answer = await sendOnce(request);
    if (!answer.error || answer.timedOut || attempt === 3) return answer;
    retried++;
  }
}

function sendOnce({ method, path, headers = {}, body }) {
  return new Promise((resolve) => {
    const request = transport.request({
      protocol: args.base.protocol,
      hostname: args.base.hostname,
      port: args.base.port,
      method,
      path: basePath + path,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      agent,
      timeout: args.timeoutMs,
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error) => resolve({ error: `answer broke off (${error.code ?? error.message})` }));
    });
    let timedOut = false;
    request.on('timeout', () => {
      timedOut = true;
      request.destroy(new Error(`no answer within ${args.timeoutMs} ms`));
    });
    request.on('error', (error) => resolve({ error: error.code ? `${error.code}: ${error.message}` : error.message, timedOut }));
    if (body !== undefined) request.write(body);
    request.end();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The document

async function loadDocument() {
  let text;
  const isUrl = /^https?:\/\//i.test(args.document);
  if (!isUrl && fs.existsSync(args.document)) {
    text = fs.readFileSync(args.document, 'utf8');
  } else {
    // A URL, or a path on the --base server (the default: /admin/v1/openapi.json).
    const url = isUrl ? new URL(args.document) : new URL(basePath + args.document, args.base);
    if (url.origin !== args.base.origin) usage('--document must be a file or on the --base server');
    const answer = await send({ method: 'GET', path: url.pathname.slice(basePath.length) + url.search, headers: { accept: 'application/json' } });
    if (answer.error) throw new Error(`GET ${url.pathname}: ${answer.error}`);
    if (answer.status !== 200) throw new Error(`GET ${url.pathname} answered ${answer.status}`);
    text = answer.body.toString('utf8');
  }
  const document = JSON.parse(text);
  if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.1')) {
    throw new Error(`the document is not OpenAPI 3.1 (openapi: ${JSON.stringify(document.openapi)})`);
  }
  return document;
}

const document = await loadDocument();
const DOCUMENT_ID = 'openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const PROBE_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'];

function resolvePointer(ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported (${ref})`);
  return ref.slice(2).split('/').reduce((node, part) => {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === undefined || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
    return node[key];
  }, document);
}

/** Follows $refs of parameter, request-body and response objects (schemas keep theirs: Ajv and the faker resolve those). */
function deref(node) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) throw new Error(`$ref cycle at ${node.$ref}`);
    seen.add(node.$ref);
    node = resolvePointer(node.$ref);
  }
  return node;
}

// Ajv with the whole document registered, so a schema's "#/components/..." refs resolve in it (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1). Formats it does not know (none today) are accepted unchecked and listed once.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, logger: false });
addFormats(ajv);
const uncheckedFormats = new Set();
(function registerUnknownFormats(node) {
  if (Array.isArray(node)) {
    node.forEach(registerUnknownFormats);
  } else if (node && typeof node === 'object') {
    if (typeof node.format === 'string' && !ajv.formats[node.format]) {
      ajv.addFormat(node.format, true);
      uncheckedFormats.add(node.format);
    }
    Object.values(node).forEach(registerUnknownFormats);
  }
})(document);
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

/** A schema taken out of the document, its local refs pointed at the registered document. */
function localize(schema) {
  if (Array.isArray(schema)) return schema.map(localize);
  if (!schema || typeof schema !== 'object') return schema;
  const copy = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? DOCUMENT_ID + value : localize(value);
  }
  return copy;
}

const validators = new Map();
function validatorFor(schema) {
  if (schema === undefined || schema === true) return () => true;
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(typeof schema === 'object' ? localize(schema) : schema);
    validators.set(schema, validate);
  }
  return validate;
}

function schemaErrors(validate) {
  return (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ');
}

const securitySchemes = document.components?.securitySchemes ?? {};

/** Whether an operation needs the bearer key: its security requirements (or the document's) name an http bearer scheme. */
function needsBearer(operation) {
  const requirements = operation.security ?? document.security ?? [];
  return requirements.some((requirement) => Object.keys(requirement).some((name) => {
    const scheme = deref(securitySchemes[name]);
    return scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer';
  }));
}

const operations = [];
for (const [template, rawItem] of Object.entries(document.paths ?? {})) {
  const item = deref(rawItem);
  const declaredMethods = HTTP_METHODS.filter((m) => item[m]);
  for (const method of declaredMethods) {
    const operation = item[method];
    const parameters = new Map();
    for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])].map(deref)) {
      parameters.set(`${parameter.in}:${parameter.name}`, parameter);
    }
    const requestBody = deref(operation.requestBody);
    const responses = Object.fromEntries(Object.entries(operation.responses ?? {}).map(([status, response]) => [status, deref(response)]));
    operations.push({
      name: `${method.toUpperCase()} ${template}`,
      template,
      method: method.toUpperCase(),
      parameters: [...parameters.values()],
      requestBody,
      jsonBodySchema: requestBody?.content?.['application/json']?.schema,
      responses,
      bearer: needsBearer(operation),
      otherMethods: PROBE_METHODS.filter((m) => !declaredMethods.includes(m.toLowerCase())),
    });
  }
}
if (operations.length === 0) throw new Error('the document has no operations');

/** Whether a path (percent-encoded, no query) is one of the document's paths, each {parameter} one segment. */
const pathMatchers = Object.keys(document.paths).map((template) => {
  const pattern = new RegExp('^' + template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+') + '$', 'i');
  return (path) => pattern.test(path);
});

// ---------------------------------------------------------------------------------------------------------------
// Values

/** mulberry32: a small seeded generator, so a case is the same for the same --seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rng, items) {
  return items[Math.floor(rng() * items.length)];
}

function seedFrom(rng) {
  return Math.floor(rng() * 2147483647);
}

/** A value valid for the schema, by json-schema-faker (refs resolve within the document). */
function fake(schema, rng, options = {}) {
  if (schema === undefined) return undefined;
  return generateSync({ ...schema, components: document.components }, { seed: seedFrom(rng), optionalsProbability: 0.7, maxDefaultItems: 4, ...options });
}

function sample(arbitrary, rng) {
  return fc.sample(arbitrary, { seed: seedFrom(rng), numRuns: 1 })[0];
}

// Hostile values, by fast-check.
const controlCharacters = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 });
const loneSurrogates = fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 }).map((units) => String.fromCharCode(...units));
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  controlCharacters,
  loneSurrogates,
  fc.constantFrom(' ', '\u00a0', '\u200b', '\ufeff', '\u202e', 'null', 'undefined', '0', '-1', '%00', '../', '<script>', "' OR 1=1 --", '{}', '\\'),
  fc.integer({ min: 65, max: 5000 }).map((n) => 'a'.repeat(n)),
);
const anyJson = fc.oneof(
  fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), hostileString,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 63), 1e308, -0, 0.5),
);

/** A JSON value the schema rejects (Ajv says so); undefined if none was found in a few tries. */
function invalidFor(schema, rng) {
  const validate = validatorFor(schema);
  for (let i = 0; i < 25; i++) {
    const candidate = sample(anyJson, rng);
    if (!validate(candidate)) return candidate;
  }
  return undefined;
}

// What the API said exists, learnt from 2xx exchanges: each record joins the request's parameters and body fields
// with the answer's fields (one record per element of an array in the answer). A case takes its values from one record
// where it can, so operations on existing resources are reached with values that belong together; a value is used only
// where the parameter's or property's schema accepts it.
const records = [];
const byName = new Map();

function scalars(node) {
  const out = {};
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    for (const [name, value] of Object.entries(node)) {
      // Secrets an answer holds are not kept: they are never sent back, so never in a printed request either.
      if (/secret|password|key/i.test(name)) continue;
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) out[name] = value;
    }
  }
  return out;
}

function addRecord(record) {
  if (Object.keys(record).length === 0) return;
  records.push(record);
  if (records.length > 1000) records.shift();
  for (const [name, value] of Object.entries(record)) {
    let values = byName.get(name);
    if (!values) byName.set(name, (values = []));
    if (!values.includes(value)) {
      values.push(value);
      if (values.length > 100) values.shift();
    }
  }
}

/** Forgets every record that holds all these identifiers (the path parameters of a request that found nothing). */
function forget(identifiers) {
  const pairs = Object.entries(identifiers);
  if (pairs.length === 0) return;
  for (let i = records.length - 1; i >= 0; i--) {
    if (pairs.every(([name, value]) => records[i][name] === value)) records.splice(i, 1);
  }
}

function learn(testCase, json) {
  const context = { ...testCase.sentValues, ...scalars(testCase.sentBody) };
  const top = { ...context, ...scalars(json) };
  addRecord(top);
  if (json && typeof json === 'object') {
    for (const value of Object.values(json)) {
      if (Array.isArray(value)) value.slice(0, 20).forEach((element) => addRecord({ ...top, ...scalars(element) }));
    }
  }
}

/**
 * A record holding most of the names, one of the newest such (their resources more likely still exist, as other cases
 * delete and revoke); none some of the time, so fresh values are tried too.
 */
function chooseRecord(names, rng) {
  if (records.length === 0 || names.length === 0 || rng() < 0.2) return {};
  let best = [];
  let bestScore = 0;
  for (let i = records.length - 1; i >= Math.max(0, records.length - 300); i--) {
    const score = names.filter((n) => n in records[i]).length;
    if (score > bestScore) [best, bestScore] = [[records[i]], score];
    else if (score === bestScore && score > 0 && best.length < 6) best.push(records[i]);
  }
  return best.length === 0 ? {} : pick(rng, best);
}

/** A value for a named parameter or property: the record's, else one seen under that name, else a fresh fake. */
function valueFor(name, schema, rng, record) {
  const validate = validatorFor(schema);
  if (name in record && validate(record[name])) return record[name];
  const known = byName.get(name);
  if (known && rng() < 0.4) {
    const value = pick(rng, known);
    if (validate(value)) return value;
  }
  return fake(schema, rng);
}

function bodyProperties(operation) {
  const schema = operation.jsonBodySchema;
  const resolved = schema?.$ref ? resolvePointer(schema.$ref) : schema;
  return resolved?.properties ?? {};
}

function validBody(operation, rng, record) {
  const body = fake(operation.jsonBodySchema, rng, rng() < 0.3 ? { alwaysFakeOptionals: true } : {});
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [name, propertySchema] of Object.entries(bodyProperties(operation))) {
      if (name in body && name in record && validatorFor(propertySchema)(record[name])) body[name] = record[name];
    }
  }
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

const WRONG_CONTENT_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz',
  'application/octet-stream', 'application/jsonx', 'text/json; charset=utf-16', 'image/png', ';', 'application/'];

/** Percent-encodes every byte but unreserved ones; a lone surrogate becomes its WTF-8 bytes (not UTF-8: on purpose). */
function percentEncode(value) {
  let out = '';
  for (const character of String(value)) {
    const unit = character.codePointAt(0);
    if (/^[A-Za-z0-9_.~-]$/.test(character)) {
      out += character;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += [...Buffer.from(character, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
  return out;
}

const encodePathValue = percentEncode;

function buildPath(operation, pathValues) {
  return operation.template.replace(/\{([^}]+)\}/g, (_, name) => pathValues[name] ?? encodePathValue('x'));
}

function buildQuery(pairs) {
  return pairs.length === 0 ? '' : '?' + pairs.map(([name, value]) => `${percentEncode(name)}=${value}`).join('&');
}

/** Kinds of case and their weights; a kind applies only where the operation has what it mutates. */
const KINDS = [
  ['valid', 30, () => true],
  ['path-parameter-invalid', 8, (o) => o.parameters.some((p) => p.in === 'path')],
  ['path-parameter-bad-utf8', 2, (o) => o.parameters.some((p) => p.in === 'path')],
  ['query-invalid', 6, (o) => o.parameters.some((p) => p.in === 'query')],
  ['query-unknown', 2, () => true],
  ['body-wrong-type', 6, (o) => o.jsonBodySchema],
  ['body-missing-required', 4, (o) => o.jsonBodySchema],
  ['body-extra-properties', 4, (o) => o.jsonBodySchema],
  ['body-huge-string', 3, (o) => o.jsonBodySchema],
  ['body-hostile-strings', 4, (o) => o.jsonBodySchema],
  ['body-bad-utf8', 3, (o) => o.jsonBodySchema],
  ['body-malformed-json', 3, (o) => o.jsonBodySchema],
  ['body-wrong-root', 3, (o) => o.jsonBodySchema],
  ['body-wrong-content-type', 4, (o) => o.requestBody],
  ['body-missing', 2, (o) => o.requestBody?.required],
  ['body-over-limit', 1, (o) => o.requestBody],
  ['body-unexpected', 1, (o) => !o.requestBody],
  ['auth-missing', 3, (o) => o.bearer],
  ['auth-wrong-key', 3, (o) => o.bearer],
  ['auth-malformed', 2, (o) => o.bearer],
  ['undeclared-method', 2, (o) => o.otherMethods.length > 0],
  ['unknown-path', 1, () => true],
];

function chooseKind(operation, rng) {
  const kinds = KINDS.filter(([, , applies]) => applies(operation));
  let ticket = rng() * kinds.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [kind, weight] of kinds) {
    if ((ticket -= weight) < 0) return kind;
  }
  return kinds[kinds.length - 1][0];
}

function mutateObject(body, schema, rng, how) {
  const resolved = schema?.$ref ? resolvePointer(schema.$ref) : schema;
  const properties = Object.entries(resolved?.properties ?? {});
  const object = body && typeof body === 'object' && !Array.isArray(body) ? { ...body } : {};
  switch (how) {
    case 'wrong-type': {
      if (properties.length === 0) return sample(anyJson, rng);
      const [name, propertySchema] = pick(rng, properties);
      const value = invalidFor(propertySchema, rng);
      object[name] = value === undefined ? sample(anyJson, rng) : value;
      return object;
    }
    case 'missing-required': {
      const required = resolved?.required ?? [];
      if (required.length === 0) return {};
      for (const name of required) if (rng() < 0.7) delete object[name];
      delete object[pick(rng, required)];
      return object;
    }
    case 'extra-properties': {
      const extras = sample(fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', '$type', 'id', '')), anyJson, { minKeys: 1, maxKeys: 5 }), rng);
      return Object.assign(object, extras);
    }
    case 'huge-string': {
      const [name] = properties.length > 0 ? pick(rng, properties) : ['x'];
      const length = pick(rng, [1000, 10000, 60000]);
      const value = pick(rng, ['a', 'é', '\u{1F600}', ' ']).repeat(length);
      object[name] = Array.isArray(object[name]) ? [value] : value;
      return object;
    }
    case 'hostile-strings': {
      for (const [name, propertySchema] of properties) {
        if (rng() < 0.7) {
          const value = sample(hostileString, rng);
          const isArray = propertySchema.type === 'array' || (Array.isArray(propertySchema.type) && propertySchema.type.includes('array'));
          object[name] = isArray ? [value, sample(hostileString, rng)] : value;
        }
      }
      return object;
    }
    default:
      throw new Error(how);
  }
}

/** Builds the request for a case: {method, path, headers, body, kind, description, expect}. */
function makeCase(index, operation, rng, forcedKind) {
  const kind = forcedKind ?? chooseKind(operation, rng);
  const headers = { accept: pick(rng, ['application/json', 'application/json, application/problem+json', '*/*']) };
  if (operation.bearer) headers.authorization = `Bearer ${adminKey}`;
  const record = chooseRecord([...operation.parameters.map((p) => p.name), ...Object.keys(bodyProperties(operation))], rng);
  const sentValues = {};
  const pathValues = {};
  const queryPairs = [];
  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') {
      sentValues[parameter.name] = valueFor(parameter.name, parameter.schema, rng, record);
      pathValues[parameter.name] = encodePathValue(sentValues[parameter.name]);
    } else if (parameter.in === 'query' && (parameter.required || rng() < 0.5)) {
      sentValues[parameter.name] = valueFor(parameter.name, parameter.schema, rng, record);
      queryPairs.push([parameter.name, percentEncode(String(sentValues[parameter.name]))]);
    } else if (parameter.in === 'header' && (parameter.required || rng() < 0.5)) {
      headers[parameter.name.toLowerCase()] = String(fake(parameter.schema, rng));
    }
  }
  let body;
  let bodyText;
  let contentType = 'application/json';
  if (operation.requestBody) {
    body = operation.jsonBodySchema ? validBody(operation, rng, record) : undefined;
  }
  let method = operation.method;
  let template = operation.template;
  let expect = 'declared';
  let detail = '';

  switch (kind) {
    case 'valid':
      break;
    case 'path-parameter-invalid': {
      const parameter = pick(rng, operation.parameters.filter((p) => p.in === 'path'));
      let value;
      for (let i = 0; i < 25 && value === undefined; i++) {
        const candidate = rng() < 0.5 ? sample(hostileString, rng) : invalidFor(parameter.schema, rng);
        const text = candidate === undefined ? undefined : typeof candidate === 'string' ? candidate : JSON.stringify(candidate);
        // A path segment that is empty or a dot segment would be another path, not this operation.
        if (text !== undefined && text !== '' && text !== '.' && text !== '..' && !validatorFor(parameter.schema)(text)) value = text;
      }
      pathValues[parameter.name] = encodePathValue(value ?? 'a'.repeat(300));
      detail = parameter.name;
      break;
    }
    case 'path-parameter-bad-utf8': {
      const parameter = pick(rng, operation.parameters.filter((p) => p.in === 'path'));
      pathValues[parameter.name] = pick(rng, ['%FF', '%C3%28', '%ED%A0%80', '%F8%88%80%80%80', 'a%80b', '%C0%AF', '%00', '%ZZ', '%']);
      detail = parameter.name;
      break;
    }
    case 'query-invalid': {
      const parameter = pick(rng, operation.parameters.filter((p) => p.in === 'query'));
      const rest = queryPairs.filter(([name]) => name !== parameter.name);
      const invalid = invalidFor(parameter.schema, rng);
      const text = pick(rng, [
        () => percentEncode(typeof invalid === 'string' ? invalid : JSON.stringify(invalid ?? 'x')),
        () => percentEncode(sample(hostileString, rng)),
        () => '',
        () => pick(rng, ['99999999999999999999999', '-99999999999999999999999', '1e3', '0x10', '1.5', 'NaN', '%FF', '%00', '-0', '+1']),
      ])();
      queryPairs.length = 0;
      queryPairs.push(...rest, [parameter.name, text]);
      if (rng() < 0.3) queryPairs.push([parameter.name, percentEncode(String(fake(parameter.schema, rng)))]);
      detail = parameter.name;
      break;
    }
    case 'query-unknown':
      queryPairs.push(...sample(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 3 }), rng)
        .map(([name, value]) => [name, percentEncode(value)]));
      break;
    case 'body-wrong-type':
      body = mutateObject(body, operation.jsonBodySchema, rng, 'wrong-type');
      break;
    case 'body-missing-required':
      body = mutateObject(body, operation.jsonBodySchema, rng, 'missing-required');
      break;
    case 'body-extra-properties':
      body = mutateObject(body, operation.jsonBodySchema, rng, 'extra-properties');
      break;
    case 'body-huge-string':
      body = mutateObject(body, operation.jsonBodySchema, rng, 'huge-string');
      break;
    case 'body-hostile-strings':
      body = mutateObject(body, operation.jsonBodySchema, rng, 'hostile-strings');
      break;
    case 'body-bad-utf8': {
      const text = JSON.stringify(body ?? {});
      const bad = Buffer.from(pick(rng, [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0x80]]));
      const at = text.indexOf('":"') >= 0 ? text.indexOf('":"') + 3 : 1;
      bodyText = Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at))]);
      break;
    }
    case 'body-malformed-json': {
      const text = JSON.stringify(body ?? {});
      bodyText = pick(rng, [
        () => text.slice(0, Math.max(1, Math.floor(rng() * text.length))),
        () => text + pick(rng, ['}', ',', ' x', '{}']),
        () => text.replace(/"/g, "'"),
        () => text.replace(/:/, ''),
        () => '{"a":' + '['.repeat(5000),
        () => '\ufeff' + text,
        () => '"\\ud800"',
        () => text.replace(/"([^"]*)"/, '"$1\\x"'),
        () => pick(rng, ['', ' ', 'null', 'NaN', 'Infinity', '[', '{', '{"', '\u0000']),
      ])();
      break;
    }
    case 'body-wrong-root':
      body = sample(fc.oneof(fc.array(anyJson, { maxLength: 3 }), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true })), rng);
      break;
    case 'body-wrong-content-type':
      contentType = pick(rng, [...WRONG_CONTENT_TYPES, undefined]);
      break;
    case 'body-missing':
      body = undefined;
      contentType = pick(rng, ['application/json', undefined]);
      break;
    case 'body-over-limit':
      bodyText = JSON.stringify({ ...(body ?? {}), padding: 'x'.repeat(pick(rng, [70 * 1024, 256 * 1024, 1024 * 1024])) });
      break;
    case 'body-unexpected':
      body = sample(anyJson, rng);
      break;
    case 'auth-missing':
      delete headers.authorization;
      break;
    case 'auth-wrong-key':
      headers.authorization = `Bearer ${sample(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/'), minLength: 0, maxLength: 80 }), rng)}`;
      if (headers.authorization === `Bearer ${adminKey}`) headers.authorization = 'Bearer wrong';
      break;
    case 'auth-malformed':
      headers.authorization = pick(rng, [
        () => `Basic ${Buffer.from(`admin:${adminKey}`).toString('base64')}`,
        () => `bearer${adminKey}`,
        () => `Bearer  ${adminKey} `,
        () => `Bearer ${adminKey}x`,
        () => `Bearer ${adminKey.slice(0, -1)}`,
        () => `Bearer ${adminKey.toUpperCase() === adminKey ? adminKey.toLowerCase() : adminKey.toUpperCase()}`,
        () => 'Bearer',
        () => 'Bearer ',
        () => `Bearer ${'A'.repeat(pick(rng, [1025, 8000]))}`,
        () => `Token ${adminKey}`,
        () => 'Bearer \u00e9\u00e9\u00e9',
      ])();
      if (headers.authorization === `Bearer ${adminKey}` || headers.authorization === `Bearer  ${adminKey} `) {
        // Whitespace around the key may be accepted; that is a valid case, so send a different one.
        headers.authorization = `Bearer ${adminKey}-`;
      }
      // Latin-1 header bytes are what node sends for non-ASCII; that is the point.
      break;
    case 'undeclared-method':
      method = pick(rng, operation.otherMethods);
      expect = 'method-not-allowed';
      if (['POST', 'PUT', 'PATCH'].includes(method)) body ??= {};
      else body = undefined;
      break;
    case 'unknown-path': {
      // The operation's path with segments added until no path of the document matches it.
      const segment = fc.string({ unit: fc.constantFrom(...'abcxyz-_0123456789'), minLength: 1, maxLength: 12 });
      template = buildPath(operation, pathValues);
      do template += '/' + encodePathValue(sample(segment, rng));
      while (pathMatchers.some((matches) => matches(template)));
      expect = 'not-found';
      break;
    }
    default:
      throw new Error(kind);
  }

  if (bodyText === undefined && body !== undefined) bodyText = JSON.stringify(body);
  if (bodyText !== undefined && contentType !== undefined) headers['content-type'] = contentType;
  if (kind === 'body-missing' && contentType !== undefined) headers['content-type'] = contentType;
  const path = (kind === 'unknown-path' ? template : buildPath(operation, pathValues)) + buildQuery(queryPairs);
  return { index, kind, operation, method, path, headers, body: bodyText, expect, detail, sentValues, sentBody: body, pathValues: Object.fromEntries(operation.parameters.filter((p) => p.in === 'path').map((p) => [p.name, sentValues[p.name]])) };
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

function declaredResponse(operation, status) {
  const responses = operation.responses;
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses[`${String(status)[0]}xx`] ?? responses.default;
}

function mediaTypeOf(headers) {
  return String(headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Whether the HTTP server refused the request while parsing it, before any route could answer: a bare 400, 414 or 431
 * that closes the connection (e.g. Kestrel on a NUL byte in the path, or a request line over 8 KiB). The document
 * describes the API's answers, not these; they are counted and shown, and are failures only with --strict-http.
 */
function isHttpServerRejection(answer) {
  return [400, 414, 431].includes(answer.status) && answer.body.length === 0
    && answer.headers['content-type'] === undefined && String(answer.headers.connection).toLowerCase() === 'close';
}

/** What is wrong with an answer, as a list of reasons (empty: it conforms). */
function check(testCase, answer) {
  if (answer.error) return [`no answer: ${answer.error}`];
  const { status } = answer;
  const reasons = [];
  if (!args.strictHttp && isHttpServerRejection(answer)) return reasons;
  if (status >= 500) {
    // One reason for a 5xx, whatever else is wrong with it.
    let code;
    try { code = JSON.parse(answer.body.toString('utf8')).code; } catch { code = undefined; }
    return [`server error ${status}${code === undefined ? '' : ` (code ${JSON.stringify(code)})`}`];
  }
  if (testCase.expect === 'method-not-allowed') {
    if (status !== 405) reasons.push(`a method the document does not declare for this path answered ${status}, not 405`);
    return reasons;
  }
  if (testCase.expect === 'not-found') {
    if (status !== 404) reasons.push(`a path the document does not have answered ${status}, not 404`);
    return reasons;
  }
  // A resource a record names is gone once deleted, or once a valid request for it finds nothing: forget the record.
  if (testCase.kind === 'valid' && (status === 404 || status === 410 || (testCase.method === 'DELETE' && status >= 200 && status < 300))) forget(testCase.pathValues);
  const response = declaredResponse(testCase.operation, status);
  if (!response) {
    reasons.push(`status ${status} is not declared (declared: ${Object.keys(testCase.operation.responses).join(', ')})`);
    return reasons;
  }
  const content = response.content ?? {};
  const declaredTypes = Object.keys(content);
  const mediaType = mediaTypeOf(answer.headers);
  if (answer.body.length === 0) {
    if (declaredTypes.length > 0 && testCase.method !== 'HEAD') reasons.push(`empty body; the document declares ${declaredTypes.join(', ')}`);
    return reasons;
  }
  if (declaredTypes.length === 0) {
    reasons.push(`a ${answer.body.length}-byte body (${mediaType || 'no content type'}); the document declares no content for ${status}`);
    return reasons;
  }
  const declaredKey = declaredTypes.find((t) => t.toLowerCase() === mediaType)
    ?? declaredTypes.find((t) => t.endsWith('/*') && mediaType.startsWith(t.slice(0, -1).toLowerCase()))
    ?? declaredTypes.find((t) => t === '*/*');
  if (!declaredKey) {
    reasons.push(`content type ${mediaType || '(none)'} is not declared for ${status} (declared: ${declaredTypes.join(', ')})`);
    return reasons;
  }
  if (!JSON_TYPE.test(mediaType)) return reasons;
  let json;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch (error) {
    reasons.push(`${mediaType} body is not JSON (${error.message})`);
    return reasons;
  }
  const problemCodes = response['x-problem-codes'];
  if (mediaType === 'application/problem+json' && Array.isArray(problemCodes)) {
    const code = json?.code;
    if (!problemCodes.includes(code)) reasons.push(`problem code ${JSON.stringify(code)} is not among the document's codes for ${status} (${problemCodes.join(', ')})`);
  }
  const schema = content[declaredKey]?.schema;
  if (schema !== undefined) {
    const validate = validatorFor(schema);
    if (!validate(json)) reasons.push(`body does not match the declared schema: ${schemaErrors(validate)}`);
  }
  if (status >= 200 && status < 300 && testCase.method !== 'DELETE') learn(testCase, json);
  return reasons;
}

// ---------------------------------------------------------------------------------------------------------------
// Run

function describe(testCase) {
  const excerpt = testCase.body === undefined ? '' : ` body ${JSON.stringify(Buffer.from(testCase.body).toString('utf8').slice(0, 160))}${Buffer.byteLength(testCase.body) > 160 ? ` (${Buffer.byteLength(testCase.body)} bytes)` : ''}`;
  const type = testCase.headers['content-type'] === undefined ? '' : ` content-type ${JSON.stringify(testCase.headers['content-type'])}`;
  const auth = testCase.headers.authorization === undefined ? ' no authorization'
    : testCase.headers.authorization === `Bearer ${adminKey}` ? '' : ' a wrong authorization';
  const path = testCase.path.length > 200 ? `${testCase.path.slice(0, 200)}… (${testCase.path.length} chars)` : testCase.path;
  return `${testCase.method} ${path}${type}${auth}${excerpt}`;
}

const started = performance.now();
const failures = [];
const statusCounts = new Map(operations.map((o) => [o.name, new Map()]));
const kindCounts = new Map();
const validRejected = new Map();
const httpRejections = { count: 0, examples: [] };
let next = 0;
let done = 0;

let stoppedBecause;
const seenGroups = new Set();

/** Prints a failure as soon as it is found (the first of its kind), so a run that is stopped still shows it. */
function reportNow(failure) {
  for (const reason of failure.reasons) {
    const key = groupKey(failure, reason);
    if (args.verbose || !seenGroups.has(key)) {
      seenGroups.add(key);
      log(`FAIL case ${failure.index} [${failure.kind}] ${failure.operation} -> ${failure.status}: ${reason}`);
      log(`     request: ${failure.request}`);
      if (failure.answer) log(`     answer: ${failure.answer}`);
    }
  }
}

function groupKey(failure, reason) {
  return `${failure.operation} | ${failure.status} | ${reason.replace(/"[^"]*"/g, '"…"').replace(/\d+ ms/, 'N ms').slice(0, 160)}`;
}

/** Makes, sends and checks one case; returns the answer's status (or undefined). */
async function runCase(index, operation, rng, forcedKind) {
  let testCase;
  try {
    testCase = makeCase(index, operation, rng, forcedKind);
  } catch (error) {
    const failure = { index, operation: operation.name, status: '-', reasons: [`the fuzzer could not make a case: ${error.message}`], request: operation.name, kind: '?' };
    failures.push(failure);
    reportNow(failure);
    return undefined;
  }
  const answer = await send(testCase);
  const reasons = check(testCase, answer);
  kindCounts.set(testCase.kind, (kindCounts.get(testCase.kind) ?? 0) + 1);
  if (!answer.error && isHttpServerRejection(answer)) {
    httpRejections.count++;
    if (httpRejections.examples.length < 3) httpRejections.examples.push(`${describe(testCase).slice(0, 120)} -> ${answer.status}`);
  }
  const counts = statusCounts.get(operation.name);
  const key = answer.error ? 'error' : String(answer.status);
  if (testCase.expect === 'declared') counts.set(key, (counts.get(key) ?? 0) + 1);
  if (testCase.kind === 'valid' && answer.status === 400) {
    let code;
    try { code = JSON.parse(answer.body.toString('utf8')).code; } catch { code = '?'; }
    const k = `${operation.name} ${code}`;
    validRejected.set(k, (validRejected.get(k) ?? 0) + 1);
  }
  if (reasons.length > 0) {
    const excerpt = answer.body ? answer.body.toString('utf8').slice(0, 300) : '';
    const failure = { index, operation: operation.name, kind: testCase.kind, status: answer.status ?? '-', reasons, request: describe(testCase), answer: excerpt };
    failures.push(failure);
    reportNow(failure);
  }
  return answer.status;
}

function caseRandom(index) {
  return random((Math.imul(args.seed + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
}

async function worker() {
  while (next < args.cases) {
    if (failures.length >= args.maxFailures) {
      stoppedBecause ??= `stopped after ${failures.length} failures (--max-failures ${args.maxFailures})`;
      return;
    }
    if (performance.now() - started > args.maxSeconds * 1000) {
      stoppedBecause ??= `stopped after ${args.maxSeconds} s (--max-seconds)`;
      return;
    }
    const index = next++;
    const rng = caseRandom(index);
    await runCase(index, operations[Math.floor(rng() * operations.length)], rng);
    done++;
    if (done % 1000 === 0) log(`progress: ${done} cases, ${failures.length} failures, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

await Promise.all(Array.from({ length: args.concurrency }, worker));

// Coverage top-up: an operation that never answered 2xx (other cases deleted or revoked what it needed first) gets up
// to 50 rounds, one request at a time, of a valid case of each creating operation (PUT, or one that declares 201
// Created) and then one of its own, until it does. They are checked like any case but not counted in N.
let topUp = 0;
if (args.coverage && !stoppedBecause) {
  const creating = operations.filter((o) => o.method === 'PUT' || '201' in o.responses);
  for (const operation of operations) {
    const reached = () => [...statusCounts.get(operation.name).keys()].some((status) => status.startsWith('2'));
    for (let round = 0; round < 50 && !reached(); round++) {
      for (const step of [...creating.filter((o) => o !== operation), operation]) {
        const index = args.cases + topUp++;
        await runCase(index, step, caseRandom(index), 'valid');
      }
    }
  }
}
agent.destroy();
const seconds = (performance.now() - started) / 1000;

log(`document: OpenAPI ${document.openapi}, ${operations.length} operations; seed ${args.seed}; ${done} requests in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(0)}/s, concurrency ${args.concurrency}; ${retried} resent after a connection broke)`);
if (topUp > 0) log(`coverage top-up: ${topUp} more valid cases, one at a time, for operations that had not answered 2xx (not counted in the cases below)`);
if (uncheckedFormats.size > 0) log(`formats not checked (unknown to ajv-formats): ${[...uncheckedFormats].join(', ')}`);
log(`cases by kind: ${[...kindCounts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
for (const operation of operations) {
  const counts = [...statusCounts.get(operation.name)].sort((a, b) => a[0].localeCompare(b[0]));
  log(`  ${operation.name}: ${counts.map(([status, n]) => `${status}×${n}`).join(' ')}`);
  if (args.coverage && !counts.some(([status]) => status.startsWith('2'))) {
    failures.push({ index: '-', operation: operation.name, kind: 'coverage', status: '-', reasons: ['never answered 2xx: the fuzzer did not reach what the operation does (more --cases, or a silo that refuses everything?)'], request: operation.name });
  }
}
if (httpRejections.count > 0) {
  log(`refused by the HTTP server before the API (bare ${[400, 414, 431].join('/')} closing the connection)${args.strictHttp ? '' : ', not failures without --strict-http'}: ${httpRejections.count}, e.g. ${httpRejections.examples.join('; ')}`);
}
if (validRejected.size > 0) {
  log(`schema-valid requests answered 400 (rules the schema does not state; not failures): ${[...validRejected].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
}

// Failures grouped by operation, status and reason (each was printed with its first request when found).
const groups = new Map();
for (const failure of failures) {
  for (const reason of failure.reasons) {
    const key = groupKey(failure, reason);
    const group = groups.get(key) ?? { count: 0, first: failure, reason };
    group.count++;
    groups.set(key, group);
  }
}
for (const { count, first, reason } of groups.values()) {
  log(`FAIL ${first.operation} -> ${first.status}: ${reason} (${count}×; first: case ${first.index} [${first.kind}])`);
  if (first.kind === 'coverage') continue;
  log(`     request: ${first.request}`);
  if (first.answer) log(`     answer: ${first.answer}`);
}
if (stoppedBecause) log(`${stoppedBecause}: ${done} of ${args.cases} cases run`);
log(`api fuzz (independent): ${done} cases, ${failures.length} failures`);
process.exit(failures.length > 0 ? 1 : 0);
