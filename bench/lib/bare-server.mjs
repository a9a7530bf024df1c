// Child process of api-list.bench.mjs: the reference. A bare Express 5 app with one route answering
// the JSON the runtime's list endpoint returned (serialised per request with res.json, as the
// runtime does), and nothing else: no auth, no permission check, no database.
import express from 'express';

let server;
function stop() {
  server?.close();
  server?.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away without stopping us: do not outlive it.
process.on('disconnect', stop);

process.once('message', ({ path, body }) => {
  const app = express();
  app.get(path, (_req, res) => {
    res.json(body);
  });
  server = app.listen(0, '127.0.0.1', () => {
    process.send?.({ ready: true, port: server.address().port });
  });
});
