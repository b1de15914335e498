// Starts telegram-test-api (the npm package pinned in package.json) on 127.0.0.1:<port>, unchanged.
// Prints "ready <port>" once listening; stops on SIGTERM. The test starts it through danvan's Supervisor, whose
// watchdog kills it should the test process die without cleaning up.
'use strict';
const TelegramServer = require('telegram-test-api');

async function main() {
  const port = Number(process.argv[2] || 0);
  const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
  await server.start();
  process.stdout.write(`ready ${port}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
