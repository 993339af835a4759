// ws_broadcast.js: a WebSocket broadcast relay in Node.js, a comparison peer for
// `make compare-servers`.
//
// The broadcast loop from the `ws` library's README ("Server broadcast", to every client but the
// sender): each text message is sent to every other open connection. `ws` from Debian's node-ws
// package (no npm, no network). Compression off, as in `ws`'s defaults. Loopback only.
'use strict';

const path = require('path');
const fs = require('fs');
// Debian installs `ws` outside Node's module search path.
const wsPath = ['/usr/share/nodejs/ws', '/usr/lib/nodejs/ws'].find((p) => fs.existsSync(path.join(p, 'package.json')));
if (!wsPath) {
  console.error('ws_broadcast.js: Node\'s ws is missing: apt-get install node-ws');
  process.exit(2);
}
const { WebSocketServer, WebSocket } = require(wsPath);

const portFlag = process.argv.indexOf('--port');
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 9005;

const server = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 1 << 20, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('error', () => socket.terminate());
  socket.on('message', (data, isBinary) => {
    server.clients.forEach((client) => {
      if (client !== socket && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    });
  });
});
server.on('listening', () => console.log(`node ws peer listening on ws://127.0.0.1:${port}/`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
