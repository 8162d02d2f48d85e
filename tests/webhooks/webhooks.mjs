// The WebhookService through the official JS SDK (@google/genai, installed in tests/js), and a batch
// whose webhookConfig (JS spelling: userMetadata) delivers to a receiver given as RECEIVER_URL.
//
//   JS_DIR=tests/js EMULATOR_URL=http://127.0.0.1:8790 GEMINI_API_KEY=k RECEIVER_URL=... node webhooks.mjs
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

const require = createRequire(`${process.env.JS_DIR}/`);
const {GoogleGenAI} = await import(pathToFileURL(require.resolve('@google/genai')).href);

const ai = new GoogleGenAI({apiKey: process.env.GEMINI_API_KEY, httpOptions: {baseUrl: process.env.EMULATOR_URL}});

const created = await ai.webhooks.create({
  name: 'js hook',
  uri: 'https://example.com/js',
  subscribed_events: ['batch.succeeded'],
});
assert.ok(created.new_signing_secret.startsWith('whsec_'));
const got = await ai.webhooks.get(created.id);
assert.equal(got.uri, 'https://example.com/js');
assert.equal(got.new_signing_secret, undefined);
const updated = await ai.webhooks.update(created.id, {state: 'disabled', update_mask: 'state'});
assert.equal(updated.state, 'disabled');
const listed = await ai.webhooks.list({page_size: 10});
assert.deepEqual(listed.webhooks.map((w) => w.id), [created.id]);
await ai.webhooks.ping(created.id);
const rotated = await ai.webhooks.rotateSigningSecret(created.id, {revocation_behavior: 'revoke_previous_secrets_immediately'});
assert.ok(rotated.secret.startsWith('whsec_') && rotated.secret !== created.new_signing_secret);
await ai.webhooks.delete(created.id);
await assert.rejects(ai.webhooks.get(created.id));

const job = await ai.batches.create({
  model: 'gemini-2.5-flash',
  src: [{contents: [{parts: [{text: 'hi'}], role: 'user'}]}],
  config: {webhookConfig: {uris: [process.env.RECEIVER_URL], userMetadata: {sdk: 'js'}}},
});
console.log(JSON.stringify({batch: job.name}));
