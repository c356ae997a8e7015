// Where the demo reports. Point `endpoint` at your collector (`npm start` in the repository runs one
// on http://127.0.0.1:8080; DevTools needs "Does not verify valid domain names" for plain http).
// The end-to-end tests load the app with their own values for this module.
module.exports = {
  writeKey: 'demo',
  endpoint: 'http://127.0.0.1:8080',
  flushInterval: 3000,
};
