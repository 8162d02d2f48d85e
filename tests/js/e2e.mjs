// End-to-end scenarios: the official JS SDK (@google/genai) against a running emulator.
//
//   EMULATOR_URL=http://127.0.0.1:8790 GEMINI_API_KEY=k node tests/js/e2e.mjs <scenario>
//
// Run by tests/sdk/test_js_sdk.py, one scenario per pytest test. Each step prints one line; any
// failed assertion or unexpected error exits non-zero with the stack.
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {ApiError, GenerateContentResponse, GoogleGenAI} from '@google/genai';

const EMULATOR_URL = process.env.EMULATOR_URL;
const API_KEY = process.env.GEMINI_API_KEY;
const MODEL = 'gemini-2.5-flash';
const EMBED_MODEL = 'gemini-embedding-001';
const TERMINAL = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
]);

let workDir;

function step(message) {
  console.log(`- ${message}`);
}

/** A client pointed at the emulator through `httpOptions.baseUrl` (the default route). */
function client(options = {}) {
  return new GoogleGenAI({apiKey: API_KEY, ...options, httpOptions: {baseUrl: EMULATOR_URL}});
}

/** A client that finds the emulator only through the GOOGLE_GEMINI_BASE_URL env var. */
function clientFromEnv() {
  assert.equal(process.env.GOOGLE_GEMINI_BASE_URL, EMULATOR_URL, 'GOOGLE_GEMINI_BASE_URL must be set');
  return new GoogleGenAI({apiKey: API_KEY});
}

async function writeLines(name, lines) {
  const path = join(workDir, name);
  await writeFile(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

async function download(ai, fileName) {
  const path = join(workDir, `${fileName.replaceAll('/', '_')}.jsonl`);
  await ai.files.download({file: fileName, downloadPath: path});
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

async function waitDone(ai, name, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await ai.batches.get({name});
    if (TERMINAL.has(job.state)) return job;
    assert.ok(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(job.state), `unexpected state ${job.state}`);
    if (Date.now() > deadline) throw new Error(`${name} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `fn`, which must reject with an ApiError of HTTP `status`; returns the error. */
async function expectApiError(status, fn, what) {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `${what}: expected ApiError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.status, status, `${what}: ${err.message}`);
    step(`${what} -> ApiError ${err.status}`);
    return err;
  }
  assert.fail(`${what}: expected ApiError ${status}, but it succeeded`);
}

async function collect(pager) {
  const items = [];
  for await (const item of pager) items.push(item);
  return items;
}

function generateLines(keys) {
  return keys.map((key) => ({key, request: {contents: [{parts: [{text: `Say something about ${key}.`}]}]}}));
}

// --- scenarios ---------------------------------------------------------------------------------

/** Files API: upload from a path with a client-chosen name, get, list paged, download, delete. */
async function files() {
  const ai = client({apiVersion: 'v1beta'});
  const id = `js-${Math.random().toString(36).slice(2, 10)}`;
  const lines = generateLines(['a', 'b', 'c']);
  const path = await writeLines('input.jsonl', lines);
  const size = (await readFile(path)).length;

  const named = await ai.files.upload({file: path, config: {mimeType: 'jsonl', name: id, displayName: 'js named'}});
  assert.equal(named.name, `files/${id}`);
  assert.equal(named.displayName, 'js named');
  assert.equal(named.sizeBytes, String(size));
  assert.equal(named.state, 'ACTIVE');
  assert.equal(named.source, 'UPLOADED');
  assert.ok(named.mimeType, 'mimeType is set');
  assert.ok(named.sha256Hash, 'sha256Hash is set');
  assert.ok(named.uri?.includes(`/files/${id}`), `uri ${named.uri}`);
  assert.ok(Date.parse(named.expirationTime) > Date.parse(named.createTime), 'expirationTime after createTime');
  step(`upload with name -> ${named.name} (${named.sizeBytes} bytes, ${named.mimeType})`);

  const other = await ai.files.upload({file: path, config: {mimeType: 'application/jsonl'}});
  assert.match(other.name, /^files\/[a-z0-9-]+$/);
  assert.notEqual(other.name, named.name);
  step(`upload without name -> ${other.name}`);

  const got = await ai.files.get({name: named.name});
  assert.equal(got.name, named.name);
  assert.equal(got.sizeBytes, String(size));
  assert.equal(got.sha256Hash, named.sha256Hash);
  const byId = await ai.files.get({name: id});
  assert.equal(byId.name, named.name);
  step('get by name and by bare id');

  // A small batch, for a generated output file to list and download.
  const job = await waitDone(ai, (await ai.batches.create({model: MODEL, src: named.name})).name);
  assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
  const outName = job.dest?.fileName;
  assert.ok(outName?.startsWith('files/'), `dest.fileName ${outName}`);
  const out = await ai.files.get({name: outName});
  assert.equal(out.source, 'GENERATED');
  assert.ok(out.downloadUri, 'generated file has a downloadUri');
  step(`batch output ${outName} (source ${out.source})`);

  const pager = await ai.files.list({config: {pageSize: 1}});
  assert.equal(pager.page.length, 1, 'first page has one file');
  assert.ok(pager.hasNextPage(), 'a first page of one of three files has a next page');
  const listed = await collect(pager);
  const names = listed.map((f) => f.name);
  assert.equal(names.length, 3, `listed ${names}`);
  assert.deepEqual([...names].sort(), [named.name, other.name, outName].sort());
  step(`list pageSize 1 -> ${names.length} files over pages`);

  const results = await download(ai, outName);
  assert.deepEqual(results.map((r) => r.key), ['a', 'b', 'c']);
  for (const r of results) assert.ok(r.response?.candidates?.[0]?.content?.parts?.[0]?.text, JSON.stringify(r));
  step(`download ${outName} -> ${results.length} lines`);

  // Given a File object, the JS SDK puts its uri (http:// here) into the path: still served.
  const byObject = join(workDir, 'by-object.jsonl');
  await ai.files.download({file: out, downloadPath: byObject});
  assert.deepEqual(await readFile(byObject), await readFile(join(workDir, `${outName.replaceAll('/', '_')}.jsonl`)));
  step('download by File object');

  const uploadedCopy = join(workDir, 'uploaded-copy.jsonl');
  await ai.files.download({file: named.name, downloadPath: uploadedCopy});
  assert.deepEqual(await readFile(uploadedCopy), await readFile(path));
  step('download of the uploaded file returns its bytes');

  await ai.files.delete({name: named.name});
  step(`delete ${named.name}`);
  await expectApiError(403, () => ai.files.get({name: named.name}), 'get after delete');
  const after = (await collect(await ai.files.list({config: {pageSize: 1}}))).map((f) => f.name);
  assert.ok(!after.includes(named.name), 'deleted file is not listed');
  assert.equal(after.length, 2);
  step('list after delete');
}

/** Batch from an uploaded file (client found via GOOGLE_GEMINI_BASE_URL); a malformed line. */
async function batchFile() {
  const ai = clientFromEnv();
  const keys = Array.from({length: 8}, (_, i) => `req-${i}`);
  const good = generateLines(keys);
  const bad = 3;
  const lines = [...good.slice(0, bad), 'this line is not JSON', ...good.slice(bad)];
  const path = await writeLines('batch.jsonl', lines);
  const uploaded = await ai.files.upload({file: path, config: {mimeType: 'jsonl'}});
  assert.ok(uploaded.uri?.startsWith(EMULATOR_URL), `uri ${uploaded.uri} points at the emulator`);
  step(`upload ${uploaded.name} via GOOGLE_GEMINI_BASE_URL`);

  const created = await ai.batches.create({model: MODEL, src: uploaded.name, config: {displayName: 'js file job'}});
  assert.match(created.name, /^batches\/[^/]+$/);
  assert.equal(created.displayName, 'js file job');
  assert.equal(created.model, `models/${MODEL}`);
  assert.ok(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(created.state), `created state ${created.state}`);
  assert.ok(created.createTime, 'createTime is set');
  step(`create ${created.name} -> ${created.state}`);

  const job = await waitDone(ai, created.name);
  assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
  assert.equal(job.displayName, 'js file job');
  assert.ok(job.endTime, 'endTime is set');
  assert.ok(Date.parse(job.endTime) >= Date.parse(job.createTime));
  assert.ok(job.dest?.fileName, `dest ${JSON.stringify(job.dest)}`);
  assert.equal(job.dest.inlinedResponses, undefined);
  step(`poll -> ${job.state}, dest.fileName ${job.dest.fileName}`);

  const results = await download(ai, job.dest.fileName);
  assert.equal(results.length, lines.length, 'one result line per input line');
  const resultKeys = results.filter((r) => r.key !== undefined).map((r) => r.key);
  assert.deepEqual(resultKeys, keys, 'every key once, in input order');
  results.forEach((r, i) => {
    if (i === bad) {
      assert.ok(r.error && !r.response, `line ${i} is an error: ${JSON.stringify(r)}`);
      assert.equal(typeof r.error.code, 'number');
      assert.ok(r.error.message, 'error has a message');
    } else {
      assert.equal(r.key, keys[i < bad ? i : i - 1]);
      assert.ok(!r.error, `line ${i} has no error: ${JSON.stringify(r.error)}`);
      assert.ok(r.response.candidates[0].content.parts[0].text.length > 0);
    }
  });
  step(`download -> ${results.length} lines, keys in order, line ${bad} is an error (code ${results[bad].error.code})`);
}

/** Inline batch: src is an array of InlinedRequest; responses come back in dest.inlinedResponses. */
async function batchInline() {
  const ai = client();
  const src = [
    {contents: [{parts: [{text: 'Hello'}], role: 'user'}], metadata: {key: 'first'}},
    {contents: 'A plain string prompt', metadata: {key: 'second', note: 'x'},
     config: {systemInstruction: 'Be brief.', temperature: 0.2, maxOutputTokens: 1024}},
    {contents: [{parts: [{text: 'No metadata'}]}]},
  ];
  const created = await ai.batches.create({model: MODEL, src, config: {displayName: 'js inline job'}});
  assert.match(created.name, /^batches\//);
  step(`create inline ${created.name} -> ${created.state}`);

  const job = await waitDone(ai, created.name);
  assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
  assert.equal(job.dest?.fileName, undefined);
  const responses = job.dest?.inlinedResponses;
  assert.ok(Array.isArray(responses), `dest ${JSON.stringify(job.dest)}`);
  assert.equal(responses.length, 3);
  assert.deepEqual(responses[0].metadata, {key: 'first'});
  assert.deepEqual(responses[1].metadata, {key: 'second', note: 'x'});
  assert.equal(responses[2].metadata, undefined);
  // In JS 3.3.0 `response` is a plain object (batchJobFromMldev does not build the class), so the
  // `text` getter is reached through GenerateContentResponse, as the SDK does for generateContent.
  const texts = responses.map((r) => {
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.ok(['STOP', 'MAX_TOKENS'].includes(r.response.candidates[0].finishReason));
    assert.ok(r.response.usageMetadata?.totalTokenCount > 0);
    const text = Object.assign(new GenerateContentResponse(), r.response).text;
    assert.equal(typeof text, 'string', 'response.text is readable');
    assert.ok(text.length > 0);
    assert.equal(text, r.response.candidates[0].content.parts[0].text);
    return text;
  });
  step(`poll -> ${job.state}, ${responses.length} inlinedResponses, text "${texts[0].slice(0, 30)}..."`);
}

/** Embeddings batches: inline (inlinedEmbedContentResponses) and from a file. */
async function embeddings() {
  const ai = client();
  const contents = ['alpha', 'beta', 'gamma'];
  const created = await ai.batches.createEmbeddings({
    model: EMBED_MODEL,
    src: {inlinedRequests: {contents, config: {outputDimensionality: 8}}},
    config: {displayName: 'js embed inline'},
  });
  assert.match(created.name, /^batches\//);
  assert.equal(created.model, `models/${EMBED_MODEL}`);
  step(`createEmbeddings inline ${created.name} -> ${created.state}`);

  const job = await waitDone(ai, created.name);
  assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
  const embedded = job.dest?.inlinedEmbedContentResponses;
  assert.ok(Array.isArray(embedded), `dest ${JSON.stringify(job.dest)?.slice(0, 500)}`);
  assert.equal(embedded.length, contents.length);
  for (const r of embedded) {
    const values = r.response?.embedding?.values;
    assert.ok(Array.isArray(values), JSON.stringify(r));
    assert.equal(values.length, 8);
    assert.ok(values.every((v) => typeof v === 'number'));
  }
  assert.notDeepEqual(embedded[0].response.embedding.values, embedded[1].response.embedding.values);
  step(`poll -> ${job.state}, ${embedded.length} x ${embedded[0].response.embedding.values.length}-dim vectors`);

  const keys = ['e1', 'e2', 'e3', 'e4'];
  const path = await writeLines('embed.jsonl', keys.map((key) => ({
    key, request: {content: {parts: [{text: `text ${key}`}]}, output_dimensionality: 8},
  })));
  const uploaded = await ai.files.upload({file: path, config: {mimeType: 'jsonl'}});
  const fromFile = await ai.batches.createEmbeddings({model: EMBED_MODEL, src: {fileName: uploaded.name}});
  step(`createEmbeddings from ${uploaded.name} -> ${fromFile.name}`);
  const fileJob = await waitDone(ai, fromFile.name);
  assert.equal(fileJob.state, 'JOB_STATE_SUCCEEDED');
  assert.ok(fileJob.dest?.fileName, `dest ${JSON.stringify(fileJob.dest)}`);
  const results = await download(ai, fileJob.dest.fileName);
  assert.deepEqual(results.map((r) => r.key), keys);
  for (const r of results) assert.equal(r.response?.embedding?.values?.length, 8, JSON.stringify(r));
  step(`download ${fileJob.dest.fileName} -> ${results.length} embeddings of 8`);
}

/** batches.list paging, cancel of a big batch, delete then get -> 404. */
async function batchAdmin() {
  const ai = client();
  const count = 20_000;
  const path = await writeLines('big.jsonl', Array.from({length: count}, (_, i) => (
    {key: `k${i}`, request: {contents: [{parts: [{text: `n${i}`}]}]}})));
  const bigFile = await ai.files.upload({file: path, config: {mimeType: 'jsonl'}});
  const big = await ai.batches.create({model: MODEL, src: bigFile.name, config: {displayName: 'big'}});
  await ai.batches.cancel({name: big.name});
  step(`create ${count}-line ${big.name} (${big.state}) and cancel at once`);
  const cancelled = await waitDone(ai, big.name);
  assert.ok(['JOB_STATE_CANCELLED', 'JOB_STATE_SUCCEEDED'].includes(cancelled.state), cancelled.state);
  step(`after cancel -> ${cancelled.state}`);
  await ai.batches.cancel({name: big.name}); // cancel of a finished batch: must not throw either
  step('second cancel on a finished batch -> ok');

  const small = [];
  for (let i = 0; i < 3; i++) {
    const job = await ai.batches.create({model: MODEL, src: [{contents: `job ${i}`}], config: {displayName: `s${i}`}});
    small.push(job.name);
  }
  step(`create 3 more batches: ${small.join(', ')}`);

  const pager = await ai.batches.list({config: {pageSize: 2}});
  assert.equal(pager.page.length, 2, 'first page has 2 batches');
  assert.ok(pager.hasNextPage(), 'there is a second page');
  const firstPage = pager.page.map((j) => j.name);
  const second = await pager.nextPage();
  assert.equal(second.length, 2);
  assert.ok(!pager.hasNextPage(), 'two pages of 2 hold all 4 batches');
  const paged = [...firstPage, ...second.map((j) => j.name)];
  assert.deepEqual([...paged].sort(), [big.name, ...small].sort());
  const iterated = (await collect(await ai.batches.list({config: {pageSize: 2}}))).map((j) => j.name);
  assert.deepEqual(iterated, paged, 'async iteration sees the same order as nextPage');
  for (const j of pager.page) assert.ok(j.state?.startsWith('JOB_STATE_'), j.state);
  step(`list pageSize 2 -> pages [${firstPage.length}, ${second.length}], order ${paged.join(' ')}`);

  const victim = await waitDone(ai, small[0]);
  assert.equal(victim.state, 'JOB_STATE_SUCCEEDED');
  await ai.batches.delete({name: victim.name});
  step(`delete ${victim.name}`);
  await expectApiError(404, () => ai.batches.get({name: victim.name}), 'get after delete');
  const left = (await collect(await ai.batches.list({config: {pageSize: 2}}))).map((j) => j.name);
  assert.equal(left.length, 3);
  assert.ok(!left.includes(victim.name), 'deleted batch is not listed');
  step('list after delete -> 3 batches');
}

/** Error mapping: missing batch 404, bad MIME type 400, batch on a missing file 403. */
async function errors() {
  const ai = client({apiVersion: 'v1beta'});
  await expectApiError(404, () => ai.batches.get({name: 'batches/doesnotexist123'}), 'get missing batch');
  await expectApiError(403, () => ai.files.get({name: 'files/doesnotexist123'}), 'get missing file');
  await expectApiError(403, () => ai.files.delete({name: 'files/doesnotexist123'}), 'delete missing file');

  const path = await writeLines('bad.jsonl', generateLines(['x']));
  const err = await expectApiError(400, () => ai.files.upload({file: path, config: {mimeType: 'bad/x'}}),
    'upload with MIME type bad/x');
  assert.match(err.message, /Unsupported MIME type/);

  await expectApiError(403, () => ai.batches.create({model: MODEL, src: 'files/doesnotexist123'}),
    'batch create on a missing file');
  const listed = await collect(await ai.batches.list());
  assert.equal(listed.length, 0, 'a failed create leaves no batch behind');
  step('no batch was created');
}

const SCENARIOS = {
  files,
  'batch-file': batchFile,
  'batch-inline': batchInline,
  embeddings,
  'batch-admin': batchAdmin,
  errors,
};

async function main() {
  const name = process.argv[2];
  const scenario = SCENARIOS[name];
  if (!scenario) {
    console.error(`usage: node e2e.mjs <${Object.keys(SCENARIOS).join('|')}>`);
    process.exit(2);
  }
  assert.ok(EMULATOR_URL, 'EMULATOR_URL is required');
  assert.ok(API_KEY, 'GEMINI_API_KEY is required');
  workDir = await mkdtemp(join(tmpdir(), 'genai-js-e2e-'));
  try {
    await scenario();
    console.log(`ok ${name}`);
  } finally {
    await rm(workDir, {recursive: true, force: true});
  }
}

main().catch((err) => {
  console.error(`FAILED ${process.argv[2]}:`, err);
  process.exit(1);
});
