// One HTTP request to a server the test started as a process (127.0.0.1:port), with the whole
// answer read: the tests that spawn servers (replicas, workers, logs) share it.
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** `false` opens a new connection for the request (spread over a server's workers by the kernel). */
  agent?: http.Agent | false;
}

export function request(port: number, method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
