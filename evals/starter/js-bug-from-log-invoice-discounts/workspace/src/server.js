'use strict';
const http = require('node:http');
const { buildInvoice } = require('./invoice.js');

function handle(req, res) {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    try {
      const invoice = buildInvoice(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(invoice));
    } catch (error) {
      console.error(`[${new Date().toISOString()}] ${req.method} ${req.url} 500`);
      console.error(error.stack);
      console.error(`request body: ${body}`);
      res.writeHead(500).end();
    }
  });
}

if (require.main === module) {
  http.createServer(handle).listen(process.env.PORT || 3000);
}

module.exports = { handle };
