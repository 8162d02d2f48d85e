// The enqueued-token quota through the official JS SDK (@google/genai, installed in tests/js): the real
// 429 on batch create, retried by the SDK's retryOptions, and the same create accepted once the first
// batch ended (one clock:advance). Run by tests/quotas/test_sdk.py:
//
//   JS_DIR=tests/js EMULATOR_URL=http://127.0.0.1:8790 GEMINI_API_KEY=k node quotas.mjs
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

const require = createRequire(`${process.env.JS_DIR}/`);
const {GoogleGenAI, ApiError} = await import(pathToFileURL(require.resolve('@google/genai')).href);

const url = process.env.EMULATOR_URL;
const apiKey = process.env.GEMINI_API_KEY;
const MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on ' +
  'this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

async function control(method, path, body) {
  const response = await fetch(`${url}/_emulator/${path}`, {
    method,
    headers: {'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify({...body, apiKey}),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

const inline = (tokens) => [{contents: [{parts: [{text: 'x'.repeat(tokens * 4)}], role: 'user'}]}];
await control('POST', 'quotas', {limits: {'gemini-2.5-flash': {enqueuedTokens: 1000}}});

const ai = new GoogleGenAI({
  apiKey,
  httpOptions: {baseUrl: url, retryOptions: {attempts: 2, initialDelay: 0.01, maxDelay: 0.02}},
});
const first = await ai.batches.create({model: 'gemini-2.5-flash', src: inline(600)});

await assert.rejects(ai.batches.create({model: 'gemini-2.5-flash', src: inline(600)}), (error) => {
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 429);
  const body = JSON.parse(error.message);
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(body.error.message, MESSAGE);
  assert.equal(body.error.details[0]['@type'], 'type.googleapis.com/google.rpc.Help');
  return true;
});
const tried = await fetch(`${url}/_emulator/requests?operation=batches.create&key=${apiKey}`).then((r) => r.json());
assert.deepEqual(tried.requests.map((r) => r.status), [200, 429, 429]); // the retry option tried it twice

await control('POST', 'clock:advance', {seconds: 60});
assert.equal((await ai.batches.get({name: first.name})).state, 'JOB_STATE_SUCCEEDED');
const second = await ai.batches.create({model: 'gemini-2.5-flash', src: inline(600)});
assert.ok(second.name.startsWith('batches/'));

// A synchronous call over its requests per minute: the 429 with QuotaFailure and RetryInfo.
await control('POST', 'quotas', {limits: {'gemini-2.5-flash': {rpm: 1}}});
await ai.models.generateContent({model: 'gemini-2.5-flash', contents: 'hi'});
await assert.rejects(ai.models.generateContent({model: 'gemini-2.5-flash', contents: 'hi'}), (error) => {
  assert.equal(error.status, 429);
  const types = JSON.parse(error.message).error.details.map((d) => d['@type'].split('.').pop());
  assert.deepEqual(types, ['Help', 'QuotaFailure', 'RetryInfo']);
  return true;
});
await control('POST', 'clock:advance', {seconds: 60});
await ai.models.generateContent({model: 'gemini-2.5-flash', contents: 'hi'});
console.log('ok');
